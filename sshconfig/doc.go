// Package sshconfig holds the grammar that ssh_config(5) and
// sshd_config(5) share, so that gossh, gosshd and library users read
// OpenSSH's files the same way.
//
// Today it has the PATTERNS of ssh_config(5): Wildcard matches one
// pattern of '*' and '?', and MatchList a comma-separated list with '!'
// negation, as OpenSSH's match_pattern and match_pattern_list. It
// imports no other sshstack module.
package sshconfig
