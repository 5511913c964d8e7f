// Package shadow checks passwords the way sshd does without PAM: it reads
// a user's entry from /etc/shadow (shadow(5)) and verifies a password
// against its crypt(3) hash.
//
// Verify knows the formats Debian writes: yescrypt ("$y$", Debian 12's
// default), sha512-crypt ("$6$") and sha256-crypt ("$5$"). Each is
// computed in Go from its specification: sha-crypt from Ulrich Drepper's
// "Unix crypt using SHA-256 and SHA-512", yescrypt from the yescrypt
// reference (whose "$y$" encoding libxcrypt uses). Other formats (MD5,
// DES, bcrypt, scrypt "$7$") give ErrUnsupported, and a password never
// matches them.
//
// A hash string comes from a file root writes, but it is still parsed as
// hostile input: a malformed string gives an error wrapping ErrFormat,
// never a panic, and cost parameters beyond the largest that libxcrypt's
// crypt_gensalt produces (yescrypt: 1 GiB, sha-crypt: MaxRounds rounds)
// give ErrCost before any work is done, so one line cannot make a login
// attempt take unbounded memory or time. At most GOMAXPROCS yescrypt
// computations run at once (the others wait), so concurrent attempts
// hold only that many of its memory arrays.
//
// The result is compared in constant time: Verify recomputes the whole
// hash string from the password and the stored setting and compares it
// with subtle.ConstantTimeCompare, as crypt(3) callers compare strings.
package shadow
