package hostkey_test

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"runtime"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
)

// allocBytes returns the bytes f allocates. Tests calling it must not
// run in parallel with others.
func allocBytes(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// maxAlloc bounds what parsing n bytes may allocate: copies and big
// integers proportional to the input, plus constant overhead.
func maxAlloc(n int) uint64 { return uint64(32*n + 64<<10) }

// TestHugeLengths writes a length of remaining+1, 0x7fffffff and
// 0xffffffff at every offset of valid encodings: every parser must fail
// or succeed without panicking or allocating past the input
// (docs/security.md#w1, #w7: certificate principals and options included).
func TestHugeLengths(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	type enc struct {
		name  string
		b     []byte
		parse func([]byte) error
	}
	parsePub := func(b []byte) error { _, err := hostkey.ParsePublicKey(b); return err }
	var encs []enc
	for _, k := range testKeys(t) {
		s := signerFor(t, k.name)
		encs = append(encs, enc{k.name, s.PublicKey().Marshal(), parsePub})
		c := &hostkey.Certificate{Key: s.PublicKey(), CertType: hostkey.UserCert, ValidPrincipals: []string{"a", "b"},
			ValidBefore: hostkey.CertTimeInfinity, CriticalOptions: map[string]string{hostkey.OptForceCommand: "x"},
			Extensions: map[string]string{hostkey.ExtPermitPTY: "", hostkey.ExtPermitUserRC: ""}}
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc{k.name + " cert", c.Marshal(), parsePub})
		sig, _ := s.Sign(rand.Reader, []byte("d"))
		encs = append(encs, enc{k.name + " signature", sig.Marshal(), func(b []byte) error { _, err := hostkey.ParseSignature(b); return err }})
		pemBytes, _ := hostkey.MarshalPrivateKey(k.priv, "c", nil, nil)
		block, _ := pem.Decode(pemBytes)
		encs = append(encs, enc{k.name + " private key", block.Bytes, func(b []byte) error {
			_, _, err := hostkey.ParseRawPrivateKey(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: b}), nil)
			return err
		}})
	}
	for _, e := range encs {
		t.Run(e.name, func(t *testing.T) {
			for off := 0; off+4 <= len(e.b); off++ {
				for _, n := range []uint32{uint32(len(e.b) - off - 3), 0x7fffffff, 0xffffffff} {
					b := append([]byte(nil), e.b...)
					old := binary.BigEndian.Uint32(b[off:])
					if old == n {
						continue
					}
					binary.BigEndian.PutUint32(b[off:], n)
					if got := allocBytes(func() { e.parse(b) }); got > maxAlloc(len(b)) {
						t.Fatalf("length %#x at offset %d: %d bytes allocated for a %d-byte input", n, off, got, len(b))
					}
				}
			}
		})
	}
}
