package hostkey_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
