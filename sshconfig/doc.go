// Package sshconfig holds the grammar that ssh_config(5) and
// sshd_config(5) share, so that gossh, gosshd and library users read
// OpenSSH's files the same way: lines split as OpenSSH's argv_split
// (SplitLine, Split, SplitMatch), Include with its glob and depth rules
// (Read, Parse), TIME FORMAT and byte sizes (ParseTime, ParseSize,
// ParseRekeyLimit), %-tokens (Expand, ExpandTilde) and PATTERNS
// (Wildcard, MatchList).
//
// Which keywords exist, and how Host and Match blocks are evaluated,
// are the caller's: a File is the lines of a file in order, with the
// lines of included files under their Include line. It imports no other
// sshstack module.
package sshconfig
