package shadow

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// sha-crypt, from Ulrich Drepper's "Unix crypt using SHA-256 and
// SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt), with
// libxcrypt's stricter reading of the rounds= field (no leading zero,
// out-of-range values refused rather than clamped), which is what
// Debian's crypt(3) does.

const (
	sha256Prefix = "$5$"
	sha512Prefix = "$6$"
	roundsPrefix = "rounds="

	shaDefaultRounds = 5000
	shaMinRounds     = 1000
	shaMaxRounds     = 999999999 // the spec's limit; MaxRounds is ours
	shaMaxSalt       = 16
)

// MaxRounds is the most sha-crypt rounds Verify computes; a hash asking
// for more gives ErrCost. The spec allows up to 999999999 (minutes of
// CPU per attempt); no Debian tool writes more than the default 5000
// unless told to, and ten million take seconds.
const MaxRounds = 10_000_000

// A shaVariant is sha256-crypt or sha512-crypt.
type shaVariant struct {
	prefix string
	newH   func() hash.Hash
	size   int
	// order lists the digest bytes in the order the spec encodes them,
	// three at a time (high byte first) and then the remainder.
	order []int
}

var sha512Crypt = shaVariant{sha512Prefix, sha512.New, sha512.Size, []int{
	0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48,
	28, 49, 7, 50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13,
	56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41,
	63,
}}

var sha256Crypt = shaVariant{sha256Prefix, sha256.New, sha256.Size, []int{
	0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26,
	27, 7, 17, 18, 28, 8, 9, 19, 29,
	31, 30,
}}

// shaSetting is the parsed part of a "$5$"/"$6$" string before the digest.
type shaSetting struct {
	rounds int
	custom bool // rounds= was given, and is written back
	salt   string
}

// parseSHASetting reads "[rounds=N$]salt[$...]" after the prefix.
func parseSHASetting(s string) (shaSetting, error) {
	st := shaSetting{rounds: shaDefaultRounds}
	if rest, ok := strings.CutPrefix(s, roundsPrefix); ok {
		num, after, found := strings.Cut(rest, "$")
		if !found || num == "" || num[0] < '1' || num[0] > '9' {
			return st, fmt.Errorf("%w: sha-crypt rounds", ErrFormat)
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil || n < shaMinRounds || n > shaMaxRounds {
			return st, fmt.Errorf("%w: sha-crypt rounds %q", ErrFormat, num)
		}
		if n > MaxRounds {
			return st, fmt.Errorf("%w: %d sha-crypt rounds, at most %d", ErrCost, n, MaxRounds)
		}
		st.rounds, st.custom, s = int(n), true, after
	}
	end := strings.IndexAny(s, "$:\n")
	if end < 0 {
		end = len(s)
	} else if s[end] != '$' {
		return st, fmt.Errorf("%w: sha-crypt salt", ErrFormat)
	}
	st.salt = s[:min(end, shaMaxSalt)]
	return st, nil
}

// shaCrypt computes the whole hash string for password and setting.
func shaCrypt(v *shaVariant, password, setting string) (string, error) {
	st, err := parseSHASetting(setting[len(v.prefix):])
	if err != nil {
		return "", err
	}
	digest := v.digest([]byte(password), []byte(st.salt), st.rounds)
	out := []byte(v.prefix)
	if st.custom {
		out = append(out, roundsPrefix...)
		out = strconv.AppendInt(out, int64(st.rounds), 10)
		out = append(out, '$')
	}
	out = append(out, st.salt...)
	out = append(out, '$')
	return string(v.encode(out, digest)), nil
}

// digest is steps 1-21 of the spec: the digest after the rounds.
func (v *shaVariant) digest(key, salt []byte, rounds int) []byte {
	h := v.newH()
	sum := func() []byte { b := h.Sum(nil); h.Reset(); return b }
	// repeat writes n bytes of the endless repetition of block.
	repeat := func(block []byte, n int) {
		for ; n > len(block); n -= len(block) {
			h.Write(block)
		}
		h.Write(block[:n])
	}

	// Digest B: key, salt, key.
	h.Write(key)
	h.Write(salt)
	h.Write(key)
	b := sum()

	// Digest A: key, salt, len(key) bytes of B, then per bit of
	// len(key) from the lowest: B for a one, the key for a zero.
	h.Write(key)
	h.Write(salt)
	repeat(b, len(key))
	for n := len(key); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(key)
		}
	}
	a := sum()

	// Sequence P: the digest of the key written len(key) times,
	// repeated to len(key) bytes.
	for range len(key) {
		h.Write(key)
	}
	p := stretch(sum(), len(key))

	// Sequence S: the digest of the salt written 16+A[0] times,
	// repeated to len(salt) bytes.
	for range 16 + int(a[0]) {
		h.Write(salt)
	}
	s := stretch(sum(), len(salt))

	// The rounds.
	c := a
	for i := range rounds {
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0]) // c was consumed by Write above
		h.Reset()
	}
	return c
}

// stretch repeats d to n bytes.
func stretch(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}

// encode appends the digest in the spec's byte order and base 64.
func (v *shaVariant) encode(dst, d []byte) []byte {
	o := v.order
	for ; len(o) >= 3; o = o[3:] {
		dst = appendB64(dst, uint32(d[o[0]])<<16|uint32(d[o[1]])<<8|uint32(d[o[2]]), 4)
	}
	switch len(o) {
	case 1: // sha512: one byte, two characters
		dst = appendB64(dst, uint32(d[o[0]]), 2)
	case 2: // sha256: two bytes, three characters
		dst = appendB64(dst, uint32(d[o[0]])<<8|uint32(d[o[1]]), 3)
	}
	return dst
}
