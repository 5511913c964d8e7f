// Package sshfp checks an SSH host key against the SSHFP resource
// records of DNS (RFC 4255; RFC 6594 for SHA-256 and ECDSA, RFC 7479
// for Ed25519), as OpenSSH's VerifyHostKeyDNS does.
//
// A Resolver sends one query for the SSHFP records of a name over UDP
// (and again over TCP when the answer is truncated) to the nameservers
// of resolv.conf (ReadResolvConf), and returns an Answer: the records
// and whether the resolver vouched for them with the AD bit (RFC 4035,
// Section 3.2.3). The AD bit is believed only when the Resolver says
// TrustAD, which ReadResolvConf sets from "options trust-ad" as glibc
// does: an AD bit on an unauthenticated path to a resolver proves
// nothing. Verify compares the records with a key (Records computes
// them) and reports OpenSSH's three flags: records were found, one
// matched, and the answer was validated.
//
// Every message from the network is parsed with bounded sizes
// (MaxMessage) and a response that does not answer the question asked
// (ID, question, source) is ignored; ParseRecord and the response
// decoder fail with an error, never a panic. Lookup takes a context and
// stops at its deadline or at Resolver.Timeout per attempt.
package sshfp
