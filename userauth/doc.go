// Package userauth will implement SSH user authentication on both sides
// (RFC 4252; keyboard-interactive, RFC 4256; gssapi-with-mic and
// gssapi-keyex, RFC 4462, Section 3): client auth sources and strategies
// and a server auth policy, over a wire.Transport. Not implemented yet.
package userauth
