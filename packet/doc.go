// Package packet will implement the SSH version exchange (RFC 4253,
// Section 4.2) and the binary packet protocol (RFC 4253, Section 6):
// framing, padding, MAC and AEAD protection, sequence numbers, counters
// for rekeying and optional zlib@openssh.com compression, giving a
// wire.Transport over a net.Conn. Not implemented yet.
package packet
