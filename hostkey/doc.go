// Package hostkey implements SSH public-key algorithms and signatures
// (RFC 4253, Section 6.6; RFC 5656; RFC 8332; RFC 8709), FIDO security
// keys (OpenSSH PROTOCOL.u2f), OpenSSH certificates (PROTOCOL.certkeys),
// private and public key files (PROTOCOL.key, PKCS#1, PKCS#8, SEC1),
// authorized_keys and known_hosts (sshd(8)) and fingerprints. kex uses it
// for host keys and userauth for user keys. It imports only wire and the
// standard library's crypto/ed25519, crypto/ecdsa and crypto/rsa (plus
// golang.org/x/crypto/blowfish for bcrypt_pbkdf).
//
// # Keys and signatures
//
// A PublicKey has a Type (the key type, first string of the blob), a
// Marshal (the wire blob) and Verify. ParsePublicKey decodes any
// registered key type or certificate; it never panics and never aliases
// its input. A Signature is the (format, blob) pair of RFC 4253,
// Section 6.6, plus Rest, which only security-key signatures use (flags
// and counter). ParseSignature and Signature.Marshal encode it.
//
// Algorithm names are constants with the exact wire strings: ED25519,
// ECDSAP256, ECDSAP384, ECDSAP521, RSA ("ssh-rsa", the key type and the
// SHA-1 signature algorithm), RSASHA256, RSASHA512, SKED25519,
// SKECDSAP256, and the certificate forms ED25519Cert ... RSASHA512Cert,
// SKED25519Cert, SKECDSAP256Cert. KeyTypeForAlgorithm maps a negotiated
// or requested algorithm to the key type its blob must have
// ("rsa-sha2-256" -> "ssh-rsa"), SignatureFormat to the signature format
// it must produce, and SignatureAlgorithms lists what a key can be used
// with (RSA: rsa-sha2-512, rsa-sha2-256, ssh-rsa). DefaultAlgorithms is
// our preference list for host-key and user-key algorithms (Ed25519 and
// RSA/SHA-2 with their certificates and sk forms; no ECDSA, no SHA-1) and
// OpenSSHAlgorithms is OpenSSH 9.2's.
//
// Protocol code verifies with Policy.Verify(pub, algorithm, data, sig):
// it refuses an algorithm the Policy disables, a key whose type is not
// the algorithm's, a signature whose format is not the algorithm's
// (RFC 8332, Section 3: an rsa-sha2-256 label over a SHA-512 body fails
// as a bad signature), RSA keys under Policy.MinRSABits (never under 1024),
// and security-key signatures without user presence unless
// Policy.NoTouchRequired (CVE-2026-39831). The zero Policy disables
// ssh-rsa (SHA-1); set Policy.AllowSHA1 to verify it. PublicKey.Verify is
// the same check under the zero Policy without the algorithm name.
//
// # Signers
//
// A Signer signs with its key's preferred algorithm (rsa-sha2-512 for
// RSA); an AlgorithmSigner signs with a named one, as kex needs for the
// negotiated host-key algorithm and userauth for rsa-sha2-*. NewSigner
// adapts any crypto.Signer (private keys from this package, HSM, agent or
// KMS keys) into a *CryptoSigner; ssh-rsa signing needs its AllowSHA1
// field. NewCertSigner pairs a Certificate with the signer of its key.
// GenerateKey makes new keys (RSA: 3072 bits by default, never under
// 2048). ECDSA and Ed25519 signing is the standard library's: hedged
// ECDSA nonces and RFC 8032 deterministic Ed25519 (docs/security.md#h4).
//
// # Registry
//
// An Algorithm is a key-type plug-in: Register adds one, and
// ParsePublicKey, certificate parsing, SignatureAlgorithms and
// KeyTypeForAlgorithm then know it. The built-in types are registered at
// init.
//
// # Certificates
//
// A *Certificate is a PublicKey whose signatures are those of its Key.
// ParsePublicKey returns one for every "-cert-v01@openssh.com" type of a
// registered key type; the encoding must be canonical (options sorted
// and unique), so that the fields a caller reads are the bytes the
// authority signed. SignCert issues certificates. A CertChecker
// validates them: CheckUserCert for servers (IsUserAuthority),
// CheckHostCert for clients (IsHostAuthority): type, trusted authority,
// principal, validity window, critical options (force-command,
// source-address and verify-required for user certificates; any other
// rejects), revocation and the authority's signature. A nil authority
// callback trusts nobody and never panics (CVE-2026-39835).
// Certificate.Restrictions turns a user certificate into the same
// Restrictions type authorized_keys options give.
//
// # Files
//
// ParsePrivateKey and ParseRawPrivateKey read "OPENSSH PRIVATE KEY" files
// (unencrypted, or bcrypt-pbkdf with aes-ctr, aes-cbc or
// aes-gcm@openssh.com) and PKCS#1, PKCS#8 and SEC1 PEM, also encrypted
// (legacy Proc-Type PEM; PBES2 PKCS#8). An encrypted file without a
// passphrase gives a *PassphraseMissingError, carrying the public key for
// openssh-key-v1 files; a wrong one gives ErrWrongPassphrase.
// MarshalPrivateKey writes openssh-key-v1 files that ssh-keygen reads.
// BcryptPBKDF is OpenBSD's bcrypt_pbkdf(3). ParsePublicKeyFile and
// MarshalAuthorizedKey handle *.pub lines; FingerprintSHA256 and
// FingerprintMD5 print as ssh-keygen -l does.
//
// # authorized_keys
//
// ParseAuthorizedKey and ParseAuthorizedKeys parse lines into an
// AuthorizedKey whose Restrictions holds every sshd(8) option typed:
// permissions (restrict, no-* and their permit forms, in order),
// command, environment, expiry-time, from, permitopen, permitlisten,
// principals, tunnel, cert-authority, no-touch-required,
// verify-required. AllowsFrom, AllowsOpen, AllowsListen, Expired and
// Policy help a server enforce them. Restrictions.Merge combines two
// sets (a certificate and its cert-authority line, or several auth
// factors) into the stricter of both, or fails with
// ErrRestrictionConflict. Authorize makes sshd's publickey decision for
// a user, key or certificate and client address against parsed entries
// and returns the restrictions to enforce. ParseAuthorizedPrincipals
// reads an AuthorizedPrincipalsFile (options, then a principal) and
// CheckPrincipalLine makes sshd's checks of a matching line.
//
// # known_hosts
//
// ParseKnownHosts and LoadKnownHosts read plain and hashed (|1|) entries,
// [host]:port names, patterns with *, ? and !, @cert-authority and
// @revoked. KnownHosts.Lookup returns a LookupResult whose Status is
// StatusKnown, StatusUnknown (the zero value), StatusChanged or
// StatusRevoked; @revoked applies to a key, a certificate, the certified
// key and the certificate's authority (CVE-2026-42508). KnownHosts.Verify
// is the decision kex should use: a non-nil *Verified only on success,
// otherwise a *KeyUnknownError, *KeyChangedError (naming the file and
// line of the recorded key) or *KeyRevokedError, so "verified" is
// reachable only through an explicit success value (docs/security.md#h1).
// MarshalKnownHost and KnownHosts.AddKnownHost record new hosts;
// HostKeyAlgorithms lists the algorithms to prefer for a host.
//
// # Sub-packages
//
// Package krl reads, queries and writes OpenSSH key revocation lists
// (PROTOCOL.krl) for sshd's RevokedKeys and ssh-keygen -k/-Q; package
// sshsig makes and checks file signatures (PROTOCOL.sshsig) and reads
// allowed signers files, as ssh-keygen -Y does.
//
// # Errors
//
// Malformed encodings wrap the wire sentinels (wire.ErrTruncated,
// wire.ErrTrailingData, wire.ErrInvalid, wire.ErrTooLarge). Other
// conditions have sentinels (ErrSignature, ErrAlgorithmMismatch,
// ErrAlgorithmDisabled, ErrKeyTooSmall, ErrUserPresence, ErrCert*,
// ErrHostKey*, ErrBadOption, ErrPassphraseNeeded, ...) for errors.Is, and
// types (LineError, KeyChangedError, ...) for errors.As.
package hostkey
