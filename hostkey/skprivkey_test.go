package hostkey_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// TestParseSKPrivateKey reads an sk-ecdsa key file (OpenSSH 9.2 format,
// written by ssh-keygen -t ecdsa-sk with a test provider; its key
// handle is not secret) and refuses it cut at every byte, and a plain
// key file.
func TestParseSKPrivateKey(t *testing.T) {
	data, err := os.ReadFile("testdata/sk-ecdsa")
	if err != nil {
		t.Fatal(err)
	}
	pubData, err := os.ReadFile("testdata/sk-ecdsa.pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := hostkey.ParsePublicKeyFile(pubData)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hostkey.ParseSKPrivateKey(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !hostkey.Equal(k.PublicKey, pub) || k.PublicKey.Application != "ssh:" || k.Flags&hostkey.SKUserPresent == 0 || len(k.KeyHandle) != 32 {
		t.Errorf("got %+v", k)
	}
	if len(k.Serialized) == 0 || string(k.Serialized[4:4+len(hostkey.SKECDSAP256)]) != hostkey.SKECDSAP256 {
		t.Errorf("serialisation %x", k.Serialized)
	}
	if _, err := hostkey.ParsePrivateKey(data, nil); !errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		t.Errorf("ParsePrivateKey of an sk file: %v", err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", plain).CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen: %v %s", err, out)
	}
	pd, _ := os.ReadFile(plain)
	if _, err := hostkey.ParseSKPrivateKey(pd, nil); !errors.Is(err, hostkey.ErrUnknownAlgorithm) {
		t.Errorf("plain key: %v, want ErrUnknownAlgorithm", err)
	}
}

func FuzzParseSKPrivateKey(f *testing.F) {
	if data, err := os.ReadFile("testdata/sk-ecdsa"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := hostkey.ParseSKPrivateKey(b, []byte("x"))
		if err != nil {
			return
		}
		if k.PublicKey == nil || len(k.Serialized) == 0 {
			t.Fatalf("accepted without a key: %+v", k)
		}
	})
}

// TestMarshalSKPrivateKey writes the key of testdata/sk-ecdsa again,
// plain and under a passphrase: ParseSKPrivateKey reads back the same
// key, and ssh-keygen -y prints the same public key from it.
func TestMarshalSKPrivateKey(t *testing.T) {
	data, err := os.ReadFile("testdata/sk-ecdsa")
	if err != nil {
		t.Fatal(err)
	}
	want, err := hostkey.ParseSKPrivateKey(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	pubLine, err := os.ReadFile("testdata/sk-ecdsa.pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, pass := range []string{"", "sekrit"} {
		t.Run("pass="+pass, func(t *testing.T) {
			out, err := hostkey.MarshalSKPrivateKey(want, "c@d", []byte(pass), &hostkey.KeyFileOptions{Rounds: 2})
			if err != nil {
				t.Fatal(err)
			}
			got, err := hostkey.ParseSKPrivateKey(out, []byte(pass))
			if err != nil {
				t.Fatal(err)
			}
			if !hostkey.Equal(got.PublicKey, want.PublicKey) || got.Flags != want.Flags || string(got.KeyHandle) != string(want.KeyHandle) ||
				string(got.Serialized) != string(want.Serialized) || got.Comment != "c@d" {
				t.Errorf("round trip: got %+v, want %+v", got, want)
			}
			f := filepath.Join(t.TempDir(), "id")
			if err := os.WriteFile(f, out, 0o600); err != nil {
				t.Fatal(err)
			}
			y, err := exec.Command("ssh-keygen", "-y", "-P", pass, "-f", f).Output()
			if err != nil {
				t.Skipf("ssh-keygen -y: %v", err)
			}
			if fields(y) != fields(pubLine) {
				t.Errorf("ssh-keygen -y: %q, want %q", y, pubLine)
			}
		})
	}
}

// fields returns the type and key of an authorized_keys line.
func fields(line []byte) string {
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return ""
	}
	return f[0] + " " + f[1]
}

// TestParseSKSerialized reads the serialisation ssh-sk-helper answers an
// enrolment with, keeps what follows it, and refuses it cut at every
// byte and with a plain key type.
func TestParseSKSerialized(t *testing.T) {
	data, err := os.ReadFile("testdata/sk-ecdsa")
	if err != nil {
		t.Fatal(err)
	}
	want, err := hostkey.ParseSKPrivateKey(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := append(append([]byte(nil), want.Serialized...), "tail"...)
	got, rest, err := hostkey.ParseSKSerialized(b)
	if err != nil {
		t.Fatal(err)
	}
	if !hostkey.Equal(got.PublicKey, want.PublicKey) || got.Flags != want.Flags || string(rest) != "tail" ||
		string(got.Serialized) != string(want.Serialized) {
		t.Errorf("got %+v rest %q", got, rest)
	}
	for i := range len(want.Serialized) {
		if _, _, err := hostkey.ParseSKSerialized(want.Serialized[:i]); err == nil {
			t.Errorf("cut at %d: no error", i)
		}
	}
	if _, _, err := hostkey.ParseSKSerialized([]byte("\x00\x00\x00\x0bssh-ed25519")); !errors.Is(err, hostkey.ErrUnknownAlgorithm) {
		t.Errorf("plain key type: %v", err)
	}
}

func FuzzParseSKSerialized(f *testing.F) {
	if data, err := os.ReadFile("testdata/sk-ecdsa"); err == nil {
		if k, err := hostkey.ParseSKPrivateKey(data, nil); err == nil {
			f.Add(k.Serialized)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, rest, err := hostkey.ParseSKSerialized(b)
		if err != nil {
			return
		}
		if len(k.Serialized)+len(rest) != len(b) {
			t.Fatalf("serialised %d + rest %d != %d", len(k.Serialized), len(rest), len(b))
		}
		k2, _, err := hostkey.ParseSKSerialized(k.Serialized)
		if err != nil || !hostkey.Equal(k.PublicKey, k2.PublicKey) {
			t.Fatalf("reparse: %v", err)
		}
	})
}
