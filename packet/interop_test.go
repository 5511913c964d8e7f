package packet_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// TestInteropXCrypto runs our packet layer against golang.org/x/crypto/ssh
// (an independent implementation, used here as a test peer only) for every
// cipher x MAC both support: a minimal test-only curve25519-sha256 key
// exchange (RFC 8731, RFC 4253 Sections 7-8) with strict kex, then
// SERVICE_REQUEST and three password attempts carrying up to 40 KB, while
// the server sends a 21 KB banner. Every packet after NEWKEYS is thus
// produced or checked by x/crypto, in both directions, including the
// strict-kex sequence reset (docs/security.md#p7).
func TestInteropXCrypto(t *testing.T) {
	xciphers := []string{cipher.ChaCha20Poly1305, cipher.AES128GCM, cipher.AES256GCM,
		cipher.AES128CTR, cipher.AES192CTR, cipher.AES256CTR, cipher.AES128CBC, cipher.TripleDESCBC}
	xmacs := []string{cipher.HMACSHA256ETM, cipher.HMACSHA512ETM, cipher.HMACSHA256, cipher.HMACSHA512, cipher.HMACSHA1}
	var suites []suite
	for _, c := range xciphers {
		a, _ := cipher.LookupAlgorithm(c)
		if a.AEAD() {
			suites = append(suites, suite{c, ""})
			continue
		}
		for _, m := range xmacs {
			suites = append(suites, suite{c, m})
		}
	}
	for _, s := range suites {
		t.Run(s.String(), func(t *testing.T) {
			runXCryptoSession(t, s)
		})
	}
}

func runXCryptoSession(t *testing.T, s suite) {
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	macs := []string{s.mac}
	if s.mac == "" {
		macs = []string{cipher.HMACSHA256}
	}
	banner := strings.Repeat("banner ", 3000)
	cfg := &ssh.ServerConfig{
		Config: ssh.Config{Ciphers: []string{s.cipher}, MACs: macs, KeyExchanges: []string{"curve25519-sha256"}},
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			return nil, errors.New("no")
		},
		BannerCallback: func(ssh.ConnMetadata) string { return banner },
	}
	cfg.AddHostKey(signer)
	a, b := packettest.Pipe()
	done := make(chan error, 1)
	go func() {
		_, _, _, err := ssh.NewServerConn(b, cfg)
		b.Close()
		done <- err
	}()
	c := packet.NewConn(a, nil)
	defer func() {
		c.Close()
		<-done
	}()
	tc := &testClient{t: t, c: c, suite: s}
	tc.handshake()
	if !tc.strict {
		t.Fatal("x/crypto did not offer strict kex")
	}
	tc.serviceRequest()
	for i := range 3 {
		req := userauthRequest("user", "password")
		req = wire.AppendBool(req, false)
		req = wire.AppendString(req, bytes.Repeat([]byte{'p'}, 1+20000*i))
		tc.write(req)
		if i == 0 {
			br := wire.NewReader(tc.read(wire.MsgUserauthBanner))
			br.Byte()
			if got := br.Text(); got != banner {
				t.Fatalf("banner of %d bytes, want %d", len(got), len(banner))
			}
		}
		tc.read(wire.MsgUserauthFailure)
	}
	if rc, wc := c.ReadCounters(), c.WriteCounters(); rc.KeyPackets != 5 || wc.KeyPackets != 4 || wc.KeyBytes < 60000 || rc.KeyBytes < 21000 {
		t.Errorf("counters: read %+v write %+v", rc, wc)
	}
}
