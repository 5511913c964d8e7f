package hostkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// OpenBSD regress/lib/libutil/bcrypt_pbkdf/bcrypt_pbkdf_test.c vectors.
var bcryptPBKDFVectors = []struct {
	pass, salt string
	rounds     int
	want       string
}{
	{"password", "salt", 4, "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"},
	{"password", "\x00", 4, "c12b566235eee04c212598970a579a67"},
	{"\x00", "salt", 4, "6051be18c2f4f82cbf0efee5471b4bb9"},
	{"password\x00", "salt\x00", 4, "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050"},
	{"pass\x00wor", "sa\x00l", 4, "c2bffd9db38f6569efef4372f4de83c0"},
	{"pass\x00word", "sa\x00lt", 4, "4ba4ac3925c0e8d7f0cdb6bb1684a56f"},
	{"password", "salt", 8, "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d"},
	{"password", "salt", 42, "833cf0dcf56db65608e8f0dc0ce882bd"},
	{"Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.", "salis\x00", 8, "10978b07253df57f71a162eb0e8ad30a"},
}

func TestBcryptPBKDF(t *testing.T) {
	for i, v := range bcryptPBKDFVectors {
		if raceEnabled && v.rounds*len(v.want) > 4*64 {
			continue // about 10x slower under -race; checked in normal runs
		}
		want, _ := hex.DecodeString(v.want)
		got, err := hostkey.BcryptPBKDF([]byte(v.pass), []byte(v.salt), v.rounds, len(want))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("vector %d: got %x, want %x", i, got, want)
		}
	}
	if _, err := hostkey.BcryptPBKDF([]byte("p"), []byte("s"), 0, 32); err == nil {
		t.Error("0 rounds accepted")
	}
}

func TestPrivateKeyRoundTrip(t *testing.T) {
	ciphers := []string{"", "aes256-ctr", "aes128-ctr", "aes256-cbc", "aes256-gcm@openssh.com"}
	for _, k := range testKeys(t) {
		for _, c := range ciphers {
			name := k.name + "/" + c
			if c == "" {
				name = k.name + "/none"
			}
			t.Run(name, func(t *testing.T) {
				var pass []byte
				if c != "" {
					pass = []byte("correct horse")
				}
				pemBytes, err := hostkey.MarshalPrivateKey(k.priv, "me@host", pass, &hostkey.KeyFileOptions{Cipher: c, Rounds: 1})
				if err != nil {
					t.Fatal(err)
				}
				key, comment, err := hostkey.ParseRawPrivateKey(pemBytes, pass)
				if err != nil {
					t.Fatal(err)
				}
				if comment != "me@host" {
					t.Errorf("comment %q", comment)
				}
				a, _ := hostkey.NewPublicKey(key.Public())
				b, _ := hostkey.NewPublicKey(k.priv.Public())
				if !hostkey.Equal(a, b) {
					t.Fatal("different key back")
				}
				if pass == nil {
					return
				}
				_, _, err = hostkey.ParseRawPrivateKey(pemBytes, nil)
				var pm *hostkey.PassphraseMissingError
				if !errors.As(err, &pm) || !errors.Is(err, hostkey.ErrPassphraseNeeded) || !hostkey.Equal(pm.PublicKey, b) {
					t.Fatalf("no passphrase: %v", err)
				}
				if _, _, err := hostkey.ParseRawPrivateKey(pemBytes, []byte("wrong")); !errors.Is(err, hostkey.ErrWrongPassphrase) {
					t.Fatalf("wrong passphrase: %v", err)
				}
			})
		}
	}
}

func TestPrivateKeyTruncation(t *testing.T) {
	pemBytes, err := hostkey.MarshalPrivateKey(testKeys(t)[0].priv, "c", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	truncations(t, block.Bytes, func(b []byte) error {
		_, _, err := hostkey.ParseRawPrivateKey(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: b}), nil)
		return err
	})
	// Bad padding and mismatched check words.
	raw := block.Bytes
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 0xff
	if _, _, err := hostkey.ParseRawPrivateKey(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: bad}), nil); err == nil {
		t.Error("bad padding accepted")
	}
}

func TestPEMFormats(t *testing.T) {
	for _, k := range testKeys(t) {
		var blocks []*pem.Block
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		switch p := k.priv.(type) {
		case *rsa.PrivateKey:
			blocks = append(blocks, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p)})
		case *ecdsa.PrivateKey:
			der, _ := x509.MarshalECPrivateKey(p)
			blocks = append(blocks, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
		}
		for _, b := range blocks {
			t.Run(k.name+"/"+strings.ReplaceAll(b.Type, " ", "_"), func(t *testing.T) {
				s, err := hostkey.ParsePrivateKey(pem.EncodeToMemory(b), nil)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := hostkey.NewPublicKey(k.priv.Public())
				if !hostkey.Equal(s.PublicKey(), want) {
					t.Fatal("different key")
				}
			})
		}
	}
	legacy := &pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "BF-CBC,0011223344556677"}, Bytes: []byte{1}}
	if _, err := hostkey.ParsePrivateKey(pem.EncodeToMemory(legacy), []byte("x")); !errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		t.Errorf("legacy PEM with an unknown cipher: %v", err)
	}
	if _, err := hostkey.ParsePrivateKey([]byte("not a key"), nil); !errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		t.Errorf("garbage: %v", err)
	}
}

func TestPrivateKeyHostileKDF(t *testing.T) {
	// A file asking for 2^32-1 bcrypt rounds is refused before any work.
	pemBytes, _ := hostkey.MarshalPrivateKey(testKeys(t)[0].priv, "", []byte("x"), &hostkey.KeyFileOptions{Rounds: 1})
	block, _ := pem.Decode(pemBytes)
	i := bytes.Index(block.Bytes, []byte("bcrypt"))
	b := append([]byte(nil), block.Bytes...)
	// kdfoptions: string(string salt(16), uint32 rounds); rounds ends 4+4+16+4 after "bcrypt".
	off := i + len("bcrypt") + 4 + 4 + 16
	copy(b[off:off+4], []byte{0xff, 0xff, 0xff, 0xff})
	if _, _, err := hostkey.ParseRawPrivateKey(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: b}), []byte("x")); !errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		t.Fatalf("huge rounds: %v", err)
	}
	_ = wire.ErrInvalid
}

// TestLegacyEncryptedPEM reads keys encrypted the pre-OpenSSH-7.8 way and
// encrypted PKCS #8 files
// (testdata/README.md says how they were made).
func TestLegacyEncryptedPEM(t *testing.T) {
	pubText, err := os.ReadFile("testdata/legacy-ec.pub")
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := hostkey.ParsePublicKeyFile(pubText)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"legacy-ec-aes128.pem", "legacy-ec-aes256.pem", "legacy-ec-des3.pem", "pkcs8-ec-aes256.pem", "pkcs8-ec-aes128-sha512.pem"} {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := hostkey.ParsePrivateKey(b, []byte("passw"))
			if err != nil {
				t.Fatal(err)
			}
			if !hostkey.Equal(s.PublicKey(), want) {
				t.Fatal("different key")
			}
			if _, err := hostkey.ParsePrivateKey(b, nil); !errors.Is(err, hostkey.ErrPassphraseNeeded) {
				t.Fatalf("no passphrase: %v", err)
			}
			for _, wrong := range []string{"wrong", "passW", "x"} {
				if _, err := hostkey.ParsePrivateKey(b, []byte(wrong)); !errors.Is(err, hostkey.ErrWrongPassphrase) {
					t.Fatalf("passphrase %q: %v", wrong, err)
				}
			}
		})
	}
}
