// Package kex will implement SSH algorithm negotiation and key exchange
// (RFC 4253, Sections 7-9): KEXINIT negotiation, the key exchange methods,
// exchange hash and key derivation, strict kex (OpenSSH PROTOCOL),
// extension negotiation (RFC 8308), rekeying (RFC 4344) and GSS-API key
// exchange (RFC 4462, Section 2; RFC 8732), yielding a secure
// wire.Transport. Not implemented yet.
package kex
