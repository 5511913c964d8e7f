package cipher

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"hash"
)

func hmacNew(h func() hash.Hash) func(key []byte) hash.Hash {
	return func(key []byte) hash.Hash { return hmac.New(h, key) }
}

func init() {
	// RFC 6668, Section 2; OpenSSH PROTOCOL, Section 1.5 for -etm.
	RegisterMAC(&MAC{Name: HMACSHA256ETM, KeySize: 32, Size: 32, ETM: true, New: newHMACSHA256})
	RegisterMAC(&MAC{Name: HMACSHA512ETM, KeySize: 64, Size: 64, ETM: true, New: hmacNew(sha512.New)})
	RegisterMAC(&MAC{Name: HMACSHA256, KeySize: 32, Size: 32, New: newHMACSHA256})
	RegisterMAC(&MAC{Name: HMACSHA512, KeySize: 64, Size: 64, New: hmacNew(sha512.New)})
	// RFC 4253, Section 6.4 (legacy).
	RegisterMAC(&MAC{Name: HMACSHA1ETM, KeySize: 20, Size: 20, ETM: true, New: hmacNew(sha1.New)})
	RegisterMAC(&MAC{Name: HMACSHA1, KeySize: 20, Size: 20, New: hmacNew(sha1.New)})
}
