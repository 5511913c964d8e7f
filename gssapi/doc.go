// Package gssapi will be a standalone GSS-API (RFC 2743 semantics) with a
// pure-Go Kerberos V5 mechanism (RFC 4121) built on gokrb5. It knows
// nothing of SSH. Not implemented yet.
package gssapi
