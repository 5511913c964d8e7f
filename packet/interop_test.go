package packet_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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
// strict-kex sequence reset (SECURITY.md P7).
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	vc := "SSH-2.0-sshstack_test"
	vs, err := c.ExchangeVersions(ctx, vc)
	if err != nil {
		t.Fatal(err)
	}
	read := func(want wire.MsgNum) []byte {
		t.Helper()
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatalf("reading %v: %v", want, err)
		}
		if wire.MsgNum(p[0]) != want {
			t.Fatalf("got %v, want %v", wire.MsgNum(p[0]), want)
		}
		return bytes.Clone(p)
	}
	write := func(p []byte) {
		t.Helper()
		if err := c.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}

	// RFC 4253, Section 7.1, with strict kex (OpenSSH PROTOCOL 1.9).
	ki := wire.KexInit{
		KexAlgorithms:           []string{"curve25519-sha256", "kex-strict-c-v00@openssh.com"},
		ServerHostKeyAlgorithms: []string{"ssh-ed25519"},
		CiphersClientServer:     []string{s.cipher}, CiphersServerClient: []string{s.cipher},
		MACsClientServer: macs, MACsServerClient: macs,
		CompressionClientServer: []string{"none"}, CompressionServerClient: []string{"none"},
	}
	rand.Read(ki.Cookie[:])
	ic := ki.Append(nil)
	c.SetInitialKex(true)
	write(ic)
	is := read(wire.MsgKexInit)
	sk, err := wire.ParseKexInit(is)
	if err != nil {
		t.Fatal(err)
	}
	strict := slices.Contains(sk.KexAlgorithms, "kex-strict-s-v00@openssh.com")
	if !strict {
		t.Fatal("x/crypto did not offer strict kex")
	}
	if c.ReadSeq() != 1 || c.WriteSeq() != 1 {
		t.Fatalf("seq before kex reply: read %d write %d", c.ReadSeq(), c.WriteSeq())
	}

	// RFC 8731, Section 3.
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	qc := priv.PublicKey().Bytes()
	write(wire.AppendString([]byte{byte(wire.MsgKexECDHInit)}, qc))
	r := wire.NewReader(read(wire.MsgKexECDHReply))
	r.Byte()
	ks, qs, sigBlob := r.StringBytes(), r.StringBytes(), r.StringBytes()
	if err := r.End("KEX_ECDH_REPLY"); err != nil {
		t.Fatal(err)
	}
	peer, err := ecdh.X25519().NewPublicKey(qs)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := priv.ECDH(peer)
	if err != nil {
		t.Fatal(err)
	}
	k := wire.AppendMPIntBytes(nil, secret)
	h := sha256.New()
	for _, f := range [][]byte{[]byte(vc), []byte(vs), ic, is, ks, qc, qs} {
		h.Write(wire.AppendString(nil, f))
	}
	h.Write(k)
	hash := h.Sum(nil)
	kr, sr := wire.NewReader(ks), wire.NewReader(sigBlob)
	kr.StringBytes()
	pub := kr.StringBytes()
	sr.StringBytes()
	sig := sr.StringBytes()
	if kr.Err() != nil || sr.Err() != nil || !ed25519.Verify(pub, hash, sig) {
		t.Fatal("host key signature over H does not verify")
	}

	// RFC 4253, Section 7.2.
	derive := func(letter byte, n int) []byte {
		d := sha256.New()
		d.Write(k)
		d.Write(hash)
		d.Write([]byte{letter})
		d.Write(hash) // session_id = H of the first exchange
		out := d.Sum(nil)
		for len(out) < n {
			d.Reset()
			d.Write(k)
			d.Write(hash)
			d.Write(out)
			out = d.Sum(out)
		}
		return out[:n]
	}
	alg, _ := cipher.LookupAlgorithm(s.cipher)
	keys := func(iv, key, mk byte) packet.Keys {
		pk := packet.Keys{Cipher: s.cipher, IV: derive(iv, alg.IVSize), Key: derive(key, alg.KeySize), ResetSeq: strict}
		if !alg.AEAD() {
			m, _ := cipher.LookupMAC(s.mac)
			pk.MAC, pk.MACKey = s.mac, derive(mk, m.KeySize)
		}
		return pk
	}
	if err := c.WriteNewKeys(keys('A', 'C', 'E')); err != nil {
		t.Fatal(err)
	}
	read(wire.MsgNewKeys)
	if err := c.SetReadKeys(keys('B', 'D', 'F')); err != nil {
		t.Fatal(err)
	}
	c.SetInitialKex(false)
	c.SetSessionID(hash)
	if c.ReadSeq() != 0 || c.WriteSeq() != 0 {
		t.Fatalf("strict kex did not reset: read %d write %d", c.ReadSeq(), c.WriteSeq())
	}

	// RFC 4253, Section 10; RFC 4252, Sections 5 and 8.
	write(wire.AppendString([]byte{byte(wire.MsgServiceRequest)}, "ssh-userauth"))
	read(wire.MsgServiceAccept)
	for i := range 3 {
		req := []byte{byte(wire.MsgUserauthRequest)}
		for _, f := range []string{"user", "ssh-connection", "password"} {
			req = wire.AppendString(req, f)
		}
		req = wire.AppendBool(req, false)
		req = wire.AppendString(req, bytes.Repeat([]byte{'p'}, 1+20000*i))
		write(req)
		if i == 0 {
			p := read(wire.MsgUserauthBanner)
			br := wire.NewReader(p)
			br.Byte()
			if got := br.Text(); got != banner {
				t.Fatalf("banner of %d bytes, want %d", len(got), len(banner))
			}
		}
		read(wire.MsgUserauthFailure)
	}
	if rc, wc := c.ReadCounters(), c.WriteCounters(); rc.KeyPackets != 5 || wc.KeyPackets != 4 || wc.KeyBytes < 60000 || rc.KeyBytes < 21000 {
		t.Errorf("counters: read %+v write %+v", rc, wc)
	}
}
