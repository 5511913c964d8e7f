// Package hostkey will hold SSH public-key algorithms and signatures
// (RFC 4253, Section 6.6; RFC 5656; RFC 8332; RFC 8709), OpenSSH
// certificates (PROTOCOL.certkeys), private and public key files,
// known_hosts, authorized_keys and fingerprints. Not implemented yet.
package hostkey
