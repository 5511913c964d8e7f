package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// A krl is an OpenSSH key revocation list (PROTOCOL.krl, format
// version 1), read by parseKRL and consulted by revoked as sshd's
// ssh_krl_check_key does.
type krl struct {
	keys   map[string]bool // plain public key blobs
	sha1   map[string]bool // SHA-1 of plain public key blobs
	sha256 map[string]bool // SHA-256 of plain public key blobs
	certs  []*krlCerts
}

// krlCerts is one certificates section: what it revokes among the
// certificates of one CA, or of every CA when ca is nil.
type krlCerts struct {
	ca      []byte
	ranges  [][2]uint64 // serial_min, serial_max (a list entry is a range of one)
	bitmaps []krlBitmap
	keyIDs  map[string]bool
}

type krlBitmap struct {
	offset uint64
	bits   []byte // big-endian: bit 0 is the lowest bit of the last byte
}

// PROTOCOL.krl's numbers.
const (
	krlFormatVersion   = 1
	krlCertificates    = 1
	krlExplicitKey     = 2
	krlFingerprintSHA1 = 3
	krlSignature       = 4
	krlFingerprintSHA2 = 5
	krlExtension       = 255
	krlCertSerialList  = 0x20
	krlCertSerialRange = 0x21
	krlCertSerialBmap  = 0x22
	krlCertKeyID       = 0x23
	krlCertExtension   = 0x39
)

// errKRLFormat is a KRL gosshd cannot read: malformed, another format
// version, a signature section, or a critical extension. RevokedKeys
// then refuses every key.
var errKRLFormat = errors.New("malformed or unsupported KRL")

// parseKRL reads a binary KRL. Anything it does not understand is an
// error wrapping errKRLFormat, so that the caller fails closed.
func parseKRL(b []byte) (*krl, error) {
	r := wire.NewReader(b)
	var magic [8]byte
	r.Bytes(magic[:])
	if !bytes.Equal(magic[:], krlMagic) {
		return nil, fmt.Errorf("%w: bad magic", errKRLFormat)
	}
	if v := r.Uint32(); r.Err() == nil && v != krlFormatVersion {
		return nil, fmt.Errorf("%w: format version %d", errKRLFormat, v)
	}
	r.Uint64() // krl_version
	r.Uint64() // generated_date
	r.Uint64() // flags
	r.StringBytes()
	r.StringBytes() // comment
	k := &krl{keys: map[string]bool{}, sha1: map[string]bool{}, sha256: map[string]bool{}}
	for r.Len() > 0 {
		typ := r.Byte()
		if typ == krlSignature {
			// OpenSSH 9.4 refuses these too; 9.2 would verify them.
			return nil, fmt.Errorf("%w: signature section", errKRLFormat)
		}
		data := r.StringBytes()
		if r.Failed() {
			break
		}
		var err error
		switch typ {
		case krlCertificates:
			err = k.parseCerts(data)
		case krlExplicitKey, krlFingerprintSHA1, krlFingerprintSHA2:
			set := map[byte]map[string]bool{krlExplicitKey: k.keys, krlFingerprintSHA1: k.sha1, krlFingerprintSHA2: k.sha256}[typ]
			err = blobList(data, set)
		case krlExtension:
			err = extension(data)
		default:
			err = fmt.Errorf("%w: section type %d", errKRLFormat, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", errKRLFormat, err)
	}
	return k, nil
}

// blobList reads one or more strings into set.
func blobList(data []byte, set map[string]bool) error {
	r := wire.NewReader(data)
	n := 0
	for r.Len() > 0 {
		b := r.StringBytes()
		if r.Failed() {
			break
		}
		set[string(b)] = true
		n++
	}
	if err := r.Err(); err != nil || n == 0 {
		return fmt.Errorf("%w: empty or malformed key list", errKRLFormat)
	}
	return nil
}

// extension reads an extension (section or certificate subsection):
// a critical one gosshd does not know is an error.
func extension(data []byte) error {
	r := wire.NewReader(data)
	name := r.Text()
	critical := r.Bool()
	r.StringBytes()
	if err := r.Err(); err != nil {
		return fmt.Errorf("%w: %v", errKRLFormat, err)
	}
	if critical {
		return fmt.Errorf("%w: critical extension %q", errKRLFormat, name)
	}
	return nil
}

func (k *krl) parseCerts(data []byte) error {
	r := wire.NewReader(data)
	c := &krlCerts{keyIDs: map[string]bool{}}
	if ca := r.StringBytes(); len(ca) > 0 {
		c.ca = ca
	}
	r.StringBytes() // reserved
	for r.Len() > 0 {
		typ := r.Byte()
		sub := r.StringBytes()
		if r.Failed() {
			break
		}
		sr := wire.NewReader(sub)
		switch typ {
		case krlCertSerialList:
			for sr.Len() > 0 {
				s := sr.Uint64()
				c.ranges = append(c.ranges, [2]uint64{s, s})
			}
		case krlCertSerialRange:
			lo, hi := sr.Uint64(), sr.Uint64()
			if lo > hi || sr.Len() != 0 {
				return fmt.Errorf("%w: bad serial range", errKRLFormat)
			}
			c.ranges = append(c.ranges, [2]uint64{lo, hi})
		case krlCertSerialBmap:
			off := sr.Uint64()
			bits := sr.MPIntBytes()
			if sr.Len() != 0 {
				return fmt.Errorf("%w: bad serial bitmap", errKRLFormat)
			}
			c.bitmaps = append(c.bitmaps, krlBitmap{offset: off, bits: bits})
		case krlCertKeyID:
			if err := blobList(sub, c.keyIDs); err != nil {
				return err
			}
			continue
		case krlCertExtension:
			if err := extension(sub); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%w: certificate section type %d", errKRLFormat, typ)
		}
		if err := sr.Err(); err != nil {
			return fmt.Errorf("%w: %v", errKRLFormat, err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("%w: %v", errKRLFormat, err)
	}
	k.certs = append(k.certs, c)
	return nil
}

// revoked reports whether key is revoked, as ssh_krl_check_key: the
// plain key (for a certificate, the certified key) by blob, SHA-1 or
// SHA-256; a certificate by serial (0 is never revoked by serial) or key
// ID in a section for its CA or for every CA; and a certificate's CA key
// as a plain key.
func (k *krl) revoked(key hostkey.PublicKey) bool {
	if k.plainRevoked(key) {
		return true
	}
	cert, ok := key.(*hostkey.Certificate)
	if !ok {
		return false
	}
	if cert.SignatureKey != nil && k.plainRevoked(cert.SignatureKey) {
		return true
	}
	var ca []byte
	if cert.SignatureKey != nil {
		ca = cert.SignatureKey.Marshal()
	}
	for _, c := range k.certs {
		if c.ca != nil && !bytes.Equal(c.ca, ca) {
			continue
		}
		if c.keyIDs[cert.KeyID] {
			return true
		}
		if cert.Serial == 0 {
			continue
		}
		for _, rg := range c.ranges {
			if cert.Serial >= rg[0] && cert.Serial <= rg[1] {
				return true
			}
		}
		for _, bm := range c.bitmaps {
			if cert.Serial < bm.offset {
				continue
			}
			n := cert.Serial - bm.offset
			if n/8 < uint64(len(bm.bits)) && bm.bits[len(bm.bits)-1-int(n/8)]&(1<<(n%8)) != 0 {
				return true
			}
		}
	}
	return false
}

func (k *krl) plainRevoked(key hostkey.PublicKey) bool {
	if c, ok := key.(*hostkey.Certificate); ok {
		key = c.Key
	}
	if key == nil {
		return false
	}
	blob := key.Marshal()
	s1, s2 := sha1.Sum(blob), sha256.Sum256(blob)
	return k.keys[string(blob)] || k.sha1[string(s1[:])] || k.sha256[string(s2[:])]
}
