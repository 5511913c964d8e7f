// Package conformance holds the interop tests of sshstack against real
// implementations, and the checks that keep the repository's docs honest.
// It has no API of its own; everything is in its _test.go files.
//
// # Interop
//
// Each test starts the peers it needs on loopback (free ports, a temporary
// directory, processes stopped by PID) and drives our layers, our client
// and server, or the gossh and gosshd commands against them:
//
//   - OpenSSH 9.2 sshd and ssh (through package sshdtest, which runs a
//     throwaway sshd and ssh): key exchange, ciphers and MACs, host keys and
//     certificates, known_hosts, every user authentication method, sessions,
//     forwarding, X11, compression, UpdateHostKeys, AuthorizedKeysCommand
//     and AuthorizedPrincipalsCommand decisions compared with sshd's, and
//     gossh and gosshd compared with ssh and sshd;
//   - paramiko and AsyncSSH (python3), in both roles;
//   - golang.org/x/crypto/ssh in process, as a test peer and with package
//     gssapi's xsshgss adapter;
//   - MIT Kerberos (a throwaway krb5kdc from gssapi/krb5test): package
//     gssapi against MIT's libraries, and GSS-API user authentication and
//     key exchange against OpenSSH, paramiko and our own server, including
//     the failure cases of OpenSSH's regress/gss-auth.sh
//     (docs/security.md#g6);
//   - ssh-audit against gosshd's default algorithms (docs/security.md#l5).
//
// docs/interop.md is the matrix of which test proves what. A test whose
// peer is not installed, or that needs root (throwaway accounts, PAM), is
// skipped with a message that says so. goleak checks the whole package
// (TestMain): every test stops what it started.
//
// The hostile-peer requirements of docs/security.md are tested where they
// are enforced, in each layer's own tests (for example kex's
// hostile_test.go, connection's hostile_test.go, server's
// TestR1MaxStartups); docs/security.md names the test for every
// requirement.
//
// # Documentation checks
//
// docs_test.go fails when a .go or .md file cites a page that is not in
// the repository, or cites docs/<page>.md#<anchor> (or links to a page of
// docs/) where the page or anchor does not exist, and when
// docs/security.md lacks the anchor of a requirement.
//
// These tests are slow and start real processes: run one at a time with
// -run (cd conformance && go test -run TestKexClientAgainstSSHD), or the
// documentation checks alone with -run Docs.
package conformance
