package keyagent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// SoftHSMModule is SoftHSM2's PKCS#11 module as Debian installs it.
const softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// softHSMToken makes a throwaway SoftHSM2 token (its own
// softhsm2.conf and token directory under t.TempDir) with user PIN pin,
// imports an ECDSA and an RSA key made by ssh-keygen, and returns the
// environment that points the module at it and the public keys' blobs.
func softHSMToken(t *testing.T, pin string) (env []string, pubs [][]byte) {
	t.Helper()
	for _, p := range []string{softHSMModule, PKCS11Helper} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no %s", p)
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		wiretest.MissingPeer(t, "no softhsm2-util")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.Mkdir(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run(util, "--init-token", "--free", "--label", "gossh-test", "--pin", pin, "--so-pin", "87654321")
	for i, typ := range []string{"ecdsa", "rsa"} {
		key := filepath.Join(dir, "id_"+typ)
		run("ssh-keygen", "-q", "-t", typ, "-N", "", "-m", "PKCS8", "-f", key)
		run(util, "--import", key, "--token", "gossh-test", "--label", typ, "--id", "0"+string(rune('1'+i)), "--pin", pin)
		data, err := os.ReadFile(key + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pub, _, err := hostkey.ParsePublicKeyFile(data)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pub.Marshal())
	}
	return env, pubs
}

func withEnv(t *testing.T, env []string) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "SOFTHSM2_CONF" {
			t.Setenv(k, v)
		}
	}
}

// TestPKCS11SoftHSM loads a SoftHSM2 token through OpenSSH's
// ssh-pkcs11-helper, and signs with each key and each algorithm the key
// has; the signatures verify against the public keys ssh-keygen wrote.
// Without the PIN the token gives no keys.
func TestPKCS11SoftHSM(t *testing.T) {
	env, pubs := softHSMToken(t, "1234")
	withEnv(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := OpenPKCS11(ctx, softHSMModule, "", nil); !errors.Is(err, ErrPKCS11NoKeys) {
		t.Fatalf("no PIN: %v, want ErrPKCS11NoKeys", err)
	}
	if _, err := OpenPKCS11(ctx, softHSMModule, "999999", nil); !errors.Is(err, ErrPKCS11NoKeys) {
		t.Fatalf("wrong PIN: %v, want ErrPKCS11NoKeys", err)
	}
	p, err := OpenPKCS11(ctx, softHSMModule, "1234", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	keys := p.Keys()
	if len(keys) != 2 {
		t.Fatalf("%d keys, want 2", len(keys))
	}
	for _, k := range keys {
		blob := k.Signer.PublicKey().Marshal()
		if !bytes.Equal(blob, pubs[0]) && !bytes.Equal(blob, pubs[1]) {
			t.Errorf("key %q is none of the imported ones", k.Label)
		}
		for _, alg := range hostkey.SignatureAlgorithms(k.Signer.PublicKey()) {
			if alg == hostkey.RSA {
				continue // SHA-1: refused by CryptoSigner unless AllowSHA1
			}
			data := []byte("data to sign with " + alg)
			sig, err := k.Signer.SignWithAlgorithm(rand.Reader, data, alg)
			if err != nil {
				t.Errorf("%s %s: %v", k.Label, alg, err)
				continue
			}
			if err := k.Signer.PublicKey().Verify(data, sig); err != nil {
				t.Errorf("%s %s: signature does not verify: %v", k.Label, alg, err)
			}
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := keys[0].Signer.Sign(rand.Reader, []byte("x")); !errors.Is(err, ErrPKCS11Helper) {
		t.Errorf("sign after Close: %v, want ErrPKCS11Helper", err)
	}
}

// TestPKCS11MissingHelper: a helper that is not there is ErrPKCS11Helper.
func TestPKCS11MissingHelper(t *testing.T) {
	_, err := OpenPKCS11(context.Background(), softHSMModule, "", &PKCS11Options{Helper: filepath.Join(t.TempDir(), "none")})
	if !errors.Is(err, ErrPKCS11Helper) {
		t.Fatalf("got %v, want ErrPKCS11Helper", err)
	}
}

// fakeHelper answers every request with reply (a whole frame).
type fakeHelper struct {
	io.Reader
	sent bytes.Buffer
}

func (f *fakeHelper) Write(p []byte) (int, error) { return f.sent.Write(p) }
func (f *fakeHelper) Close() error                { return nil }

func frameOf(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// TestPKCS11HostileReplies: a helper's malformed or oversized answer is
// an error, never a panic or an allocation of what it claims.
func TestPKCS11HostileReplies(t *testing.T) {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	good := []byte{msgIdentitiesAnswer, 0, 0, 0, 1}
	good = wire.AppendString(good, k.PublicKey().Marshal())
	good = wire.AppendString(good, []byte("label"))
	ed, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	onlyEd := wire.AppendString(wire.AppendString([]byte{msgIdentitiesAnswer, 0, 0, 0, 1}, ed.PublicKey().Marshal()), []byte("ed"))
	for _, tt := range []struct {
		name  string
		reply []byte
		want  error
	}{
		{"failure", frameOf([]byte{msgFailure, 0, 0, 0, 0}), ErrPKCS11NoKeys},
		{"ed25519 only", frameOf(onlyEd), ErrPKCS11NoKeys},
		{"wrong type", frameOf([]byte{msgSignResponse}), ErrPKCS11Helper},
		{"huge count", frameOf([]byte{msgIdentitiesAnswer, 0xff, 0xff, 0xff, 0xff}), ErrPKCS11Helper},
		{"too long", binary.BigEndian.AppendUint32(nil, MaxMessage+1), ErrPKCS11Helper},
		{"eof", nil, ErrPKCS11Helper},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKCS11(nil, nil)
			f := &fakeHelper{Reader: bytes.NewReader(tt.reply)}
			p.r, p.w = f, f
			if err := p.add("/p.so", ""); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	for cut := 0; cut < len(good); cut++ {
		p := newPKCS11(nil, nil)
		f := &fakeHelper{Reader: bytes.NewReader(frameOf(good[:cut]))}
		p.r, p.w = f, f
		if err := p.add("/p.so", ""); err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
	}
	// The request is the one ssh sends: type 20, provider, pin.
	p := newPKCS11(nil, nil)
	f := &fakeHelper{Reader: bytes.NewReader(append(frameOf(good), frameOf([]byte{msgFailure})...))}
	p.r, p.w = f, f
	if err := p.add("/p.so", "1234"); err != nil {
		t.Fatal(err)
	}
	want := frameOf(wire.AppendString(wire.AppendString([]byte{msgAddSmartcardKey}, []byte("/p.so")), []byte("1234")))
	if !bytes.Equal(f.sent.Bytes(), want) {
		t.Errorf("request %x, want %x", f.sent.Bytes(), want)
	}
	if _, err := p.Keys()[0].Signer.Sign(rand.Reader, []byte("x")); err == nil {
		t.Error("a refused signature gave no error")
	}
}

func FuzzPKCS11Keys(f *testing.F) {
	k, _ := hostkey.GenerateKey(rand.Reader, hostkey.ECDSAP256, 0)
	good := wire.AppendString(wire.AppendString([]byte{msgIdentitiesAnswer, 0, 0, 0, 1}, k.PublicKey().Marshal()), []byte("l"))
	f.Add(good)
	f.Add([]byte{msgFailure, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parsePKCS11Keys(b)
		if err != nil {
			return
		}
		for _, k := range keys {
			if _, err := hostkey.ParsePublicKey(k.blob); err != nil {
				t.Fatalf("accepted a key that does not parse: %v", err)
			}
		}
	})
}
