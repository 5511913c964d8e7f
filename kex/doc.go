// Package kex implements SSH algorithm negotiation and key exchange
// (RFC 4253, Sections 7-9): KEXINIT negotiation, the key exchange methods,
// the exchange hash and key derivation.
//
// # Methods
//
// A [Method] is one kex_algorithms entry, held in a registry by name
// ([Register], [Lookup], [Methods]). Registered by default, client and
// server side each:
//
//   - mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex; ML-KEM-768
//     from crypto/mlkem), sntrup761x25519-sha512 and its
//     @openssh.com alias (Streamlined NTRU Prime 761, implemented in pure
//     Go in this module);
//   - curve25519-sha256 and curve25519-sha256@libssh.org (RFC 8731);
//   - ecdh-sha2-nistp256/384/521 (RFC 5656), registered but not in
//     [DefaultMethods];
//   - diffie-hellman-group14-sha256, group16-sha512, group18-sha512
//     (RFC 8268) and the legacy group14-sha1 and group1-sha1;
//   - diffie-hellman-group-exchange-sha256 and the legacy -sha1 (RFC 4419,
//     see [GroupExchange]).
//
// Every method validates the peer's ephemeral value before use: DH values
// must lie in [2, p-2], NIST points must be uncompressed points on the
// curve, X25519 keys must be 32 bytes and must not yield an all-zero
// secret, and KEM keys and ciphertexts must have their exact lengths.
// Failures wrap [ErrInvalidPublicValue].
//
// # Writing a method
//
// A method implements Name and Run. Run receives a [Conn] that carries only
// the method's own messages (numbers 30-49; the transport has already
// handled IGNORE, DEBUG, DISCONNECT, a wrong first_kex_packet_follows
// guess and strict kex) and [Params] with the role, V_C, V_S, I_C, I_S,
// the negotiated host key algorithm and either the server's
// [HostKeySigner] or the client's [HostKeyVerifier]. It may exchange any
// number of messages, and returns a [Result]: the encoded shared secret K,
// the exchange hash H (use [Params.ExchangeHash]) and the hash function
// for key derivation.
//
// The GSS-API key exchange methods (RFC 4462, Section 2; RFC 8732) fit as
// follows. Their Run loops on KEXGSS_INIT / KEXGSS_CONTINUE until the
// security context is established, however many round trips the
// mechanism needs, reading each token from Conn; the server sends
// KEXGSS_COMPLETE with a MIC over H, and the client verifies that MIC
// instead of (or, with KEXGSS_HOSTKEY, as well as) a host key signature.
// Such a method implements [HostKeyOptional] so that negotiation accepts
// the "null" host key algorithm for it, returns a nil Result.HostKey when
// no host key was sent, and calls Params.ExchangeHash with a nil host key
// (an empty K_S string). Credentials and the target name belong on the
// method value (Params.ServerName gives the dialled host); the MIC must
// be over the H of the current exchange on every rekey, never the session
// identifier (docs/security.md#g8).
//
// # Negotiation and keys
//
// [Negotiate] applies RFC 4253, Section 7.1: in each category the first
// client algorithm the server also lists; a kex method only when a
// suitable host key algorithm is common; no MAC for AEAD ciphers; the
// ext-info and kex-strict markers ([IsMarker]) never chosen. A category
// with nothing in common is a [*NegotiationError] wrapping
// [ErrNoCommonAlgorithm], to be sent as DISCONNECT KEY_EXCHANGE_FAILED.
// [GuessMatches] decides whether a first_kex_packet_follows guess stands.
//
// [DeriveKey] and [Result.Keys] derive IVs, encryption keys and integrity
// keys per RFC 4253, Section 7.2, extending with K || H || K1 || ... when
// more bytes are needed. The session identifier is the H of the first
// exchange; the caller keeps it.
//
// Methods are safe for concurrent use; every Run has its own state.
//
// # The transport
//
// [ClientHandshake] and [ServerHandshake] take a fresh *packet.Conn, run
// the version exchange and the first key exchange in the caller's
// goroutine, and return a [*Transport]: a wire.Transport that stays
// secure across rekeys. Configuration is a [Config]: methods, host key
// algorithms, ciphers and MACs, the server's [HostKey]s ([NewHostKey]
// adapts a hostkey.Signer) or the client's [HostKeyVerifier]
// ([NewHostKeyVerifier] wraps a known_hosts-style [HostKeyCallback]),
// rekey limits, EXT_INFO contents.
//
// The handshake is straight-line code: send KEXINIT, read the peer's,
// negotiate, run the method, send NEWKEYS and switch the send keys, read
// NEWKEYS and switch the receive keys. Strict kex (OpenSSH PROTOCOL,
// Section 1.9) is on by default: when both first KEXINITs carry the
// marker, the peer's KEXINIT must be its first packet, nothing but kex
// messages may arrive until NEWKEYS ([ErrStrictKex], DISCONNECT
// PROTOCOL_ERROR), and sequence numbers restart at every NEWKEYS. Markers
// in later KEXINITs are ignored. A non-strict peer may send IGNORE, DEBUG
// and UNIMPLEMENTED before and during the exchange.
//
// EXT_INFO (RFC 8308) is sent by the server right after its first
// NEWKEYS when the client listed ext-info-c ([DefaultServerExtensions]:
// server-sig-algs, publickey-hostbound@openssh.com, ping@openssh.com), and
// by the client when the server listed ext-info-s and Config.Extensions is
// set. It is accepted only as the first packet after the first NEWKEYS
// and, on the client, once more immediately before USERAUTH_SUCCESS;
// anywhere else it is fatal. [Transport.PeerExtensions] and
// [Transport.ServerSigAlgs] expose it.
//
// After the handshake [Transport.ReadPacket] reads in its caller's
// goroutine: it runs the exchanges the peer starts, drops IGNORE and
// DEBUG, answers PING after authentication and unrecognized numbers with
// UNIMPLEMENTED, rejects NEWKEYS and method messages outside an exchange
// and a second KEXINIT inside one ([ErrUnexpectedMessage]), and returns
// everything else. CHANNEL_DATA and CHANNEL_EXTENDED_DATA come straight
// out of the packet layer's buffer, decrypted in place, valid until the
// next ReadPacket; other payloads are copies. Key exchanges start when
// the peer sends KEXINIT, on [Transport.Rekey], after Config.RekeyBytes
// in either direction (default by RFC 4344, Section 3.2), after 2^31
// packets, or when Config.RekeyInterval (default one hour) has passed at
// the next packet. From our KEXINIT to our NEWKEYS,
// [Transport.WritePacket] queues at most [MaxPendingPackets] payloads and
// then blocks (CVE-2025-22869); nothing is buffered without limit.
//
// Writes are serialised by a lock of their own, the only one held across
// a network write, so a writer the peer holds up blocks other writers
// but not the reader, Close or the accessors; answers the reader owes the
// peer wait for that write instead of blocking the reader. While an
// exchange of ours runs and no goroutine is in ReadPacket, a short-lived
// helper goroutine reads for it until it ends, keeping what arrives for
// the next ReadPacket (at most [MaxHeldDuringRekey]): queued writes go
// out and a blocked WritePacket or Rekey returns even if nobody reads.
// What the peer starts (its KEXINIT, PING, unrecognized messages) waits
// for a ReadPacket call: keep a goroutine in ReadPacket, as the
// connection layer does. No goroutine runs while no exchange does.
//
// Errors are typed and the first one sticks. On a fatal error the
// Transport sends DISCONNECT with the reason [DisconnectReasonFor] gives
// (KEY_EXCHANGE_FAILED for [ErrNoCommonAlgorithm] and invalid public
// values, HOST_KEY_NOT_VERIFIABLE for [ErrHostKey], PROTOCOL_ERROR for
// strict-kex and phase violations) and closes; a DISCONNECT from the peer
// comes back as a *wire.DisconnectError. [Transport.Close] is idempotent
// and returns after the helper, if one runs, has exited.
//
// The net.Conn under the packet.Conn must buffer writes (TCP does):
// during an exchange both sides write before they read, as in every SSH
// implementation, so a synchronous net.Pipe deadlocks; tests use
// packettest.Pipe.
package kex
