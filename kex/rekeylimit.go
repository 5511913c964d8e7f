package kex

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrRekeyLimit means a RekeyLimit or time value could not be parsed.
var ErrRekeyLimit = errors.New("kex: bad rekey limit")

// ParseTime parses OpenSSH's TIME FORMAT (sshd_config(5)): numbers each
// followed by an optional unit s, m, h, d or w (either case; none means
// seconds), summed: "90", "90s", "2m", "1h30m", "1w". It is RekeyLimit's
// time part; gossh and gosshd read their other time keywords
// (ConnectTimeout, LoginGraceTime, ClientAliveInterval, ...) with it
// too.
func ParseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty time", ErrRekeyLimit)
	}
	var total time.Duration
	for rest := strings.ToLower(s); rest != ""; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%w: time %q", ErrRekeyLimit, s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: time %q", ErrRekeyLimit, s)
		}
		unit := time.Second
		if i < len(rest) {
			switch rest[i] {
			case 's':
			case 'm':
				unit = time.Minute
			case 'h':
				unit = time.Hour
			case 'd':
				unit = 24 * time.Hour
			case 'w':
				unit = 7 * 24 * time.Hour
			default:
				return 0, fmt.Errorf("%w: time %q", ErrRekeyLimit, s)
			}
			i++
		}
		if n > int64(math.MaxInt64-total)/int64(unit) {
			return 0, fmt.Errorf("%w: time %q too large", ErrRekeyLimit, s)
		}
		total += time.Duration(n) * unit
		rest = rest[i:]
	}
	return total, nil
}

// ParseRekeyLimit parses the value of OpenSSH's RekeyLimit
// (ssh_config(5), sshd_config(5)): a data size in bytes with an optional
// K, M or G suffix, or "default"; then optionally a time (ParseTime),
// "none" or "default". Zero in either result means Config's default
// (RekeyBytes, RekeyInterval).
func ParseRekeyLimit(s string) (bytes uint64, interval time.Duration, err error) {
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 2 {
		return 0, 0, fmt.Errorf("%w: %q", ErrRekeyLimit, s)
	}
	if f[0] != "default" && f[0] != "none" {
		v, mult := f[0], uint64(1)
		switch strings.ToUpper(v[len(v)-1:]) {
		case "K":
			mult, v = 1<<10, v[:len(v)-1]
		case "M":
			mult, v = 1<<20, v[:len(v)-1]
		case "G":
			mult, v = 1<<30, v[:len(v)-1]
		}
		n, perr := strconv.ParseUint(v, 10, 64)
		if perr != nil || n > math.MaxUint64/mult {
			return 0, 0, fmt.Errorf("%w: size %q", ErrRekeyLimit, f[0])
		}
		bytes = n * mult
	}
	if len(f) == 2 && f[1] != "none" && f[1] != "default" {
		if interval, err = ParseTime(f[1]); err != nil {
			return 0, 0, err
		}
	}
	return bytes, interval, nil
}
