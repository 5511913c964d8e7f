// Package keyagent is an ssh-agent: a keyring with OpenSSH's key
// constraints (lifetime and confirm, draft-miller-ssh-agent, Section
// 4.2.6), lock and unlock (Section 4.6), signature flags (Section 4.5.1)
// and the session-bind@openssh.com extension (OpenSSH PROTOCOL.agent,
// Section 1), served on a Unix socket as ssh-agent(1) serves it. The
// gossh-agent command is a thin wrapper around it.
//
// The message framing and request decoding are those of
// golang.org/x/crypto/ssh/agent (agent.ServeAgent); this package adds
// the keyring behind it, a frame reader that refuses messages larger
// than OpenSSH's 256 KiB limit before allocating them
// (docs/security.md#w7), the per-connection session bindings, and the
// peer check: on Linux a connection whose peer is neither root nor this
// process's user is closed unanswered (SO_PEERCRED), as ssh-agent does
// with getpeereid.
//
// Confirmation of a key's use goes through a Config.Confirm function;
// AskpassConfirm asks through SSH_ASKPASS as ssh-agent does. Without one
// a key added with the confirm constraint never signs.
//
// For keys that live in hardware the package also speaks to OpenSSH's
// own helpers, as ssh does, so that no C library is linked in:
// OpenPKCS11 runs ssh-pkcs11-helper and signs with a PKCS#11 token's
// keys, and SKSigner runs ssh-sk-helper to sign with a FIDO security key
// through a SecurityKeyProvider library; EnrollSK and LoadResidentSK ask
// the same helper to enrol a new security key and to download an
// authenticator's resident keys (ssh-keygen -t ecdsa-sk, -K). The
// Server answers the agent messages x/crypto's ServeAgent does not
// parse itself: SSH_AGENTC_ADD_SMARTCARD_KEY and REMOVE_SMARTCARD_KEY
// (Keyring.AddSmartcard, RemoveSmartcard, with ssh-agent's -P
// allowlist, Config.AllowedProviders) and the addition of a security
// key with its sk-provider@openssh.com constraint (Keyring.AddSK).
//
// Server.Serve starts one goroutine per client connection and waits for
// them all before it returns. A Keyring starts no goroutines of its own;
// key expiry runs from a timer that Close stops.
package keyagent
