package mlkem768

import (
	"crypto/mlkem"
	"testing"
)

// The stdlib sub-benchmarks measure crypto/mlkem doing the same work, so
// that the gain that justifies this package (docs/decisions/0041) can be
// read off one run; the keccak1 ones run this package with the four-way
// Keccak sponges off (decision 0044), for the before and after.

// keccak1 runs f with useKeccakX4 off.
func keccak1(f func(b *testing.B)) func(b *testing.B) {
	return func(b *testing.B) {
		saved := useKeccakX4
		defer func() { useKeccakX4 = saved }()
		useKeccakX4 = false
		f(b)
	}
}

func BenchmarkKeyGen(b *testing.B) {
	keyGen := func(b *testing.B) {
		b.ReportAllocs()
		var d, z [32]byte
		for b.Loop() {
			dk := newKeyFromSeed(&d, &z)
			_ = dk
		}
	}
	b.Run("mlkem768", keyGen)
	b.Run("mlkem768-keccak1", keccak1(keyGen))
	b.Run("stdlib", func(b *testing.B) {
		b.ReportAllocs()
		seed := make([]byte, mlkem.SeedSize)
		for b.Loop() {
			if _, err := mlkem.NewDecapsulationKey768(seed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncapsulate(b *testing.B) {
	var d, z [32]byte
	ek := newKeyFromSeed(&d, &z).EncapsulationKey()
	encaps := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Encapsulate(ek); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("mlkem768", encaps)
	b.Run("mlkem768-keccak1", keccak1(encaps))
	b.Run("stdlib", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// Parsing is part of the work, as Encapsulate parses too.
			k, err := mlkem.NewEncapsulationKey768(ek)
			if err != nil {
				b.Fatal(err)
			}
			k.Encapsulate()
		}
	})
}

func BenchmarkDecapsulate(b *testing.B) {
	var d, z [32]byte
	dk := newKeyFromSeed(&d, &z)
	_, c, err := Encapsulate(dk.EncapsulationKey())
	if err != nil {
		b.Fatal(err)
	}
	decaps := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dk.Decapsulate(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("mlkem768", decaps)
	b.Run("mlkem768-keccak1", keccak1(decaps))
	b.Run("stdlib", func(b *testing.B) {
		b.ReportAllocs()
		dkStd, err := mlkem.NewDecapsulationKey768(make([]byte, mlkem.SeedSize))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := dkStd.Decapsulate(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCBD2(b *testing.B) {
	var p poly
	var buf [128]byte
	for i := range buf {
		buf[i] = byte(i * 37)
	}
	for b.Loop() {
		cbd2(&p, &buf)
	}
}
