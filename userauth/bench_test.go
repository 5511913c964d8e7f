package userauth_test

import (
	"testing"

	"github.com/sshstack/sshstack/userauth"
)

// BenchmarkPasswordAuth measures a whole none + password authentication
// between our client and server over an in-memory pipe.
func BenchmarkPasswordAuth(b *testing.B) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.NoneAuth{}, userauth.StaticPassword("pw")}}
	b.ReportAllocs()
	for b.Loop() {
		if o := run(b, ccfg, scfg); o.cerr != nil {
			b.Fatal(o.cerr)
		}
	}
}

// BenchmarkKeyboardInteractive measures a two-round keyboard-interactive
// authentication.
func BenchmarkKeyboardInteractive(b *testing.B) {
	scfg := fastServer()
	scfg.KeyboardInteractiveCallback = otpCallback("42")
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{&userauth.KeyboardInteractive{Respond: answer("42")}}}
	b.ReportAllocs()
	for b.Loop() {
		if o := run(b, ccfg, scfg); o.cerr != nil {
			b.Fatal(o.cerr)
		}
	}
}

// BenchmarkPermissionsMerge measures merging two factors' restrictions.
func BenchmarkPermissionsMerge(b *testing.B) {
	p := &userauth.Permissions{ForceCommand: "x", SourceAddress: [][]string{{"10.0.0.0/8"}}, Extensions: map[string]string{"a": "1"}}
	q := &userauth.Permissions{NoPTY: true, PermitOpen: [][]string{{"db:5432"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Merge(q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublicKeyAuth measures an ed25519 publickey authentication
// (one signature, one verification) over an in-memory pipe.
func BenchmarkPublicKeyAuth(b *testing.B) {
	var ks keyServer
	scfg := ks.config(keyEd25519().PublicKey())
	ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.InMemoryPrivateKey(keyEd25519())}}
	b.ReportAllocs()
	for b.Loop() {
		ks.calls = ks.calls[:0]
		if o := run(b, ccfg, scfg); o.cerr != nil {
			b.Fatal(o.cerr)
		}
	}
}
