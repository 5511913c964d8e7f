package kex

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/wire"
)

func kexInit(kex, hostKeys, ciphers, macs string) *wire.KexInit {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return &wire.KexInit{
		KexAlgorithms:           split(kex),
		ServerHostKeyAlgorithms: split(hostKeys),
		CiphersClientServer:     split(ciphers),
		CiphersServerClient:     split(ciphers),
		MACsClientServer:        split(macs),
		MACsServerClient:        split(macs),
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}
}

// gssLike is a method that can do without a host key, as the GSS-API
// methods of RFC 4462 can.
type gssLike struct{}

func (gssLike) Name() string          { return "gss-test" }
func (gssLike) HostKeyOptional() bool { return true }
func (gssLike) Run(context.Context, Conn, *Params) (*Result, error) {
	return nil, errors.New("not run")
}

func lookupWithGSS(name string) (Method, bool) {
	if name == "gss-test" {
		return gssLike{}, true
	}
	return Lookup(name)
}

// Requirement: 4253-7.1-negotiate-client-first
// Requirement: 4253-6.2-none, 4253-7.1-first-preferred, 4253-7.1-cipher-choice, 4253-7.1-mac-choice, 4253-7.1-kex-host-key-capable, 4253-7.1-no-match-disconnect, 4462-5-null-hostkey, 8308-2.2-not-negotiated, protocol-1.6-gcm, chacha20poly1305-no-mac
func TestNegotiate(t *testing.T) {
	aead := "chacha20-poly1305@openssh.com"
	tests := []struct {
		name           string
		client, server *wire.KexInit
		want           Algorithms
		wantCategory   string // non-empty: expect a NegotiationError
	}{
		{
			name:   "first client choice the server has",
			client: kexInit("mlkem768x25519-sha256,curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com", "ssh-ed25519,rsa-sha2-512", "aes256-ctr,aes128-ctr", "hmac-sha2-256-etm@openssh.com,hmac-sha2-256"),
			server: kexInit("curve25519-sha256,mlkem768x25519-sha256,kex-strict-s-v00@openssh.com", "rsa-sha2-512,ssh-ed25519", "aes128-ctr,aes256-ctr", "hmac-sha2-256,hmac-sha2-256-etm@openssh.com"),
			want: Algorithms{Kex: "mlkem768x25519-sha256", HostKey: "ssh-ed25519",
				ClientToServer: DirectionAlgorithms{"aes256-ctr", "hmac-sha2-256-etm@openssh.com", "none"},
				ServerToClient: DirectionAlgorithms{"aes256-ctr", "hmac-sha2-256-etm@openssh.com", "none"}},
		},
		{
			name:   "AEAD cipher needs no MAC",
			client: kexInit("curve25519-sha256", "ssh-ed25519", aead, "hmac-sha2-256"),
			server: kexInit("curve25519-sha256", "ssh-ed25519", aead, "hmac-sha2-512"),
			want: Algorithms{Kex: "curve25519-sha256", HostKey: "ssh-ed25519",
				ClientToServer: DirectionAlgorithms{Cipher: aead, Compression: "none"},
				ServerToClient: DirectionAlgorithms{Cipher: aead, Compression: "none"}},
		},
		{
			name:   "markers are never chosen",
			client: kexInit("ext-info-c,kex-strict-c-v00@openssh.com,curve25519-sha256", "ssh-ed25519", aead, ""),
			server: kexInit("ext-info-c,kex-strict-c-v00@openssh.com,curve25519-sha256", "ssh-ed25519", aead, ""),
			want: Algorithms{Kex: "curve25519-sha256", HostKey: "ssh-ed25519",
				ClientToServer: DirectionAlgorithms{Cipher: aead, Compression: "none"},
				ServerToClient: DirectionAlgorithms{Cipher: aead, Compression: "none"}},
		},
		{
			name:   "null host key only for a method that does not need one",
			client: kexInit("curve25519-sha256,gss-test", "null", aead, ""),
			server: kexInit("curve25519-sha256,gss-test", "null", aead, ""),
			want: Algorithms{Kex: "gss-test", HostKey: "null",
				ClientToServer: DirectionAlgorithms{Cipher: aead, Compression: "none"},
				ServerToClient: DirectionAlgorithms{Cipher: aead, Compression: "none"}},
		},
		{
			name:         "null host key alone cannot serve curve25519",
			client:       kexInit("curve25519-sha256", "null", aead, ""),
			server:       kexInit("curve25519-sha256", "null", aead, ""),
			wantCategory: "kex",
		},
		{
			name:         "no common kex",
			client:       kexInit("curve25519-sha256", "ssh-ed25519", aead, ""),
			server:       kexInit("diffie-hellman-group14-sha256", "ssh-ed25519", aead, ""),
			wantCategory: "kex",
		},
		{
			name:         "only markers in common",
			client:       kexInit("curve25519-sha256,ext-info-c", "ssh-ed25519", aead, ""),
			server:       kexInit("diffie-hellman-group14-sha256,ext-info-c", "ssh-ed25519", aead, ""),
			wantCategory: "kex",
		},
		{
			name:         "no common host key",
			client:       kexInit("curve25519-sha256", "ssh-ed25519", aead, ""),
			server:       kexInit("curve25519-sha256", "rsa-sha2-512", aead, ""),
			wantCategory: "kex",
		},
		{
			name:         "no common cipher",
			client:       kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"),
			server:       kexInit("curve25519-sha256", "ssh-ed25519", "aes256-ctr", "hmac-sha2-256"),
			wantCategory: "cipher client to server",
		},
		{
			name:         "no common MAC with a non-AEAD cipher",
			client:       kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"),
			server:       kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-512"),
			wantCategory: "MAC client to server",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Negotiate(tt.client, tt.server, lookupWithGSS)
			if tt.wantCategory != "" {
				var ne *NegotiationError
				if !errors.As(err, &ne) || !errors.Is(err, ErrNoCommonAlgorithm) || ne.Category != tt.wantCategory {
					t.Fatalf("error %v, want a NegotiationError for %q", err, tt.wantCategory)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Negotiate (-want +got):\n%s", diff)
			}
		})
	}
}

// Requirement: 4253-7.1-first-preferred, 4253-7.1-same-guess
func TestGuessMatches(t *testing.T) {
	a := kexInit("curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519,rsa-sha2-512", "", "")
	same := kexInit("curve25519-sha256,ext-info-s", "ssh-ed25519", "", "")
	otherKex := kexInit("diffie-hellman-group14-sha256,curve25519-sha256", "ssh-ed25519", "", "")
	otherHost := kexInit("curve25519-sha256", "rsa-sha2-512,ssh-ed25519", "", "")
	if !GuessMatches(a, same) {
		t.Error("same first algorithms: guess should match")
	}
	if GuessMatches(a, otherKex) || GuessMatches(a, otherHost) {
		t.Error("different first algorithms: guess should not match")
	}
}

// TestDefaults: every default method is registered, no NIST curve or
// SHA-1 method is a default, and the legacy ones are registered too.
// Requirement: 9142-4-should-not
func TestDefaults(t *testing.T) {
	for _, n := range append(DefaultMethods(), LegacyMethods()...) {
		if _, ok := Lookup(n); !ok {
			t.Errorf("%s not registered", n)
		}
	}
	for _, n := range DefaultMethods() {
		if strings.Contains(n, "nistp") || strings.HasSuffix(n, "sha1") || IsMarker(n) {
			t.Errorf("%s should not be a default", n)
		}
	}
	if DefaultMethods()[0] != MLKEM768X25519SHA256 {
		t.Error("post-quantum hybrid should come first")
	}
}

// FuzzNegotiate: any pair of KEXINITs negotiates or fails with a
// NegotiationError, never panics, and a result only names algorithms
// both sides offered.
func FuzzNegotiate(f *testing.F) {
	f.Add(kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256").Append(nil),
		kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256").Append(nil))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		c, err1 := wire.ParseKexInit(a)
		s, err2 := wire.ParseKexInit(b)
		if err1 != nil || err2 != nil {
			return
		}
		got, err := Negotiate(&c, &s, nil)
		if err != nil {
			if !errors.Is(err, ErrNoCommonAlgorithm) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !contains(c.KexAlgorithms, got.Kex) || !contains(s.KexAlgorithms, got.Kex) || IsMarker(got.Kex) {
			t.Fatalf("kex %q not common", got.Kex)
		}
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
