package packet_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// testClient drives a packet.Conn as an SSH client for interop tests: a
// minimal, test-only curve25519-sha256 key exchange (RFC 8731; RFC 4253,
// Sections 7-8) with strict kex when the server offers it, then plain
// message helpers. It is not the kex layer; it exists so that packet can
// be checked against independent implementations on its own.
type testClient struct {
	t      *testing.T
	c      *packet.Conn
	suite  suite
	comp   string // compression to negotiate
	strict bool
	h      []byte // exchange hash = session identifier
}

func (tc *testClient) read(want wire.MsgNum) []byte {
	tc.t.Helper()
	p, err := tc.c.ReadPacket()
	if err != nil {
		tc.t.Fatalf("reading %v: %v", want, err)
	}
	if want != 0 && wire.MsgNum(p[0]) != want {
		tc.t.Fatalf("got %v (%x), want %v", wire.MsgNum(p[0]), p[:min(len(p), 64)], want)
	}
	return bytes.Clone(p)
}

func (tc *testClient) write(p []byte) {
	tc.t.Helper()
	if err := tc.c.WritePacket(p); err != nil {
		tc.t.Fatal(err)
	}
}

// handshake runs the version exchange and the key exchange, verifying the
// server's ed25519 signature over H.
func (tc *testClient) handshake() {
	t := tc.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vc := "SSH-2.0-sshstack_test"
	vs, err := tc.c.ExchangeVersions(ctx, vc)
	if err != nil {
		t.Fatal(err)
	}
	macs := []string{tc.suite.mac}
	if tc.suite.mac == "" {
		macs = []string{cipher.HMACSHA256}
	}
	comp := []string{tc.comp}
	if tc.comp == "" {
		comp = []string{"none"}
	}
	ki := wire.KexInit{
		KexAlgorithms:           []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "kex-strict-c-v00@openssh.com"},
		ServerHostKeyAlgorithms: []string{"ssh-ed25519"},
		CiphersClientServer:     []string{tc.suite.cipher}, CiphersServerClient: []string{tc.suite.cipher},
		MACsClientServer: macs, MACsServerClient: macs,
		CompressionClientServer: comp, CompressionServerClient: comp,
	}
	rand.Read(ki.Cookie[:])
	ic := ki.Append(nil)
	tc.c.SetInitialKex(true)
	tc.write(ic)
	is := tc.read(wire.MsgKexInit)
	sk, err := wire.ParseKexInit(is)
	if err != nil {
		t.Fatal(err)
	}
	tc.strict = slices.Contains(sk.KexAlgorithms, "kex-strict-s-v00@openssh.com")

	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	qc := priv.PublicKey().Bytes()
	tc.write(wire.AppendString([]byte{byte(wire.MsgKexECDHInit)}, qc))
	r := wire.NewReader(tc.read(wire.MsgKexECDHReply))
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
	tc.h = h.Sum(nil)
	kr, sr := wire.NewReader(ks), wire.NewReader(sigBlob)
	kr.StringBytes()
	pub := kr.StringBytes()
	sr.StringBytes()
	sig := sr.StringBytes()
	if kr.Err() != nil || sr.Err() != nil || !ed25519.Verify(pub, tc.h, sig) {
		t.Fatal("host key signature over H does not verify")
	}

	derive := func(letter byte, n int) []byte { // RFC 4253, Section 7.2
		d := sha256.New()
		d.Write(k)
		d.Write(tc.h)
		d.Write([]byte{letter})
		d.Write(tc.h) // session_id: H of the first exchange
		out := d.Sum(nil)
		for len(out) < n {
			d.Reset()
			d.Write(k)
			d.Write(tc.h)
			d.Write(out)
			out = d.Sum(out)
		}
		return out[:n]
	}
	alg, _ := cipher.LookupAlgorithm(tc.suite.cipher)
	keys := func(iv, key, mk byte) packet.Keys {
		pk := packet.Keys{Cipher: tc.suite.cipher, IV: derive(iv, alg.IVSize), Key: derive(key, alg.KeySize),
			Compression: tc.comp, ResetSeq: tc.strict}
		if !alg.AEAD() {
			m, _ := cipher.LookupMAC(tc.suite.mac)
			pk.MAC, pk.MACKey = tc.suite.mac, derive(mk, m.KeySize)
		}
		return pk
	}
	if err := tc.c.WriteNewKeys(keys('A', 'C', 'E')); err != nil {
		t.Fatal(err)
	}
	tc.read(wire.MsgNewKeys)
	if err := tc.c.SetReadKeys(keys('B', 'D', 'F')); err != nil {
		t.Fatal(err)
	}
	tc.c.SetInitialKex(false)
	tc.c.SetSessionID(tc.h)
	if tc.strict && (tc.c.ReadSeq() != 0 || tc.c.WriteSeq() != 0) {
		t.Fatalf("strict kex did not reset: read %d write %d", tc.c.ReadSeq(), tc.c.WriteSeq())
	}
}

// serviceRequest asks for ssh-userauth (RFC 4253, Section 10).
func (tc *testClient) serviceRequest() {
	tc.write(wire.AppendString([]byte{byte(wire.MsgServiceRequest)}, "ssh-userauth"))
	tc.read(wire.MsgServiceAccept)
}

// userauthRequest builds the common head of USERAUTH_REQUEST (RFC 4252,
// Section 5).
func userauthRequest(user, method string) []byte {
	req := []byte{byte(wire.MsgUserauthRequest)}
	for _, f := range []string{user, "ssh-connection", method} {
		req = wire.AppendString(req, f)
	}
	return req
}

// publickey authenticates user with an ed25519 key (RFC 4252, Section 7)
// and expects USERAUTH_SUCCESS.
func (tc *testClient) publickey(user string, priv ed25519.PrivateKey) {
	pubBlob := wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), priv.Public().(ed25519.PublicKey))
	req := userauthRequest(user, "publickey")
	req = wire.AppendBool(req, true)
	req = wire.AppendString(req, "ssh-ed25519")
	req = wire.AppendString(req, pubBlob)
	signed := append(wire.AppendString(nil, tc.h), req...)
	sig := ed25519.Sign(priv, signed)
	req = wire.AppendString(req, wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), sig))
	tc.write(req)
	tc.read(wire.MsgUserauthSuccess)
}
