package cipher

import (
	"fmt"
	"slices"
	"strings"
)

// ApplyModifiers returns the algorithm list that spec selects, with
// OpenSSH's semantics for the Ciphers and MACs keywords (ssh_config(5),
// kex_assemble_names):
//
//   - "" keeps defaults;
//   - "+a,b" appends a and b to defaults;
//   - "-a,b" removes a and b from defaults;
//   - "^a,b" puts a and b at the head of defaults;
//   - anything else replaces defaults.
//
// Names may be patterns with '*' and '?' wildcards. For "+", "^" and
// explicit lists, each pattern selects, in order, the matching names among
// defaults and the registered ciphers and MACs (Ciphers, MACs); for "-", it
// removes the matching names from defaults. Duplicates are dropped; unknown
// names that match nothing are ignored, as OpenSSH does. A wildcard never
// selects "none", which can only be named exactly. The result is a fresh
// slice; an empty result, an empty name or a negated ("!") pattern is
// ErrModifier. paramiko's disabled_algorithms corresponds to "-a,b".
func ApplyModifiers(defaults []string, spec string) ([]string, error) {
	all := slices.Concat(defaults, Ciphers(), MACs())
	if _, ok := LookupAlgorithm(None); ok {
		all = append(all, None)
	}
	return ApplyModifiersFrom(defaults, all, spec)
}

// ApplyModifiersFrom is ApplyModifiers with an explicit set of supported
// names, all, from which "+", "^" and explicit lists select. It serves
// lists that are not ciphers or MACs, such as key exchange methods.
func ApplyModifiersFrom(defaults, all []string, spec string) ([]string, error) {
	if spec == "" {
		return slices.Clone(defaults), nil
	}
	var list []string
	switch spec[0] {
	case '+':
		list = append(slices.Clone(defaults), strings.Split(spec[1:], ",")...)
	case '-':
		pats, err := patterns(spec[1:])
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(defaults))
		for _, n := range defaults {
			if !slices.ContainsFunc(pats, func(p string) bool { return matchName(p, n) }) {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: %q removes every algorithm", ErrModifier, spec)
		}
		return out, nil
	case '^':
		list = append(strings.Split(spec[1:], ","), defaults...)
	default:
		list = strings.Split(spec, ",")
	}
	if slices.Contains(list, "") {
		return nil, fmt.Errorf("%w: empty name in %q", ErrModifier, spec)
	}
	var out []string
	for _, p := range list {
		if strings.HasPrefix(p, "!") {
			return nil, fmt.Errorf("%w: negated pattern %q", ErrModifier, p)
		}
		for _, n := range all {
			if matchName(p, n) && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %q selects no supported algorithm", ErrModifier, spec)
	}
	return out, nil
}

// CheckNames reports, as ErrModifier, the first name in spec (a list as
// ApplyModifiers takes it) that is not among all, as ssh and sshd refuse
// a configuration naming an algorithm they do not have ("Bad SSH2 cipher
// spec"); ApplyModifiers itself ignores such names, as OpenSSH's
// kex_assemble_names does. Patterns with '*' or '?' are not checked, nor
// are the names of a "-" list, which may remove what is not there.
func CheckNames(all []string, spec string) error {
	if spec == "" || spec[0] == '-' {
		return nil
	}
	if spec[0] == '+' || spec[0] == '^' {
		spec = spec[1:]
	}
	for _, n := range strings.Split(spec, ",") {
		if !strings.ContainsAny(n, "*?") && !slices.Contains(all, n) {
			return fmt.Errorf("%w: unsupported algorithm %q", ErrModifier, n)
		}
	}
	return nil
}

func patterns(s string) ([]string, error) {
	pats := strings.Split(s, ",")
	for _, p := range pats {
		if p == "" || strings.HasPrefix(p, "!") {
			return nil, fmt.Errorf("%w: bad pattern %q", ErrModifier, p)
		}
	}
	return pats, nil
}

// matchName reports whether name matches the pattern p ('*' any run, '?'
// one character; OpenSSH match_pattern). Only an exact pattern selects
// "none".
func matchName(p, name string) bool {
	if name == None {
		return p == None
	}
	return glob(p, name)
}

func glob(p, s string) bool {
	// Iterative wildcard match with single-star backtracking: linear in
	// practice and without recursion on hostile input.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
