// Package gssauth implements GSS-API user authentication for SSH
// (RFC 4462, Sections 3 and 4) as plug-ins of package userauth, with the
// pure-Go Kerberos V5 mechanism of package gssapi.
//
// WithMIC and Keyex are the client userauth.Methods of "gssapi-with-mic"
// and "gssapi-keyex". On the server a Server holds the policy (acceptor
// credential, strict acceptor check, the principal-to-user mapping,
// K5LoginUserOK by default) and gives each connection a Session, whose
// Install adds both userauth.Handlers to a copy of the
// userauth.ServerConfig, and whose StoreDelegated and Cleanup write and
// remove the delegated credential once authentication has succeeded
// (see docs/gssapi-ssh.md).
//
// The package is apart from userauth so that a program that does not
// use GSS-API does not compile gokrb5; docs/decisions/0012-optional-parts.md
// says why.
//
// # Goroutines and contexts
//
// The package starts no goroutines: its Methods and Handlers run in the
// goroutine of userauth.Authenticate or userauth.Serve. Context tokens
// are exchanged with the KDC under the ctx of the call.
package gssauth
