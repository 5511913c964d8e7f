// Package conformance will hold interop tests of sshstack against real
// implementations (OpenSSH ssh and sshd, paramiko, AsyncSSH, MIT Kerberos,
// x/crypto/ssh in-process) and the hostile-peer battery of docs/security.md.
// Not implemented yet.
package conformance
