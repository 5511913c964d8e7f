package mlkem768

import (
	"bytes"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"errors"
	"math/rand/v2"
	"testing"
)

// forEachKernel runs f once with each kernel path that can run here: the
// AVX2 one (skipped when the build or the CPU lacks it) and the generic
// one, each with the four-way Keccak sponges (keccak.go) on and off. It
// switches the package-level useAVX2 and useKeccakX4, so tests that use it
// must not run in parallel.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useKeccakX4
	defer func() { useKeccakX4 = saved }()
	forEachAVX2(t, func(t *testing.T) {
		t.Run("keccakx4", func(t *testing.T) {
			useKeccakX4 = true
			f(t)
		})
		t.Run("keccak1", func(t *testing.T) {
			useKeccakX4 = false
			f(t)
		})
	})
}

// forEachAVX2 runs f with useAVX2 on (when it can be) and off only: for
// the tests that call the four-way sponges directly, which useKeccakX4
// does not affect.
func forEachAVX2(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	t.Run("avx2", func(t *testing.T) {
		if !haveAVX2 {
			t.Skip("AVX2 kernels not available in this build or on this CPU")
		}
		useAVX2 = true
		f(t)
	})
	t.Run("generic", func(t *testing.T) {
		useAVX2 = false
		f(t)
	})
}

// newRand returns a deterministic source, so that a failure can be
// reproduced by rerunning the test.
func newRand(t *testing.T) *rand.ChaCha8 {
	var seed [32]byte
	copy(seed[:], t.Name())
	return rand.NewChaCha8(seed)
}

func randPoly(r *rand.Rand) *poly {
	var p poly
	for i := range p {
		p[i] = int16(r.IntN(q))
	}
	return &p
}

func stdKey(t *testing.T, d, z *[32]byte) *mlkem.DecapsulationKey768 {
	t.Helper()
	seed := append(d[:len(d):len(d)], z[:]...)
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		t.Fatal(err)
	}
	return dk
}

func TestTables(t *testing.T) { // FIPS 203, Appendix A
	wantZetas := []uint32{1, 1729, 2580, 3289, 2642, 630, 1897, 848}
	for i, w := range wantZetas {
		if zetas[i] != w {
			t.Errorf("zetas[%d] = %d, want %d", i, zetas[i], w)
		}
	}
	if zetas[64] != 17 {
		t.Errorf("zetas[64] = %d, want 17", zetas[64])
	}
	wantGammas := []uint32{17, q - 17, 2761, q - 2761}
	for i, w := range wantGammas {
		if gammas[i] != w {
			t.Errorf("gammas[%d] = %d, want %d", i, gammas[i], w)
		}
	}
}

func TestCompress(t *testing.T) {
	for _, d := range []uint{1, 4, 10} {
		for x := range q {
			// round(2^d·x/q) = ⌊(2^(d+1)·x + q) / 2q⌋, mod 2^d.
			want := (uint32(x)<<(d+1) + q) / (2 * q) & (1<<d - 1)
			if got := compress(int16(x), d); got != want {
				t.Fatalf("Compress_%d(%d) = %d, want %d", d, x, got, want)
			}
		}
		for y := range uint32(1 << d) {
			want := (y*q<<1 + 1<<d) / (1 << (d + 1))
			got := decompress(y, d)
			if uint32(got) != want || got >= q {
				t.Fatalf("Decompress_%d(%d) = %d, want %d", d, y, got, want)
			}
		}
	}
}

// schoolbook returns Σ a[i]·b[i] in Z_q[X]/(X^256+1), computed directly.
func schoolbook(a, b *[3]poly) *poly {
	var c [256]int64
	for n := range 3 {
		for i := range 256 {
			for j := range 256 {
				x := int64(a[n][i]) * int64(b[n][j])
				if i+j < 256 {
					c[i+j] += x
				} else {
					c[i+j-256] -= x
				}
			}
		}
	}
	var p poly
	for i := range c {
		p[i] = int16((c[i]%q + q) % q)
	}
	return &p
}

func checkCanonical(t *testing.T, what string, p *poly) {
	t.Helper()
	for i, c := range p {
		if c < 0 || c >= q {
			t.Fatalf("%s: coefficient %d = %d, not in [0, q)", what, i, c)
		}
	}
}

// TestCBD2 checks cbd2's word-at-a-time arithmetic against SamplePolyCBD_2
// as FIPS 203 (Algorithm 8) writes it, one bit at a time: every byte
// value at every position of the buffer, so each nibble of each word is
// seen with every pair of sums.
func TestCBD2(t *testing.T) {
	for v := range 256 {
		var buf [128]byte
		for i := range buf {
			buf[i] = byte(v + 7*i)
		}
		var got poly
		cbd2(&got, &buf)
		bit := func(j int) int32 { return int32(buf[j/8] >> (j % 8) & 1) }
		for i := range got {
			x := bit(4*i) + bit(4*i+1)
			y := bit(4*i+2) + bit(4*i+3)
			want := (x - y + q) % q
			if int32(got[i]) != want {
				t.Fatalf("buffer %d, coefficient %d: got %d, want %d", v, i, got[i], want)
			}
		}
	}
}

func TestKernelsIdentities(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(newRand(t))
		var zero, top poly
		for i := range top {
			top[i] = q - 1
		}
		inputs := []*poly{&zero, &top}
		for range 50 {
			inputs = append(inputs, randPoly(r))
		}
		for n, p := range inputs {
			f := *p
			ntt(&f)
			checkCanonical(t, "ntt", &f)
			invNTT(&f)
			checkCanonical(t, "invNTT", &f)
			if f != *p {
				t.Fatalf("input %d: invNTT(ntt(p)) != p", n)
			}
		}

		for n := range 10 {
			var a, b [3]poly
			for i := range 3 {
				a[i], b[i] = *randPoly(r), *randPoly(r)
			}
			if n == 0 {
				a[0], b[0] = top, top // the largest products
			}
			want := schoolbook(&a, &b)
			for i := range 3 {
				ntt(&a[i])
				ntt(&b[i])
			}
			var got poly
			basemulAcc(&got, &a, &b)
			checkCanonical(t, "basemulAcc", &got)
			invNTT(&got)
			if got != *want {
				t.Fatalf("case %d: invNTT(basemulAcc(ntt(a), ntt(b))) differs from the schoolbook product", n)
			}
		}
	})
}

func TestKeyGenAgainstStdlib(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := newRand(t)
		for n := range 200 {
			var d, z [32]byte
			r.Read(d[:])
			r.Read(z[:])
			got := newKeyFromSeed(&d, &z).EncapsulationKey()
			want := stdKey(t, &d, &z).EncapsulationKey().Bytes()
			if !bytes.Equal(got, want) {
				t.Fatalf("key %d (d = %x, z = %x): encapsulation key differs from crypto/mlkem", n, d, z)
			}
		}
	})
}

func TestEncapsulateAgainstStdlib(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := newRand(t)
		for n := range 50 {
			var d, z [32]byte
			r.Read(d[:])
			r.Read(z[:])
			ekStd := stdKey(t, &d, &z).EncapsulationKey()
			for range 4 {
				var m [32]byte
				r.Read(m[:])
				key, c, err := encapsulate(ekStd.Bytes(), &m)
				if err != nil {
					t.Fatal(err)
				}
				wantKey, wantC, err := mlkemtest.Encapsulate768(ekStd, m[:])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(c, wantC) {
					t.Fatalf("key %d, m = %x: ciphertext differs from crypto/mlkem", n, m)
				}
				if !bytes.Equal(key, wantKey) {
					t.Fatalf("key %d, m = %x: shared key differs from crypto/mlkem", n, m)
				}
			}
		}
	})
}

func TestDecapsulateAgainstStdlib(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := newRand(t)
		rr := rand.New(r)
		for n := range 30 {
			var d, z [32]byte
			r.Read(d[:])
			r.Read(z[:])
			dk := newKeyFromSeed(&d, &z)
			dkStd := stdKey(t, &d, &z)

			_, valid := dkStd.EncapsulationKey().Encapsulate()
			random := make([]byte, CiphertextSize)
			r.Read(random)
			flipped := bytes.Clone(valid)
			bit := rr.IntN(CiphertextSize * 8)
			flipped[bit/8] ^= 1 << (bit % 8)
			last := bytes.Clone(valid)
			last[CiphertextSize-1] ^= 0x80

			for _, tc := range []struct {
				name string
				c    []byte
			}{{"valid", valid}, {"random", random}, {"flipped", flipped}, {"last bit", last}} {
				got, err := dk.Decapsulate(tc.c)
				if err != nil {
					t.Fatal(err)
				}
				want, err := dkStd.Decapsulate(tc.c)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("key %d, %s ciphertext: shared key differs from crypto/mlkem", n, tc.name)
				}
			}
		}
	})
}

func TestRoundTrip(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		dk, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		ek := dk.EncapsulationKey()
		if len(ek) != EncapsulationKeySize {
			t.Fatalf("EncapsulationKey is %d bytes, want %d", len(ek), EncapsulationKeySize)
		}
		ek[0] ^= 1 // a copy: changing it must not change dk
		if bytes.Equal(ek, dk.EncapsulationKey()) {
			t.Fatal("EncapsulationKey returned the key's own buffer")
		}
		ek[0] ^= 1
		key, c, err := Encapsulate(ek)
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != SharedKeySize || len(c) != CiphertextSize {
			t.Fatalf("Encapsulate gave %d-byte key and %d-byte ciphertext", len(key), len(c))
		}
		got, err := dk.Decapsulate(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, key) {
			t.Fatal("Decapsulate did not recover the shared key")
		}
	})
}

func TestEncapsulationKeyModulus(t *testing.T) {
	var d, z [32]byte
	ek := newKeyFromSeed(&d, &z).EncapsulationKey()

	// Each case sets one 12-bit coefficient of t̂ (two per three bytes).
	set := func(coeff int, v uint16) []byte {
		b := bytes.Clone(ek)
		o := coeff / 2 * 3
		if coeff%2 == 0 {
			b[o] = byte(v)
			b[o+1] = b[o+1]&0xf0 | byte(v>>8)
		} else {
			b[o+1] = b[o+1]&0x0f | byte(v<<4)
			b[o+2] = byte(v >> 4)
		}
		return b
	}
	tests := []struct {
		name string
		ek   []byte
		ok   bool
	}{
		{"first 0xfff", set(0, 0xfff), false},
		{"second 0xfff", set(1, 0xfff), false},
		{"last q", set(3*256-1, q), false},
		{"middle q", set(300, q), false},
		{"first q-1", set(0, q-1), true},
		{"last q-1", set(3*256-1, q-1), true},
		{"empty", nil, false},
		{"short", ek[:EncapsulationKeySize-1], false},
		{"long", append(bytes.Clone(ek), 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errStd := mlkem.NewEncapsulationKey768(tt.ek)
			if (errStd == nil) != tt.ok {
				t.Fatalf("crypto/mlkem: err = %v, want ok = %v", errStd, tt.ok)
			}
			var m [32]byte
			_, _, err := encapsulate(tt.ek, &m)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrEncapsulationKey) {
				t.Fatalf("encapsulate: err = %v, want ErrEncapsulationKey", err)
			}
			if _, _, err := Encapsulate(tt.ek); !errors.Is(err, ErrEncapsulationKey) {
				t.Fatalf("Encapsulate: err = %v, want ErrEncapsulationKey", err)
			}
		})
	}
}

func TestCiphertextLength(t *testing.T) {
	var d, z [32]byte
	dk := newKeyFromSeed(&d, &z)
	for _, n := range []int{0, 1, CiphertextSize - 1, CiphertextSize + 1, 2 * CiphertextSize} {
		if _, err := dk.Decapsulate(make([]byte, n)); !errors.Is(err, ErrCiphertext) {
			t.Errorf("Decapsulate of %d bytes: err = %v, want ErrCiphertext", n, err)
		}
	}
}
