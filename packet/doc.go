// Package packet implements the SSH transport's lowest layer: the version
// exchange (RFC 4253, Section 4.2) and the binary packet protocol
// (RFC 4253, Section 6) over a net.Conn, giving a wire.Transport.
//
// A [Conn] starts unprotected. The key exchange (package kex) drives it:
//
//   - [Conn.ExchangeVersions] sends and reads the identification strings;
//   - [Conn.WritePacket] and [Conn.ReadPacket] carry KEXINIT and the method's
//     messages;
//   - at SSH_MSG_NEWKEYS, [Conn.WriteNewKeys] (or WritePacket then
//     [Conn.SetWriteKeys]) switches the send direction, and
//     [Conn.SetReadKeys], called after ReadPacket returned NEWKEYS, switches
//     the receive direction. [Keys] names the negotiated cipher and MAC
//     (looked up in package cipher's registry) and carries the derived key
//     material; Keys.ResetSeq restarts the sequence number for strict kex;
//   - [Conn.SetInitialKex] makes a sequence-number wrap fatal while the
//     initial key exchange runs; [Conn.ReadCounters] and
//     [Conn.WriteCounters] feed rekeying decisions;
//   - [Conn.SetSessionID] records the session identifier for SessionID.
//
// # Protection modes
//
// Classic ciphers with a MAC (RFC 4253, Sections 6.3-6.4: MAC over the
// sequence number and the plaintext packet, then encryption of the whole
// packet), encrypt-then-MAC (OpenSSH PROTOCOL, Section 1.5: length in the
// clear, MAC over the ciphertext), AES-GCM (RFC 5647 with OpenSSH's names,
// PROTOCOL Section 1.6: length in the clear as additional data) and
// chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305: length
// encrypted with its own key, tag verified before decryption).
//
// # Limits and errors
//
// packet_length is checked against the maximum (256 KiB by default, never
// below 35000), the minimum and the block alignment as soon as its first
// bytes arrive, before the packet is buffered ([ErrLength]). The MAC or tag
// is compared in constant time before the payload is used ([ErrMAC]); the
// padding must be at least 4 bytes and leave a payload ([ErrPadding]).
// Every read error is fatal: the first one sticks, the Conn sends a
// best-effort DISCONNECT (MAC_ERROR for ErrMAC, PROTOCOL_ERROR for framing
// errors) and closes the net.Conn.
//
// # Performance
//
// Reads are buffered so that a packet usually arrives in one read, and
// each packet is written with one write. While a TCP connection waits for
// its next packet the Conn holds no read buffer (it waits on the socket
// itself), so connections that sit idle before authentication stay small
// (docs/security.md#r1). In steady state WritePacket and
// ReadPacket allocate nothing: the Conn owns its buffers, and the payload
// ReadPacket returns is valid only until the next call. No goroutine is
// started per packet; ExchangeVersions alone runs its write concurrently
// and waits for it.
//
// # Compression
//
// Keys.Compression selects "zlib" (RFC 4253, Section 6.2), which starts
// with the keys, or "zlib@openssh.com" (OpenSSH PROTOCOL, Section 1.2),
// which starts after user authentication: a client Conn switches as it
// decodes SSH_MSG_USERAUTH_SUCCESS, a server Conn arms its inflater before
// writing SUCCESS and compresses from the packet after it, so no layer
// above needs to call [Conn.EnableDelayedCompression]. Each packet's
// compressed payload ends with a sync flush; incoming packets are inflated
// by a streaming decoder that also accepts the partial flushes OpenSSH
// sends, and a payload that inflates past the maximum packet size is
// [ErrCompression]. As in OpenSSH, both streams restart at every key
// change. Compression allocates, unlike the uncompressed hot path.
package packet
