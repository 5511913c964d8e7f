// Package cipher holds the SSH packet protection algorithms: the
// encryption algorithms of RFC 4253, Section 6.3 and the MAC algorithms of
// Section 6.4, behind a small plug-in interface and a registry.
//
// # Algorithms
//
// An [Algorithm] describes an encryption algorithm by its wire name, key,
// IV, block and tag sizes, and builds keyed per-direction instances: a
// [Stream] for the classic ciphers that need a separate MAC, or an [AEAD]
// for the authenticated ciphers that protect the whole packet. A [MAC]
// describes a MAC algorithm by its wire name, key and tag size and whether it
// is an encrypt-then-MAC variant (OpenSSH PROTOCOL, Section 1.5).
//
// Registered by default:
//
//   - chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305),
//     aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647 with
//     OpenSSH's naming, PROTOCOL Section 1.6), aes128-ctr, aes192-ctr and
//     aes256-ctr (RFC 4344, Section 4);
//   - hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com,
//     hmac-sha2-256 and hmac-sha2-512 (RFC 6668);
//   - legacy, registered but absent from the default lists: aes128-cbc,
//     aes256-cbc, 3des-cbc (RFC 4253, Section 6.3), hmac-sha1 and
//     hmac-sha1-etm@openssh.com;
//   - "none", for tests only; it is in no default list and no wildcard
//     matches it.
//
// # Negotiation support
//
// The key exchange looks an algorithm up by its negotiated name with
// [LookupAlgorithm] and [LookupMAC] to learn how much key material to derive
// (RFC 4253, Section 7.2): [Algorithm.KeySize], [Algorithm.IVSize] and
// [MAC.KeySize]. When [Algorithm.AEAD] reports true, the MAC name-list is
// ignored and no MAC is negotiated (PROTOCOL Section 1.6,
// PROTOCOL.chacha20poly1305 "Negotiation").
//
// [DefaultCiphers] and [DefaultMACs] return fresh slices in preference order;
// the order draws no [fail] line from ssh-audit. [LegacyCiphers] and
// [LegacyMACs] name what is registered but off; [Ciphers] and [MACs] list
// everything registered. [ApplyModifiers] implements OpenSSH's "+list",
// "-list" and "^list" syntax with wildcards, which also covers paramiko's
// disabled_algorithms; [ApplyModifiersFrom] does the same for any list,
// such as key exchange methods.
//
// # Implementation
//
// chacha20-poly1305@openssh.com takes its ChaCha20 keystream from this
// package's AVX2 assembly on amd64 CPUs with AVX2, and from
// golang.org/x/crypto/chacha20 elsewhere; the purego build tag selects the
// latter everywhere. Both give the same bytes.
//
// # Users' own algorithms
//
// [RegisterAlgorithm] and [RegisterMAC] add or replace an algorithm. The
// registry is safe for concurrent use; registering is meant for init time.
//
// The keyed instances returned by the constructors are not safe for
// concurrent use: each belongs to one direction of one connection, driven by
// the packet layer.
package cipher
