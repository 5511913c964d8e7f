package sshconfig

import "strings"

// Wildcard reports whether s matches pattern, in which '*' matches any
// run of bytes (also none) and '?' any one byte; every other byte
// matches itself (ssh_config(5), PATTERNS). It runs in time
// O(len(pattern) × len(s)), whatever the pattern, so a hostile pattern
// of many stars cannot stall the caller.
func Wildcard(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0 // the last '*' seen and where its run ends in s
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// MatchList reports whether s matches a comma-separated pattern list
// (ssh_config(5), PATTERNS): true when some pattern matches and no
// pattern prefixed with '!' does. match decides one pattern; nil means
// Wildcard. A list of only negated patterns matches nothing.
func MatchList(list, s string, match func(pattern, s string) bool) bool {
	if match == nil {
		match = Wildcard
	}
	ok := false
	for _, p := range strings.Split(list, ",") {
		if neg, found := strings.CutPrefix(p, "!"); found {
			if match(neg, s) {
				return false
			}
			continue
		}
		if match(p, s) {
			ok = true
		}
	}
	return ok
}
