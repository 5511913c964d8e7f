package kex

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// The vectors in this file were computed independently with a short
// Python 3 script (hashlib, built-in pow): the RFC 4253 Section 7.2 and
// Section 8 formulas written out by hand, not with this package.

// Requirement: 4253-8-exchange-hash
func TestExchangeHash(t *testing.T) {
	cp, _ := testParams(nil)
	ks := wire.AppendString(wire.AppendString(nil, "ssh-ed25519"), seq(0, 32))
	k := wire.AppendMPIntBytes(nil, append([]byte{0x80}, seq(1, 31)...))
	got := cp.ExchangeHash(crypto.SHA256, ks, ecdhFields(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)), k)
	const want = "e66d7622f450e66ad8650180f83eb00a1362cf55a3591eef791f7c9b474c7c4b"
	if hex.EncodeToString(got) != want {
		t.Errorf("H = %x, want %s", got, want)
	}
	if hex.EncodeToString(k) != "0000002100800102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" {
		t.Errorf("K encoding %x", k)
	}
}

// Requirement: 4253-7.2-derive
// Requirement: 4253-7.2-key-start
func TestDeriveKey(t *testing.T) {
	k := wire.AppendMPIntBytes(nil, append([]byte{0x80}, seq(1, 31)...))
	h := hexBytes("e66d7622f450e66ad8650180f83eb00a1362cf55a3591eef791f7c9b474c7c4b")
	tests := []struct {
		name   string
		hash   crypto.Hash
		sid    []byte
		letter byte
		n      int
		want   string
	}{
		{"A 16 bytes", crypto.SHA256, h, 'A', 16, "131440b349ca469fe15294339b2b5a9f"},
		{"C 64 bytes, extended", crypto.SHA256, h, 'C', 64, "a2e89036817b35289ae240f805cd15de7720d79d7d3472f0203f4f5bd6b450c7c82b6c0477979827cefb8eea71439832c6cca3f488800ea091b9e1e57269fe63"},
		{"F 100 bytes, sha512, other session", crypto.SHA512, []byte("other-session"), 'F', 100, "b30f16fd8959942b1d29487a3150b06d4c4192eee30deae1e1eafae02fe86ea6439c37ea71826bd80b9ff564dfb763bb2e3dfe3e7a11e44fe8f45b29bd8e3e3b756e529be68db42ae76ec446a13fa39d4efe8ad5e5151a99408c38da8d2ef1ddc33781aa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeriveKey(tt.hash, k, h, tt.sid, tt.letter, tt.n)
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("got %x\nwant %s", got, tt.want)
			}
		})
	}
	r := &Result{K: k, H: h, Hash: crypto.SHA256}
	c2s, s2c := r.Keys(h, KeySizes{IV: 16, Key: 64}, KeySizes{MACKey: 32})
	if hex.EncodeToString(c2s.IV) != tests[0].want || hex.EncodeToString(c2s.Key) != tests[1].want {
		t.Error("Keys disagrees with DeriveKey")
	}
	if c2s.MACKey != nil || len(s2c.MACKey) != 32 || s2c.IV != nil {
		t.Error("Keys sizes wrong")
	}
}

func seq(start, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

// acceptAll records the exchange hash instead of checking a signature.
type acceptAll struct{ h []byte }

func (a *acceptAll) VerifyHostKey(_ string, _, data, _ []byte) error {
	a.h = append([]byte(nil), data...)
	return nil
}

const katF = "8bb28bd072050e34ac508d1895864cc906aff067907da44fa06b9d8247f077fcf16a61669e18b4d038333b30f72f285c19bc105db5c552fb2d38c5abccdd8bc2f0965256a4cbfaadc9b74878c3367ffb39be6e317a15e965b41ab3e5e47b6d1298e3afe7fb384b2a7a0888c8c7771474d76191c792dbc86fd2fcfee064c984d74207a8fa5413738df4e0be23e0ac9ed656c62283e019e1cfee3d11b347ceaad7d653d078558e4274065d2e37f3a40e121bb7bf5534eb50fa4d33ddd0b3701fe5df324fa96a0831acab1a727e2f7f000f9bfa0c6c27105d8c75be097181480f2e8844a1eb42ab747f894b002567888d88dd733021ea30466f217b178b3826499a"

// TestDHGroup14KAT runs the client of diffie-hellman-group14-sha256 with
// x = 0x0101...01 (512 bits, from a constant random source) against a
// scripted server whose f = 2^0x1234567 mod p, and compares e, K and H
// with the Python computation.
// Requirement: 4253-8-exchange-hash, 8268-3-hashes
func TestDHGroup14KAT(t *testing.T) {
	m, _ := Lookup(DHGroup14SHA256)
	cp, _ := testParams(nil)
	v := &acceptAll{}
	cp.Verifier, cp.Rand = v, constReader(1)
	reply := (&wire.KexDHReply{HostKey: []byte("hk"), F: hexBytes(katF), Signature: []byte("sig")}).Append(nil)
	sc := &scriptConn{replies: [][]byte{reply}}
	res, err := m.Run(context.Background(), sc, cp)
	if err != nil {
		t.Fatal(err)
	}
	init, err := wire.ParseKexDHInit(sc.written[0])
	if err != nil {
		t.Fatal(err)
	}
	checkSHA256(t, "e", wire.AppendMPIntBytes(nil, init.E), "856644257f4727edbfa82f4361e872ef6070a415cf7ee67754e59541330d42c6")
	checkSHA256(t, "K", res.K, "dbd47300882dd9315fdefbd792d6958e0da4b6b6a54043e5f816e861919d28fd")
	if got := hex.EncodeToString(res.H); got != "9365cda4904ed87d37d56a15926422627823f86acda91386d836553e84db09b6" {
		t.Errorf("H = %s", got)
	}
	if !bytes.Equal(v.h, res.H) {
		t.Error("verifier saw another H")
	}
}

// TestGroupExchangeKAT: the same values through
// diffie-hellman-group-exchange-sha256 with a scripted server that offers
// group 14.
// Requirement: 4419-3-hash
func TestGroupExchangeKAT(t *testing.T) {
	m, _ := Lookup(DHGroupExchangeSHA256)
	cp, _ := testParams(nil)
	cp.Verifier, cp.Rand = &acceptAll{}, constReader(1)
	group := (&wire.KexDHGexGroup{P: group14.P.Bytes(), G: []byte{2}}).Append(nil)
	reply := (&wire.KexDHGexReply{HostKey: []byte("hk"), F: hexBytes(katF), Signature: []byte("sig")}).Append(nil)
	sc := &scriptConn{replies: [][]byte{group, reply}}
	res, err := m.Run(context.Background(), sc, cp)
	if err != nil {
		t.Fatal(err)
	}
	req, err := wire.ParseKexDHGexRequest(sc.written[0])
	if err != nil || req != (wire.KexDHGexRequest{Min: 2048, N: 3072, Max: 8192}) {
		t.Fatalf("request %+v, %v", req, err)
	}
	if got := hex.EncodeToString(res.H); got != "6abee8f759195c4013d832d722464b82ad7f7cbb4cefa8fe76267dd397271020" {
		t.Errorf("H = %s", got)
	}
	checkSHA256(t, "K", res.K, "dbd47300882dd9315fdefbd792d6958e0da4b6b6a54043e5f816e861919d28fd")
}

// TestX25519KAT checks the curve25519 shared secret and its mpint
// encoding with the RFC 7748, Section 6.1 test vector.
// Requirement: 8731-3.1-k-mpint
func TestX25519KAT(t *testing.T) {
	alice, err := ecdh.X25519().NewPrivateKey(hexBytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	if err != nil {
		t.Fatal(err)
	}
	bobPub := hexBytes("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	secret, err := ECDHSharedSecret(ecdh.X25519(), alice, bobPub)
	if err != nil {
		t.Fatal(err)
	}
	const want = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
	if hex.EncodeToString(secret) != want {
		t.Fatalf("X25519 = %x", secret)
	}
	// The first byte 0x4a has the top bit clear: no padding byte.
	if k := wire.AppendMPIntBytes(nil, secret); hex.EncodeToString(k) != "00000020"+want {
		t.Errorf("mpint K = %x", k)
	}
}

// TestGroupPrimes recomputes the built-in primes from their definition
// 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k), with pi from
// Machin's formula (RFC 3526, Sections 2-7; RFC 2409, Section 6.2).
// Requirement: 8268-3-hashes
func TestGroupPrimes(t *testing.T) {
	for _, tc := range []struct {
		g *Group
		n uint
		k int64
	}{
		{group1, 1024, 129093}, {group14, 2048, 124476}, {group15, 3072, 1690314},
		{group16, 4096, 240904}, {group17, 6144, 929484}, {group18, 8192, 4743158},
	} {
		if got := modpPrime(tc.n, tc.k); got.Cmp(tc.g.P) != 0 {
			t.Errorf("%d-bit prime differs from its definition", tc.n)
		}
		if tc.g.G.Int64() != 2 {
			t.Errorf("%d-bit group generator %v", tc.n, tc.g.G)
		}
	}
}

func modpPrime(n uint, k int64) *big.Int {
	const guard = 64
	bits := n - 130
	one := new(big.Int).Lsh(big.NewInt(1), bits+guard)
	atan := func(x int64) *big.Int { // atan(1/x) * 2^(bits+guard)
		sum := new(big.Int)
		xx := big.NewInt(x * x)
		term := new(big.Int).Div(one, big.NewInt(x))
		for i := int64(0); term.Sign() != 0; i++ {
			t := new(big.Int).Div(term, big.NewInt(2*i+1))
			if i%2 == 0 {
				sum.Add(sum, t)
			} else {
				sum.Sub(sum, t)
			}
			term.Div(term, xx)
		}
		return sum
	}
	pi := new(big.Int).Mul(atan(5), big.NewInt(16))
	pi.Sub(pi, new(big.Int).Mul(atan(239), big.NewInt(4)))
	pi.Rsh(pi, guard)
	pi.Add(pi, big.NewInt(k))
	pi.Lsh(pi, 64)
	p := new(big.Int).Lsh(big.NewInt(1), n)
	p.Sub(p, new(big.Int).Lsh(big.NewInt(1), n-64))
	p.Sub(p, big.NewInt(1))
	return p.Add(p, pi)
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func checkSHA256(t *testing.T, what string, b []byte, want string) {
	t.Helper()
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA-256(%s) = %s, want %s", what, got, want)
	}
}
