package keyagent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// fakeSKHelper writes a helper that reads its request and answers with
// reply, given as printf(1) octal escapes.
func fakeSKHelper(t *testing.T, reply string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "helper")
	if err := os.WriteFile(p, []byte("#!/bin/sh\ncat >/dev/null\nprintf '"+reply+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSKSignerHostileHelper: whatever ssh-sk-helper answers, Sign returns
// an error, never a panic; its refusal is an *SKHelperError with the code.
func TestSKSignerHostileHelper(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hostkey.NewSKPublicKey(&ec.PublicKey, "ssh:")
	if err != nil {
		t.Fatal(err)
	}
	key := &hostkey.SKPrivateKey{PublicKey: pub, Serialized: []byte("k")}
	for _, tt := range []struct {
		name, reply string
		code        uint32 // an *SKHelperError with this code, else ErrSKHelper
	}{
		{"refusal", `\000\000\000\011\005\000\000\000\000\000\000\000\053`, 43},
		{"wrong version", `\000\000\000\005\004\000\000\000\001`, 0},
		{"short", `\000\000\000\001\005`, 0},
		{"no signature", `\000\000\000\005\005\000\000\000\001`, 0},
		{"not a signature", `\000\000\000\013\005\000\000\000\001\000\000\000\002ab`, 0},
		{"oversized", `\377\377\377\377`, 0},
		{"nothing", ``, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &SKSigner{Key: key, Provider: "/p.so", Helper: fakeSKHelper(t, tt.reply)}
			_, err := s.Sign(rand.Reader, []byte("data"))
			var he *SKHelperError
			switch {
			case tt.code != 0 && (!errors.As(err, &he) || he.Code != tt.code):
				t.Errorf("got %v, want SKHelperError %d", err, tt.code)
			case tt.code == 0 && !errors.Is(err, ErrSKHelper):
				t.Errorf("got %v, want ErrSKHelper", err)
			}
		})
	}
	s := &SKSigner{Key: key, Provider: "/p.so", Helper: filepath.Join(t.TempDir(), "none")}
	if _, err := s.Sign(rand.Reader, nil); !errors.Is(err, ErrSKHelper) {
		t.Errorf("missing helper: %v", err)
	}
}
