package sshconfig

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrTime means a value is not in TIME FORMAT (sshd_config(5)).
var ErrTime = errors.New("sshconfig: invalid time value")

// ErrSize means a value is not a byte size (RekeyLimit).
var ErrSize = errors.New("sshconfig: bad number")

// maxTime is the largest time OpenSSH's convtime returns: INT_MAX
// seconds.
const maxTime = math.MaxInt32

// ParseTime parses OpenSSH's TIME FORMAT (sshd_config(5), misc.c
// convtime): numbers each followed by an optional unit s, m, h, d or w
// (either case; none means seconds), summed: "90", "90s", "2m",
// "1h30m", "1w", "10m5". Like convtime it takes leading blanks and a
// '+' before each number, refuses a negative one, and refuses a total
// over 2^31-1 seconds. "none" and other words are the caller's to
// handle; they are ErrTime here.
func ParseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrTime)
	}
	var total int64
	for rest := s; rest != ""; {
		rest = strings.TrimLeft(rest, " \t\n\v\f\r")
		rest = strings.TrimPrefix(rest, "+")
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%w: %q", ErrTime, s)
		}
		var n int64
		for _, c := range rest[:i] {
			if n = n*10 + int64(c-'0'); n > maxTime {
				return 0, fmt.Errorf("%w: %q too large", ErrTime, s)
			}
		}
		mult := int64(1)
		if i < len(rest) {
			switch rest[i] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 60 * 60
			case 'd', 'D':
				mult = 24 * 60 * 60
			case 'w', 'W':
				mult = 7 * 24 * 60 * 60
			default:
				return 0, fmt.Errorf("%w: %q", ErrTime, s)
			}
			i++
		}
		if n > maxTime/mult || total > maxTime-n*mult {
			return 0, fmt.Errorf("%w: %q too large", ErrTime, s)
		}
		total += n * mult
		rest = rest[i:]
	}
	return time.Duration(total) * time.Second, nil
}

// ParseSize parses a byte size as OpenSSH's scan_scaled (RekeyLimit):
// an optionally signed decimal number, with an optional fraction,
// then optionally one of B, K, M, G, T, P, E (either case; powers of
// 1024): "4096", "500M", "1.5K" (1536), "1G". Without a unit a
// fraction is dropped. Values beyond int64 are ErrSize.
func ParseSize(s string) (int64, error) {
	bad := func() (int64, error) { return 0, fmt.Errorf("%w: %q", ErrSize, s) }
	p := strings.TrimLeft(s, " \t\n\v\f\r")
	sign := int64(1)
	if p != "" && (p[0] == '+' || p[0] == '-') {
		if p[0] == '-' {
			sign = -1
		}
		p = p[1:]
	}
	var whole, frac, fracScale uint64 = 0, 0, 1
	digits, inFrac := 0, false
	for p != "" {
		c := p[0]
		switch {
		case c >= '0' && c <= '9' && inFrac:
			if fracScale < 1e17 { // further digits do not change the result
				frac, fracScale = frac*10+uint64(c-'0'), fracScale*10
			}
		case c >= '0' && c <= '9':
			if whole > (math.MaxInt64-uint64(c-'0'))/10 {
				return bad()
			}
			whole = whole*10 + uint64(c-'0')
			digits++
		case c == '.' && !inFrac:
			inFrac = true
		default:
			i := strings.IndexByte("BKMGTPE", c&^0x20)
			if i < 0 || len(p) > 1 || (digits == 0 && !inFrac) {
				return bad()
			}
			mult := uint64(1) << (10 * i)
			if whole > math.MaxInt64/mult {
				return bad()
			}
			var f uint64
			if frac != 0 && mult > math.MaxUint64/frac {
				f = uint64(float64(frac) / float64(fracScale) * float64(mult))
			} else {
				f = frac * mult / fracScale
			}
			if whole*mult > math.MaxInt64-f {
				return bad()
			}
			return sign * int64(whole*mult+f), nil
		}
		p = p[1:]
	}
	if digits == 0 {
		return bad()
	}
	return sign * int64(whole), nil
}

// ParseRekeyLimit parses the arguments of RekeyLimit (ssh_config(5),
// sshd_config(5)) as ssh and sshd do: a byte size (ParseSize) of at
// least 16, 0, or "default" (both 0); then optionally a time
// (ParseTime) or "none" (0). Zero means the caller's default.
func ParseRekeyLimit(args []string) (bytes uint64, interval time.Duration, err error) {
	if len(args) == 0 || args[0] == "" {
		return 0, 0, fmt.Errorf("%w: missing argument", ErrSize)
	}
	if len(args) > 2 {
		return 0, 0, fmt.Errorf("%w: extra arguments %q", ErrSize, args[2:])
	}
	if args[0] != "default" {
		n, err := ParseSize(args[0])
		if err != nil {
			return 0, 0, err
		}
		if n != 0 && n < 16 {
			return 0, 0, fmt.Errorf("%w: RekeyLimit %q too small", ErrSize, args[0])
		}
		bytes = uint64(n)
	}
	if len(args) == 2 && args[1] != "none" {
		if interval, err = ParseTime(args[1]); err != nil {
			return 0, 0, err
		}
	}
	return bytes, interval, nil
}
