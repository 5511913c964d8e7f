package sshfp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
)

// Type is the SSHFP resource record type (RFC 4255, Section 3).
const Type = 44

// Algorithm numbers (RFC 4255, Section 3.1.1; RFC 6594, Section 5.1;
// RFC 7479, Section 5).
const (
	AlgRSA     = 1
	AlgDSA     = 2
	AlgECDSA   = 3
	AlgEd25519 = 4
)

// Fingerprint types (RFC 4255, Section 3.1.2; RFC 6594, Section 5.2).
const (
	SHA1   = 1
	SHA256 = 2
)

// A Record is the RDATA of one SSHFP record (RFC 4255, Section 3.1).
type Record struct {
	Algorithm       uint8
	FingerprintType uint8
	Fingerprint     []byte
}

// String is the record in zone file form, "1 2 hex", as ssh-keygen -r
// prints it after "IN SSHFP".
func (r Record) String() string {
	return fmt.Sprintf("%d %d %s", r.Algorithm, r.FingerprintType, hex.EncodeToString(r.Fingerprint))
}

// Append appends the record's RDATA to b.
func (r Record) Append(b []byte) []byte {
	b = append(b, r.Algorithm, r.FingerprintType)
	return append(b, r.Fingerprint...)
}

// ErrRecord is wrapped by the errors of ParseRecord.
var ErrRecord = errors.New("sshfp: malformed SSHFP record")

// ParseRecord decodes SSHFP RDATA: algorithm, fingerprint type and a
// fingerprint of the length the type fixes (20 bytes for SHA-1, 32 for
// SHA-256); other types keep whatever follows. The Fingerprint is a
// copy.
func ParseRecord(rdata []byte) (Record, error) {
	if len(rdata) < 2 {
		return Record{}, fmt.Errorf("%w: %d bytes", ErrRecord, len(rdata))
	}
	r := Record{Algorithm: rdata[0], FingerprintType: rdata[1], Fingerprint: append([]byte(nil), rdata[2:]...)}
	if want := digestLen(r.FingerprintType); want != 0 && len(r.Fingerprint) != want {
		return Record{}, fmt.Errorf("%w: fingerprint type %d with %d bytes", ErrRecord, r.FingerprintType, len(r.Fingerprint))
	}
	if len(r.Fingerprint) == 0 {
		return Record{}, fmt.Errorf("%w: empty fingerprint", ErrRecord)
	}
	return r, nil
}

func digestLen(t uint8) int {
	switch t {
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// plain is key without its certificate: SSHFP records name plain keys
// (ssh drops the certificate before looking).
func plain(key hostkey.PublicKey) hostkey.PublicKey {
	if c, ok := key.(*hostkey.Certificate); ok {
		return c.Key
	}
	return key
}

// KeyAlgorithm is the SSHFP algorithm number of key (a certificate's
// key), or 0 when SSHFP has none for its type (security keys among
// them, as in ssh).
func KeyAlgorithm(key hostkey.PublicKey) uint8 {
	key = plain(key)
	if key == nil {
		return 0
	}
	switch t := key.Type(); {
	case t == hostkey.RSA:
		return AlgRSA
	case t == "ssh-dss":
		return AlgDSA
	case strings.HasPrefix(t, "ecdsa-sha2-"):
		return AlgECDSA
	case t == hostkey.ED25519:
		return AlgEd25519
	}
	return 0
}

// Records returns the SHA-1 and SHA-256 records of key (of a
// certificate's key), as ssh-keygen -r does; nil for a key type SSHFP
// has no number for.
func Records(key hostkey.PublicKey) []Record {
	alg := KeyAlgorithm(key)
	if alg == 0 {
		return nil
	}
	blob := plain(key).Marshal()
	s1, s256 := sha1.Sum(blob), sha256.Sum256(blob)
	return []Record{{alg, SHA1, s1[:]}, {alg, SHA256, s256[:]}}
}

// A Result is what the records say about a key, as OpenSSH's
// DNS_VERIFY_* flags.
type Result struct {
	Found  bool // the answer held SSHFP records
	Match  bool // a record of the key's algorithm matched and none of them differed
	Secure bool // the answer was DNSSEC-validated (Answer.Secure)
}

// Verify compares the records of a with key. A record of the key's
// algorithm and a fingerprint type we compute (SHA-1, SHA-256) matches
// when its fingerprint equals the key's; one such record that differs
// cancels every match, as in ssh. Records of other algorithms or
// fingerprint types are ignored. A nil Answer finds nothing.
func Verify(a *Answer, key hostkey.PublicKey) Result {
	var res Result
	if a == nil || len(a.Records) == 0 {
		return res
	}
	res.Found, res.Secure = true, a.Secure
	mine := Records(key)
	failed := false
	for _, r := range a.Records {
		for _, m := range mine {
			if r.Algorithm != m.Algorithm || r.FingerprintType != m.FingerprintType {
				continue
			}
			if len(r.Fingerprint) == len(m.Fingerprint) && subtle.ConstantTimeCompare(r.Fingerprint, m.Fingerprint) == 1 {
				res.Match = true
			} else {
				failed = true
			}
		}
	}
	if failed {
		res.Match = false
	}
	return res
}
