package sshsig

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire/wiretest"
)

func genKey(t testing.TB, typ string, bits int) *hostkey.CryptoSigner {
	t.Helper()
	k, err := hostkey.GenerateKey(rand.Reader, typ, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOpenSSH signs with Sign and verifies with ssh-keygen -Y verify,
// and the other way, for each key type and both hashes.
func TestOpenSSH(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		wiretest.MissingPeer(t, "no ssh-keygen")
	}
	dir := t.TempDir()
	msg := []byte("hello, sshsig\n")
	msgFile := filepath.Join(dir, "msg")
	if err := os.WriteFile(msgFile, msg, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ  string
		bits int
		alg  string
	}{{hostkey.ED25519, 0, SHA512}, {hostkey.ECDSAP256, 0, SHA256}, {hostkey.ECDSAP384, 0, SHA512}, {hostkey.RSA, 2048, SHA512}} {
		t.Run(tc.typ+"-"+tc.alg, func(t *testing.T) {
			k := genKey(t, tc.typ, tc.bits)
			priv, err := hostkey.MarshalPrivateKey(k.Crypto(), "c", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			keyFile := filepath.Join(dir, "key")
			os.WriteFile(keyFile, priv, 0o600)
			allowed := filepath.Join(dir, "allowed")
			os.WriteFile(allowed, append([]byte(`alice,bob namespaces="file,git" `), hostkey.MarshalAuthorizedKey(k.PublicKey(), "")...), 0o644)
			signers, err := ParseAllowedSigners(bytes.NewReader(must(os.ReadFile(allowed))))
			if err != nil {
				t.Fatal(err)
			}

			// ours -> ssh-keygen
			s, err := Sign(rand.Reader, k, "file", tc.alg, bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(dir, "ours.sig")
			os.WriteFile(sigFile, s.Armor(), 0o644)
			cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "alice", "-n", "file", "-s", sigFile)
			cmd.Stdin = bytes.NewReader(msg)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
			}
			cmd = exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "alice", "-n", "file", "-s", sigFile)
			cmd.Stdin = strings.NewReader("tampered")
			if err := cmd.Run(); err == nil {
				t.Fatal("ssh-keygen verified our signature of another message")
			}

			// ssh-keygen -> ours
			args := []string{"-Y", "sign", "-f", keyFile, "-n", "git"}
			if tc.alg == SHA256 {
				args = append(args, "-O", "hashalg=sha256")
			}
			cmd = exec.Command(keygen, append(args, msgFile)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
			}
			theirs, err := Parse(must(os.ReadFile(msgFile + ".sig")))
			os.Remove(msgFile + ".sig")
			if err != nil {
				t.Fatal(err)
			}
			if theirs.HashAlgorithm != tc.alg {
				t.Errorf("hash %s, want %s", theirs.HashAlgorithm, tc.alg)
			}
			if err := theirs.Verify("git", bytes.NewReader(msg)); err != nil {
				t.Fatal(err)
			}
			if err := theirs.Verify("file", bytes.NewReader(msg)); !errors.Is(err, ErrNamespace) {
				t.Errorf("other namespace: %v, want ErrNamespace", err)
			}
			if err := theirs.Verify("git", strings.NewReader("tampered")); !errors.Is(err, ErrVerify) {
				t.Errorf("tampered: %v, want ErrVerify", err)
			}
			if _, err := Find(signers, theirs, "bob", time.Now()); err != nil {
				t.Errorf("Find bob: %v", err)
			}
			if _, err := Find(signers, theirs, "carol", time.Now()); !errors.Is(err, ErrNotAllowed) {
				t.Errorf("Find carol: %v, want ErrNotAllowed", err)
			}
			if got := Principals(signers, theirs, time.Now()); strings.Join(got, " ") != "alice bob" {
				t.Errorf("Principals = %q", got)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestParseCut: every cut of a valid blob is an error.
func TestParseCut(t *testing.T) {
	s, err := Sign(rand.Reader, genKey(t, hostkey.ED25519, 0), "file", "", strings.NewReader("m"))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Marshal()
	for n := 0; n < len(b); n++ {
		if _, err := Parse(b[:n]); !errors.Is(err, ErrFormat) {
			t.Errorf("cut to %d: %v, want ErrFormat", n, err)
		}
	}
	if _, err := Parse(s.Armor()); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: Parse never panics and what it accepts re-encodes to the
// same blob.
func FuzzParse(f *testing.F) {
	s, err := Sign(rand.Reader, genKey(f, hostkey.ED25519, 0), "file", "", strings.NewReader("m"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s.Marshal())
	f.Add(s.Armor())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		s2, err := Parse(s.Marshal())
		if err != nil || !bytes.Equal(s.Marshal(), s2.Marshal()) {
			t.Fatalf("round trip: %v", err)
		}
		s.Verify("file", strings.NewReader("m"))
	})
}

// FuzzParseAllowedSigners: never panics.
func FuzzParseAllowedSigners(f *testing.F) {
	k := genKey(f, hostkey.ED25519, 0)
	f.Add([]byte(`a,b cert-authority,namespaces="x",valid-after="20200101Z" ` + string(hostkey.MarshalAuthorizedKey(k.PublicKey(), "c"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseAllowedSigners(bytes.NewReader(b))
	})
}

// TestMatchPatternListHostile: a principals or namespaces pattern of
// many stars against a long name that does not match used to take
// exponential time in the recursive matcher; it must answer at once.
// The test is not timed: the old matcher does not finish within the
// test binary's timeout.
func TestMatchPatternListHostile(t *testing.T) {
	name := strings.Repeat("a", 4096)
	pat := strings.Repeat("*a", 200) + "b"
	if MatchPatternList(name, pat) {
		t.Errorf("%q matches", pat)
	}
	for _, c := range []struct {
		name, list string
		want       bool
	}{
		{"alice", "alice", true},
		{"alice", "a*", true},
		{"alice", "a?ice,bob", true},
		{"alice", "*,!alice", false},
		{"alice", "!alice,*", false},
		{"alice", "!bob", false},
		{"git", "g*t", true},
		{"file", "fil", false},
		{"", "*", true},
		{"", "", true},
		{"x", "", false},
	} {
		if got := MatchPatternList(c.name, c.list); got != c.want {
			t.Errorf("MatchPatternList(%q, %q) = %v, want %v", c.name, c.list, got, c.want)
		}
	}
}
