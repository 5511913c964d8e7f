package hostkey

import (
	"crypto/sha512"
	"errors"

	//lint:ignore SA1019 bcrypt_pbkdf(3) is defined on Blowfish; key files need it.
	"golang.org/x/crypto/blowfish"
)

// bcryptHashSize is the output size of one bcrypt_hash block.
const bcryptHashSize = 32

// BcryptPBKDF derives keyLen bytes from password and salt with rounds
// iterations of OpenBSD's bcrypt_pbkdf(3), the key derivation of
// encrypted "openssh-key-v1" private keys (OpenSSH PROTOCOL.key). Each
// round costs 64 bcrypt key expansions, so 16 rounds (ssh-keygen's
// default) take tens of milliseconds.
func BcryptPBKDF(password, salt []byte, rounds, keyLen int) ([]byte, error) {
	if rounds < 1 {
		return nil, errors.New("hostkey: bcrypt_pbkdf: rounds must be at least 1")
	}
	if len(password) == 0 || len(salt) == 0 || keyLen <= 0 || keyLen > bcryptHashSize*bcryptHashSize {
		return nil, errors.New("hostkey: bcrypt_pbkdf: bad password, salt or key length")
	}
	out := make([]byte, keyLen)
	stride := (keyLen + bcryptHashSize - 1) / bcryptHashSize
	amt := (keyLen + stride - 1) / stride
	shaPass := sha512.Sum512(password)

	countSalt := make([]byte, len(salt)+4)
	copy(countSalt, salt)
	var tmp, acc [bcryptHashSize]byte
	remaining := keyLen
	for count := 1; remaining > 0; count++ {
		n := len(salt)
		countSalt[n], countSalt[n+1], countSalt[n+2], countSalt[n+3] =
			byte(count>>24), byte(count>>16), byte(count>>8), byte(count)
		shaSalt := sha512.Sum512(countSalt)
		bcryptHash(&tmp, shaPass[:], shaSalt[:])
		acc = tmp
		for i := 1; i < rounds; i++ {
			shaSalt = sha512.Sum512(tmp[:])
			bcryptHash(&tmp, shaPass[:], shaSalt[:])
			for j := range acc {
				acc[j] ^= tmp[j]
			}
		}
		// The output is spread over the key, not concatenated.
		if amt > remaining {
			amt = remaining
		}
		i := 0
		for ; i < amt; i++ {
			dst := i*stride + (count - 1)
			if dst >= keyLen {
				break
			}
			out[dst] = acc[i]
		}
		remaining -= i
	}
	return out, nil
}

// bcryptMagic is encrypted 64 times in bcrypt_hash.
var bcryptMagic = []byte("OxychromaticBlowfishSwatDynamite")

// bcryptHash is bcrypt_pbkdf.c's bcrypt_hash: an expensive key schedule
// keyed by the hashed password and salt, then 64 ECB encryptions of the
// magic string, output as little-endian 32-bit words.
func bcryptHash(out *[bcryptHashSize]byte, shaPass, shaSalt []byte) {
	c, err := blowfish.NewSaltedCipher(shaPass, shaSalt)
	if err != nil {
		panic("hostkey: bcrypt_pbkdf: " + err.Error()) // unreachable: 64-byte key and salt
	}
	for i := 0; i < 64; i++ {
		blowfish.ExpandKey(shaSalt, c)
		blowfish.ExpandKey(shaPass, c)
	}
	var buf [bcryptHashSize]byte
	copy(buf[:], bcryptMagic)
	for i := 0; i < 64; i++ {
		for j := 0; j < bcryptHashSize; j += blowfish.BlockSize {
			c.Encrypt(buf[j:j+blowfish.BlockSize], buf[j:j+blowfish.BlockSize])
		}
	}
	for i := 0; i < bcryptHashSize; i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = buf[i+3], buf[i+2], buf[i+1], buf[i]
	}
}
