// Package gssapi is a GSS-API (RFC 2743 semantics, with a surface close
// to python-gssapi's) with a Kerberos V5 mechanism (RFC 4121, RFC 1964
// token framing) written in pure Go on github.com/jcmturner/gokrb5/v8.
// It uses no cgo and no MIT or Heimdal library, and knows nothing of SSH.
//
// # Names
//
// NewName imports a name with a name type (NameHostbasedService
// "service@host", NameUser, NameKerberosPrincipal, NameMachineUID,
// NameStringUID, NameAnonymous, NameExport). Canonicalize maps it to a
// Kerberos principal with the realm from krb5.conf's [domain_realm] and
// default_realm, without DNS (as MIT does with dns_canonicalize_hostname
// = false and rdns = false; with them true it does the DNS lookups MIT
// does). Export and NewName(…, NameExport) round-trip mechanism names
// (RFC 2743, Section 3.2); DisplayAs shows a principal in another name
// type's syntax.
//
// # Credentials
//
// AcquireCredential reads the initiator's TGT from a FILE: ccache
// (KRB5CCNAME), gets one with a password (AcquireOptions.Password) or a
// client keytab (KRB5_CLIENT_KTNAME), and loads the acceptor's keytab
// (KRB5_KTNAME). Credential.WriteCCache stores a credential, such as a
// delegated one, as an MIT version 4 cache that klist reads;
// Credential.Export and ImportCredential move one between processes.
// KDC exchanges (AS and TGS) run over TCP and honour the context passed
// to AcquireCredential and Step.
//
// # Contexts
//
// NewInitContext and NewAcceptContext create security contexts. Call
// Step with the peer's token (nil for the initiator's first call) and
// send back any returned token until Established reports true:
//
//	ic, _ := gssapi.NewInitContext(gssapi.HostbasedService("host", "server.example"), nil)
//	out, err := ic.Step(ctx, nil) // AP-REQ
//	// send out, receive the AP-REP into in
//	_, err = ic.Step(ctx, in)   // ic.Established() is now true
//
// "Continue needed" is not an error. After establishment, Flags, PeerName,
// Lifetime and DelegatedCredential describe the context, and GetMIC,
// VerifyMIC, Wrap, Unwrap, Encrypt, Decrypt and WrapSizeLimit protect
// messages with RFC 4121 tokens; Export and ImportContext move an
// established context to another process. Replay and sequence problems of
// authentic tokens are reported as *Error values with only supplementary
// status bits (ErrDuplicateToken, ErrOldToken, ErrUnseqToken, ErrGapToken);
// the message is still returned.
//
// # Errors
//
// Every error is an *Error carrying the RFC 2743 major status
// (Error.Major), the Kerberos minor status (Error.Minor, MIT's com_err
// code) and the RFC 4120 error code (Error.KrbCode). Test with errors.Is
// against the sentinels (ErrNoCred, ErrDefectiveToken, ErrBadSig, ...).
//
// # Configuration
//
// krb5.conf is read through gokrb5 from KRB5_CONFIG or /etc/krb5.conf on
// every call that needs it, unless a *Config is passed explicitly.
//
// Sub-package xsshgss adapts this package to golang.org/x/crypto/ssh's
// GSSAPIClient and GSSAPIServer.
//
// Not implemented: SPNEGO, SSPI, non-FILE ccache and keytab types,
// anonymous PKINIT, user-to-user, cross-realm TGT walks, RC4 (RFC 4757)
// tokens; see docs/layers/gssapi.md.
package gssapi
