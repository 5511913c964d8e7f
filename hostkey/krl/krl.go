// Package krl reads, queries and writes OpenSSH key revocation lists
// (OpenSSH PROTOCOL.krl, format version 1), the binary files sshd's
// RevokedKeys and ssh-keygen -k/-Q use.
//
// Parse decodes a KRL and fails closed: a malformed file, another
// format version, a signature section or a critical extension is an
// error wrapping ErrFormat. KRL.Revoked then answers as OpenSSH's
// ssh_krl_check_key does. KRL.Marshal encodes one that OpenSSH reads,
// with every list sorted and without duplicates.
package krl

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// Magic starts every KRL ("SSHKRL\n\0").
var Magic = []byte("SSHKRL\n\x00")

// ErrFormat is a KRL this package cannot read: malformed, another
// format version, a signature section, or a critical extension. A
// caller enforcing revocation should then refuse every key.
var ErrFormat = errors.New("krl: malformed or unsupported KRL")

// PROTOCOL.krl's numbers.
const (
	formatVersion   = 1
	secCertificates = 1
	secExplicitKey  = 2
	secSHA1         = 3
	secSignature    = 4
	secSHA256       = 5
	secExtension    = 255
	certSerialList  = 0x20
	certSerialRange = 0x21
	certSerialBmap  = 0x22
	certKeyID       = 0x23
	certExtension   = 0x39
)

// A KRL is a key revocation list. The zero value is an empty KRL.
// Revoked indexes the lists on its first call: do not change a KRL
// after querying it.
type KRL struct {
	Version uint64 // krl_version: ssh-keygen -z
	Date    uint64 // generated_date, seconds since the Unix epoch
	Comment string

	Keys   [][]byte // plain public key blobs revoked outright
	SHA1   [][]byte // SHA-1 hashes of plain public key blobs
	SHA256 [][]byte // SHA-256 hashes of plain public key blobs
	Certs  []*Certs

	once                 sync.Once
	keys, sha1s, sha256s map[string]bool // Revoked's index of the lists above
}

// Certs is one certificates section: what it revokes among the
// certificates of one CA, or of every CA when CA is nil.
type Certs struct {
	CA      []byte // the CA's public key blob; nil for every CA
	Serials []Range
	Bitmaps []Bitmap
	KeyIDs  []string
}

// A Range revokes serials Lo to Hi inclusive.
type Range struct{ Lo, Hi uint64 }

// A Bitmap revokes serial Offset+i for every set bit i of Bits, a
// big-endian integer (bit 0 is the lowest bit of the last byte).
type Bitmap struct {
	Offset uint64
	Bits   []byte
}

// Parse decodes a binary KRL. Anything it does not understand is an
// error wrapping ErrFormat, so that the caller can fail closed. The
// result does not alias b.
func Parse(b []byte) (*KRL, error) {
	b = bytes.Clone(b)
	r := wire.NewReader(b)
	var magic [8]byte
	r.Bytes(magic[:])
	if !bytes.Equal(magic[:], Magic) {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	if v := r.Uint32(); r.Err() == nil && v != formatVersion {
		return nil, fmt.Errorf("%w: format version %d", ErrFormat, v)
	}
	k := &KRL{}
	k.Version = r.Uint64()
	k.Date = r.Uint64()
	r.Uint64()      // flags
	r.StringBytes() // reserved
	k.Comment = string(r.StringBytes())
	for r.Len() > 0 {
		typ := r.Byte()
		if typ == secSignature {
			// OpenSSH 9.4 refuses these too; 9.2 would verify them.
			return nil, fmt.Errorf("%w: signature section", ErrFormat)
		}
		data := r.StringBytes()
		if r.Failed() {
			break
		}
		var err error
		switch typ {
		case secCertificates:
			err = k.parseCerts(data)
		case secExplicitKey:
			k.Keys, err = blobList(data, k.Keys)
		case secSHA1:
			k.SHA1, err = blobList(data, k.SHA1)
		case secSHA256:
			k.SHA256, err = blobList(data, k.SHA256)
		case secExtension:
			err = extension(data)
		default:
			err = fmt.Errorf("%w: section type %d", ErrFormat, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return k, nil
}

// blobList reads one or more strings onto list.
func blobList(data []byte, list [][]byte) ([][]byte, error) {
	r := wire.NewReader(data)
	n := 0
	for r.Len() > 0 {
		b := r.StringBytes()
		if r.Failed() {
			break
		}
		list = append(list, b)
		n++
	}
	if err := r.Err(); err != nil || n == 0 {
		return nil, fmt.Errorf("%w: empty or malformed list", ErrFormat)
	}
	return list, nil
}

// extension reads an extension (section or certificate subsection):
// a critical one is an error, since none is defined.
func extension(data []byte) error {
	r := wire.NewReader(data)
	name := r.Text()
	critical := r.Bool()
	r.StringBytes()
	if err := r.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if critical {
		return fmt.Errorf("%w: critical extension %q", ErrFormat, name)
	}
	return nil
}

func (k *KRL) parseCerts(data []byte) error {
	r := wire.NewReader(data)
	c := &Certs{}
	if ca := r.StringBytes(); len(ca) > 0 {
		c.CA = ca
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
		case certSerialList:
			for sr.Len() > 0 {
				s := sr.Uint64()
				c.Serials = append(c.Serials, Range{s, s})
			}
		case certSerialRange:
			lo, hi := sr.Uint64(), sr.Uint64()
			if lo > hi || sr.Len() != 0 {
				return fmt.Errorf("%w: bad serial range", ErrFormat)
			}
			c.Serials = append(c.Serials, Range{lo, hi})
		case certSerialBmap:
			off := sr.Uint64()
			bits := sr.MPIntBytes()
			if sr.Len() != 0 {
				return fmt.Errorf("%w: bad serial bitmap", ErrFormat)
			}
			c.Bitmaps = append(c.Bitmaps, Bitmap{Offset: off, Bits: bits})
		case certKeyID:
			ids, err := blobList(sub, nil)
			if err != nil {
				return err
			}
			for _, id := range ids {
				c.KeyIDs = append(c.KeyIDs, string(id))
			}
			continue
		case certExtension:
			if err := extension(sub); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%w: certificate section type %d", ErrFormat, typ)
		}
		if err := sr.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrFormat, err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	k.Certs = append(k.Certs, c)
	return nil
}

// Revoked reports whether key is revoked, as ssh_krl_check_key: the
// plain key (for a certificate, the certified key) by blob, SHA-1 or
// SHA-256; a certificate by serial (0 is never revoked by serial) or key
// ID in a section for its CA or for every CA; and a certificate's CA key
// as a plain key.
func (k *KRL) Revoked(key hostkey.PublicKey) bool {
	k.once.Do(k.buildIndex)
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
	for _, c := range k.Certs {
		if c.CA != nil && !bytes.Equal(c.CA, ca) {
			continue
		}
		if c.revokes(cert) {
			return true
		}
	}
	return false
}

func (c *Certs) revokes(cert *hostkey.Certificate) bool {
	if slices.Contains(c.KeyIDs, cert.KeyID) {
		return true
	}
	if cert.Serial == 0 {
		return false
	}
	for _, rg := range c.Serials {
		if cert.Serial >= rg.Lo && cert.Serial <= rg.Hi {
			return true
		}
	}
	for _, bm := range c.Bitmaps {
		if cert.Serial < bm.Offset {
			continue
		}
		n := cert.Serial - bm.Offset
		if n/8 < uint64(len(bm.Bits)) && bm.Bits[len(bm.Bits)-1-int(n/8)]&(1<<(n%8)) != 0 {
			return true
		}
	}
	return false
}

func (k *KRL) buildIndex() {
	set := func(l [][]byte) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, b := range l {
			m[string(b)] = true
		}
		return m
	}
	k.keys, k.sha1s, k.sha256s = set(k.Keys), set(k.SHA1), set(k.SHA256)
}

func (k *KRL) plainRevoked(key hostkey.PublicKey) bool {
	if c, ok := key.(*hostkey.Certificate); ok {
		key = c.Key
	}
	if key == nil {
		return false
	}
	blob := key.Marshal()
	if k.keys[string(blob)] {
		return true
	}
	s1, s2 := sha1.Sum(blob), sha256.Sum256(blob)
	return k.sha1s[string(s1[:])] || k.sha256s[string(s2[:])]
}

// CertsFor returns the certificates section for ca (nil: every CA),
// adding an empty one if there is none.
func (k *KRL) CertsFor(ca hostkey.PublicKey) *Certs {
	var blob []byte
	if ca != nil {
		blob = ca.Marshal()
	}
	for _, c := range k.Certs {
		if bytes.Equal(c.CA, blob) {
			return c
		}
	}
	c := &Certs{CA: blob}
	k.Certs = append(k.Certs, c)
	return c
}

// Revoke revokes a key as ssh-keygen -k does for a public key line: a
// plain key explicitly (by its blob), a certificate by serial under its
// CA (by key ID when the serial is 0).
func (k *KRL) Revoke(key hostkey.PublicKey) {
	cert, ok := key.(*hostkey.Certificate)
	if !ok {
		k.Keys = append(k.Keys, key.Marshal())
		return
	}
	c := k.CertsFor(cert.SignatureKey)
	if cert.Serial == 0 {
		c.KeyIDs = append(c.KeyIDs, cert.KeyID)
	} else {
		c.Serials = append(c.Serials, Range{cert.Serial, cert.Serial})
	}
}

// Marshal encodes the KRL: the certificate sections in order, then
// explicit keys, SHA-1 and SHA-256 hashes, each list sorted and
// without duplicates, overlapping serial ranges merged.
func (k *KRL) Marshal() []byte {
	b := append([]byte(nil), Magic...)
	b = wire.AppendUint32(b, formatVersion)
	b = wire.AppendUint64(b, k.Version)
	b = wire.AppendUint64(b, k.Date)
	b = wire.AppendUint64(b, 0) // flags
	b = wire.AppendString(b, "")
	b = wire.AppendString(b, k.Comment)
	for _, c := range k.Certs {
		b = append(b, secCertificates)
		b = wire.AppendString(b, c.marshal())
	}
	for _, s := range []struct {
		typ  byte
		list [][]byte
	}{{secExplicitKey, k.Keys}, {secSHA1, k.SHA1}, {secSHA256, k.SHA256}} {
		list := slices.Clone(s.list)
		slices.SortFunc(list, bytes.Compare)
		list = slices.CompactFunc(list, bytes.Equal)
		if len(list) == 0 {
			continue
		}
		var sec []byte
		for _, e := range list {
			sec = wire.AppendString(sec, e)
		}
		b = append(b, s.typ)
		b = wire.AppendString(b, sec)
	}
	return b
}

func (c *Certs) marshal() []byte {
	b := wire.AppendString(nil, c.CA)
	b = wire.AppendString(b, "")
	ranges := slices.Clone(c.Serials)
	slices.SortFunc(ranges, func(x, y Range) int {
		if x.Lo != y.Lo {
			return cmpU64(x.Lo, y.Lo)
		}
		return cmpU64(x.Hi, y.Hi)
	})
	var merged []Range
	for _, r := range ranges {
		if n := len(merged); n > 0 && (r.Lo <= merged[n-1].Hi || merged[n-1].Hi != ^uint64(0) && r.Lo == merged[n-1].Hi+1) {
			merged[n-1].Hi = max(merged[n-1].Hi, r.Hi)
			continue
		}
		merged = append(merged, r)
	}
	var list []byte
	for _, r := range merged {
		if r.Lo == r.Hi {
			list = wire.AppendUint64(list, r.Lo)
		}
	}
	if len(list) > 0 {
		b = append(b, certSerialList)
		b = wire.AppendString(b, list)
	}
	for _, r := range merged {
		if r.Lo != r.Hi {
			b = append(b, certSerialRange)
			b = wire.AppendString(b, wire.AppendUint64(wire.AppendUint64(nil, r.Lo), r.Hi))
		}
	}
	for _, bm := range c.Bitmaps {
		b = append(b, certSerialBmap)
		b = wire.AppendString(b, wire.AppendMPIntBytes(wire.AppendUint64(nil, bm.Offset), bm.Bits))
	}
	ids := slices.Clone(c.KeyIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		var sec []byte
		for _, id := range ids {
			sec = wire.AppendString(sec, id)
		}
		b = append(b, certKeyID)
		b = wire.AppendString(b, sec)
	}
	return b
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
