// Package gsskex implements GSS-API authenticated key exchange for SSH
// (RFC 4462, Section 2; RFC 8732) as kex.Method plug-ins, with the pure-Go
// Kerberos V5 mechanism of package gssapi.
//
// # Methods
//
// A method name is a family prefix followed by the base64 of the MD5 of
// the DER-encoded mechanism OID (RFC 4462, Section 2.1); for Kerberos V5
// the suffix is "toWM5Slw5Ew8Mqkay+al2g==" (KerberosSuffix). The families
// are
//
//   - gss-curve25519-sha256-, gss-nistp256-sha256-, gss-group14-sha256-
//     and gss-group16-sha512- (RFC 8732), the default (DefaultFamilies);
//   - gss-nistp384-sha384-, gss-nistp521-sha512-, gss-group15-sha512-,
//     gss-group17-sha512- and gss-group18-sha512- (RFC 8732), off by
//     default as in OpenSSH (ExtraFamilies);
//   - gss-group14-sha1-, gss-group1-sha1- and gss-gex-sha1- (RFC 4462),
//     off by default (LegacyFamilies).
//
// Families lists them all. OpenSSHFamilies is the default of Debian's
// OpenSSH 9.2, which adds gss-group14-sha1- and gss-gex-sha1- to the
// RFC 8732 defaults; the gossh and gosshd commands use it, so that they
// reach SHA-1-only peers such as paramiko as ssh and sshd do.
// gss-curve448-sha512- (RFC 8732, Section 4) is not implemented: the
// standard library has no X448.
//
// New returns the method of one family for a Config; Methods returns
// several. They are not registered in the kex registry: credentials and
// the callback live on the Config, so each configuration (and, on a
// server that needs the context for gssapi-keyex, each connection) gets
// its own values in kex.Config.Methods.
//
// # The exchange
//
// The client builds the target "host@" + kex.Params.ServerName (or
// Config.ServerIdentity), creates an initiator context with mutual
// authentication and integrity, and sends KEXGSS_INIT with its first token
// and ephemeral value; KEXGSS_CONTINUE goes back and forth until the
// server's context is established; the server then sends KEXGSS_COMPLETE
// with its ephemeral value, a MIC over the exchange hash H and its last
// token. The client checks the MIC over the H it computed itself, on the
// first exchange and on every rekey (each exchange has its own context and
// its own H; the session identifier is never the MIC's data,
// docs/security.md#g8). The methods implement kex.HostKeyOptional, so
// "null" may be the negotiated host key algorithm. A server sends
// KEXGSS_HOSTKEY only with Config.SendHostKey (OpenSSH 9.2's ssh and
// paramiko 2.12 fail on it); a client accepts it, hashes it into H as K_S
// and reports it as kex.Result.HostKey, but does not check it: the MIC
// authenticates the server. KEXGSS_ERROR from the peer ends the exchange
// with a *KexError. Ephemeral values are validated as package kex does:
// X25519 keys of 32 bytes with a non-zero secret, uncompressed NIST points
// on the curve, DH values in [2, p-2]; failures wrap
// kex.ErrInvalidPublicValue.
//
// Config.Established receives the context of every completed exchange;
// a ContextHolder keeps the first, which is what gssapi-keyex user
// authentication (package userauth) signs with, as OpenSSH does.
package gsskex
