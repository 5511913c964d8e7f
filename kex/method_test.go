package kex

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/wire"
)

// Method tests run the two sides in goroutines; none may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestMethodsAgree runs client and server of every registered method
// against each other and checks that both derive the same K and H and
// that the client saw the server's host key.
// Requirement: 4253-8.1-group1, 4253-8.2-group14
// Requirement: 5656-6.2.1-hash, 5656-10.1-curves, 8268-4-not-sent, 9142-4-group14-sha256, 9142-4-should, protocol-1.4-not-generated
func TestMethodsAgree(t *testing.T) {
	hk := newTestHostKey(t)
	for _, name := range Methods() {
		m, _ := Lookup(name)
		t.Run(name, func(t *testing.T) {
			if testing.Short() && (name == DHGroup18SHA512) {
				t.Skip("slow in -short")
			}
			cr, sr, cerr, serr := runPair(t, m, hk)
			if cerr != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", cerr, serr)
			}
			if !bytes.Equal(cr.K, sr.K) || !bytes.Equal(cr.H, sr.H) {
				t.Fatal("K or H differ between client and server")
			}
			if cr.Hash != sr.Hash || cr.Hash.Size() != len(cr.H) {
				t.Fatalf("hash %v/%v, |H| = %d", cr.Hash, sr.Hash, len(cr.H))
			}
			if !bytes.Equal(cr.HostKey, hk.blob) {
				t.Fatal("client did not record K_S")
			}
		})
	}
}

// TestMethodHashes pins the hash function and K encoding of each method
// (RFC 8731, RFC 5656 Section 6.2.1, RFC 8268, RFC 4419, the hybrid
// drafts: K is a string for the hybrids, an mpint otherwise).
// Requirement: 5656-6.2.1-hash, 8268-3-hashes
func TestMethodHashes(t *testing.T) {
	hk := newTestHostKey(t)
	tests := []struct {
		name     string
		hash     crypto.Hash
		kIsStrng bool
	}{
		{MLKEM768X25519SHA256, crypto.SHA256, true},
		{SNTRUP761X25519SHA512, crypto.SHA512, true},
		{SNTRUP761X25519SHA512OpenSSH, crypto.SHA512, true},
		{Curve25519SHA256, crypto.SHA256, false},
		{Curve25519SHA256LibSSH, crypto.SHA256, false},
		{ECDHSHA2NISTP256, crypto.SHA256, false},
		{ECDHSHA2NISTP384, crypto.SHA384, false},
		{ECDHSHA2NISTP521, crypto.SHA512, false},
		{DHGroup14SHA256, crypto.SHA256, false},
		{DHGroup16SHA512, crypto.SHA512, false},
		{DHGroup14SHA1, crypto.SHA1, false},
		{DHGroup1SHA1, crypto.SHA1, false},
		{DHGroupExchangeSHA256, crypto.SHA256, false},
		{DHGroupExchangeSHA1, crypto.SHA1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Lookup(tt.name)
			if !ok {
				t.Fatal("not registered")
			}
			cr, _, cerr, serr := runPair(t, m, hk)
			if cerr != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", cerr, serr)
			}
			if cr.Hash != tt.hash {
				t.Errorf("hash = %v, want %v", cr.Hash, tt.hash)
			}
			r := wire.NewReader(cr.K)
			if tt.kIsStrng {
				if s := r.StringBytes(); len(s) != tt.hash.Size() || r.Len() != 0 {
					t.Errorf("K is not a string of %d bytes: %x", tt.hash.Size(), cr.K)
				}
			} else {
				if v := r.MPInt(); r.Err() != nil || r.Len() != 0 || v.Sign() <= 0 {
					t.Errorf("K is not a positive mpint: %v", r.Err())
				}
			}
		})
	}
}

// TestHostKeyRejected: a client whose verifier refuses gets ErrHostKey.
func TestHostKeyRejected(t *testing.T) {
	hk := newTestHostKey(t)
	other := newTestHostKey(t)
	m, _ := Lookup(Curve25519SHA256)
	a, b := memPipe()
	cp, sp := testParams(hk)
	sp.HostKey = other // server signs with a key the client's verifier...
	cp.Verifier = verifierFunc(func(alg string, blob, data, sig []byte) error {
		if !bytes.Equal(blob, hk.blob) {
			return errBadSignature // ...does not trust
		}
		return hk.VerifyHostKey(alg, blob, data, sig)
	})
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { _, err := m.Run(ctx, b, sp); done <- err }()
	_, err := m.Run(ctx, a, cp)
	if !errors.Is(err, ErrHostKey) {
		t.Fatalf("client error %v, want ErrHostKey", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}

type verifierFunc func(alg string, blob, data, sig []byte) error

func (f verifierFunc) VerifyHostKey(alg string, blob, data, sig []byte) error {
	return f(alg, blob, data, sig)
}

// serverGets runs the server side of method name with a single scripted
// client message and returns its error.
func serverGets(t *testing.T, name string, msg []byte) error {
	t.Helper()
	m, _ := Lookup(name)
	_, sp := testParams(newTestHostKey(t))
	_, err := m.Run(context.Background(), &scriptConn{replies: [][]byte{msg}}, sp)
	return err
}

// clientGets runs the client side with a scripted server reply carrying
// serverPublic and returns its error.
func clientGets(t *testing.T, name string, reply []byte) error {
	t.Helper()
	m, _ := Lookup(name)
	cp, _ := testParams(newTestHostKey(t))
	_, err := m.Run(context.Background(), &scriptConn{replies: [][]byte{reply}}, cp)
	return err
}

func ecdhInit(q []byte) []byte { return (&wire.KexECDHInit{ClientPublic: q}).Append(nil) }
func ecdhReply(q []byte) []byte {
	return (&wire.KexECDHReply{HostKey: []byte("k"), ServerPublic: q, Signature: []byte("s")}).Append(nil)
}

// x25519LowOrder lists the little-endian encodings of the points of small
// order on Curve25519 and their non-canonical twins (RFC 7748, Section 6.1
// rationale; the list is the well-known one used by libsodium's
// blocklist): each makes the X25519 output all zero.
var x25519LowOrder = [][]byte{
	make([]byte, 32),                       // 0
	append([]byte{1}, make([]byte, 31)...), // 1
	hexBytes("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
	hexBytes("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
	hexBytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p-1
	hexBytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p
	hexBytes("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p+1
}

// TestCurve25519Hostile covers docs/security.md#k7: low-order points (all-zero
// shared secret) and 31/33-byte keys, on both sides.
// Requirement: 8731-3-zero-secret, 8731-3-key-length
func TestCurve25519Hostile(t *testing.T) {
	bad := append([][]byte{make([]byte, 31), make([]byte, 33), nil}, x25519LowOrder...)
	for _, name := range []string{Curve25519SHA256, Curve25519SHA256LibSSH} {
		for i, q := range bad {
			if err := serverGets(t, name, ecdhInit(q)); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s server, case %d: %v, want ErrInvalidPublicValue", name, i, err)
			}
			if err := clientGets(t, name, ecdhReply(q)); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s client, case %d: %v, want ErrInvalidPublicValue", name, i, err)
			}
		}
	}
}

// TestECDHHostile covers docs/security.md#k6: a point not on the curve, the
// point at infinity, the compressed form, and wrong lengths.
// Requirement: 5656-4-validate, 5656-4-fail, protocol-1.4-not-accepted, protocol-1.4-not-generated
func TestECDHHostile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		curve ecdh.Curve
	}{
		{ECDHSHA2NISTP256, ecdh.P256()},
		{ECDHSHA2NISTP384, ecdh.P384()},
		{ECDHSHA2NISTP521, ecdh.P521()},
	} {
		priv, _ := tc.curve.GenerateKey(nil)
		good := priv.PublicKey().Bytes()
		n := (len(good) - 1) / 2
		offCurve := append([]byte(nil), good...)
		offCurve[len(offCurve)-1] ^= 1
		compressed := append([]byte{2 + good[len(good)-1]&1}, good[1:1+n]...)
		bad := map[string][]byte{
			"off curve":   offCurve,
			"infinity":    {0},
			"compressed":  compressed,
			"short":       good[:len(good)-1],
			"long":        append(append([]byte(nil), good...), 0),
			"zero coords": append([]byte{4}, make([]byte, 2*n)...),
			"empty":       nil,
		}
		for what, q := range bad {
			if err := serverGets(t, tc.name, ecdhInit(q)); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s server, %s: %v, want ErrInvalidPublicValue", tc.name, what, err)
			}
			if err := clientGets(t, tc.name, ecdhReply(q)); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s client, %s: %v, want ErrInvalidPublicValue", tc.name, what, err)
			}
		}
	}
}

// TestHybridHostile: wrong lengths of the KEM public key and ciphertext,
// and a low-order X25519 share inside a well-sized hybrid value
// (docs/security.md#k7).
func TestHybridHostile(t *testing.T) {
	for _, tc := range []struct {
		name           string
		initLen, reply int
	}{
		{MLKEM768X25519SHA256, 1184 + 32, 1088 + 32},
		{SNTRUP761X25519SHA512, 1158 + 32, 1039 + 32},
		{SNTRUP761X25519SHA512OpenSSH, 1158 + 32, 1039 + 32},
	} {
		for _, n := range []int{0, 32, tc.initLen - 1, tc.initLen + 1} {
			if err := serverGets(t, tc.name, ecdhInit(make([]byte, n))); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s server, %d-byte init: %v", tc.name, n, err)
			}
		}
		for _, n := range []int{0, 32, tc.reply - 1, tc.reply + 1} {
			if err := clientGets(t, tc.name, ecdhReply(make([]byte, n))); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s client, %d-byte reply: %v", tc.name, n, err)
			}
		}
		// A valid KEM part with an all-zero X25519 share.
		m, _ := Lookup(tc.name)
		qc, _, _, err := m.(*kem).generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		copy(qc[len(qc)-32:], make([]byte, 32))
		if err := serverGets(t, tc.name, ecdhInit(qc)); !errors.Is(err, ErrInvalidPublicValue) {
			t.Errorf("%s server, zero X25519 share: %v", tc.name, err)
		}
	}
}

// TestDHHostile covers docs/security.md#k8 on both sides of every fixed group
// and of group exchange: 0, 1, p-1, p, p+1 and a value above 2^bits.
// Requirement: 4253-8-e-f-range
// Requirement: 8268-4-check-peer, 8268-4-not-sent
func TestDHHostile(t *testing.T) {
	for _, name := range []string{DHGroup14SHA256, DHGroup16SHA512, DHGroup14SHA1, DHGroup1SHA1} {
		m, _ := Lookup(name)
		p := m.(*dhGroup).group.P
		for _, v := range badDHValues(p) {
			init := (&wire.KexDHInit{E: v.Bytes()}).Append(nil)
			if err := serverGets(t, name, init); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s server, e=%v...: %v", name, short(v), err)
			}
			reply := (&wire.KexDHReply{HostKey: []byte("k"), F: v.Bytes(), Signature: []byte("s")}).Append(nil)
			if err := clientGets(t, name, reply); !errors.Is(err, ErrInvalidPublicValue) {
				t.Errorf("%s client, f=%v...: %v", name, short(v), err)
			}
		}
	}
}

func badDHValues(p *big.Int) []*big.Int {
	one := big.NewInt(1)
	return []*big.Int{
		big.NewInt(0), one,
		new(big.Int).Sub(p, one), p, new(big.Int).Add(p, one),
		new(big.Int).Lsh(one, uint(p.BitLen()+8)),
	}
}

func short(v *big.Int) string {
	s := v.Text(16)
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// TestUnexpectedMessage: a method message of the wrong kind (or a
// truncated one) fails with ErrUnexpectedMessage or a decoding error,
// never a panic.
func TestUnexpectedMessage(t *testing.T) {
	for _, name := range Methods() {
		wrong := []byte{byte(wire.MsgNewKeys)}
		if err := serverGets(t, name, wrong); !errors.Is(err, ErrUnexpectedMessage) {
			t.Errorf("%s server: %v, want ErrUnexpectedMessage", name, err)
		}
		if err := clientGets(t, name, wrong); !errors.Is(err, ErrUnexpectedMessage) {
			t.Errorf("%s client: %v, want ErrUnexpectedMessage", name, err)
		}
	}
}

func hexBytes(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
