// Package cipher will hold SSH packet protection algorithms behind a small
// plug-in interface and a registry: aes-ctr, aes-gcm@openssh.com,
// chacha20-poly1305@openssh.com, hmac-sha2-*(-etm@openssh.com) and the
// legacy CBC and SHA-1 algorithms (off by default), as RFC 4253,
// Section 6.3-6.4, RFC 4344, RFC 5647, RFC 6668 and OpenSSH's PROTOCOL
// files define them. Not implemented yet.
package cipher
