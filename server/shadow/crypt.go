package shadow

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrMismatch means the password does not match the hash.
	ErrMismatch = errors.New("shadow: password does not match")
	// ErrFormat means a hash string or shadow line is malformed.
	ErrFormat = errors.New("shadow: malformed hash")
	// ErrUnsupported means the hash is in a crypt(3) format this
	// package does not compute, or is not a hash at all ("*", "x").
	ErrUnsupported = errors.New("shadow: unsupported hash format")
	// ErrCost means the hash asks for more memory or rounds than this
	// package allows (MaxRounds, MaxYescryptMemory).
	ErrCost = errors.New("shadow: hash cost beyond limits")
	// ErrLocked means the hash field starts with "!", the mark that
	// passwd -l and usermod -L put in front of a locked account's hash.
	ErrLocked = errors.New("shadow: account is locked")
)

// MaxPasswordLen is the longest password Crypt and Verify accept, the
// cap of docs/security.md#a8; sha-crypt's work grows with the square of
// the password's length.
const MaxPasswordLen = 1024

// Verify reports whether password matches hash, a crypt(3) string from
// the second field of /etc/shadow. It returns nil on a match and
// ErrMismatch otherwise; ErrLocked for a locked hash ("!..."),
// ErrUnsupported for formats it does not compute (and "*", "x"), and
// errors wrapping ErrFormat or ErrCost for hashes it refuses to compute.
// An empty hash matches only the empty password, as in crypt(3)
// callers such as sshd; whether an empty password may log in at all
// (PermitEmptyPasswords) is for the caller to decide.
func Verify(hash, password string) error {
	if hash == "" {
		if password == "" {
			return nil
		}
		return ErrMismatch
	}
	if strings.HasPrefix(hash, "!") {
		return ErrLocked
	}
	got, err := Crypt(password, hash)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(hash)) != 1 {
		return ErrMismatch
	}
	return nil
}

// Crypt computes the crypt(3) string of password with setting, which is
// either a setting ("$6$salt", "$y$j9T$salt") or a whole hash whose
// setting part is used, as crypt(3) does. The result for a hash is that
// hash exactly when the password matches.
func Crypt(password, setting string) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("shadow: password longer than %d bytes", MaxPasswordLen)
	}
	switch {
	case strings.HasPrefix(setting, sha512Prefix):
		return shaCrypt(&sha512Crypt, password, setting)
	case strings.HasPrefix(setting, sha256Prefix):
		return shaCrypt(&sha256Crypt, password, setting)
	case strings.HasPrefix(setting, yescryptPrefix):
		return yescryptCrypt(password, setting)
	}
	return "", ErrUnsupported
}

// itoa64 is crypt(3)'s base-64 alphabet, shared by sha-crypt and
// yescrypt: value 0 is '.', 63 is 'z'.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// atoi64 is the inverse of itoa64, or 64 for a byte outside it.
func atoi64(c byte) uint32 {
	switch {
	case c == '.' || c == '/':
		return uint32(c - '.')
	case c >= '0' && c <= '9':
		return uint32(c-'0') + 2
	case c >= 'A' && c <= 'Z':
		return uint32(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return uint32(c-'a') + 38
	}
	return 64
}

// appendB64 appends the n low 6-bit groups of w, least significant
// first, as both formats write their digests.
func appendB64(dst []byte, w uint32, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, itoa64[w&0x3f])
		w >>= 6
	}
	return dst
}
