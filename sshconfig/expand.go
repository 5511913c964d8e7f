package sshconfig

import (
	"errors"
	"fmt"
	"strings"
)

// ErrToken means a string has a %-token that the keyword does not
// take, or a '%' at its end.
var ErrToken = errors.New("sshconfig: unknown key")

// A TokenError is the ErrToken of one token.
type TokenError struct {
	Token byte // 0 for a '%' at the end of the string
}

func (e *TokenError) Error() string {
	if e.Token == 0 {
		return "sshconfig: invalid format: '%' at end of string"
	}
	return fmt.Sprintf("sshconfig: unknown key %%%c", e.Token)
}

func (e *TokenError) Unwrap() error { return ErrToken }

// Expand replaces the %-tokens of s (ssh_config(5) and sshd_config(5),
// TOKENS) as OpenSSH's percent_expand (misc.c) does: "%%" is a '%',
// "%c" is tokens['c'], and a token that is not in tokens, or a '%' at
// the end, is a *TokenError naming it. The replacement text is not
// expanded again.
func Expand(s string, tokens map[byte]string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", &TokenError{}
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := tokens[s[i]]
		if !ok {
			return "", &TokenError{Token: s[i]}
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
