package mlkem768

import (
	"crypto/mlkem"
	"testing"
)

// The stdlib sub-benchmarks measure crypto/mlkem doing the same work, so
// that the gain that justifies this package (docs/decisions/0041) can be
// read off one run.

func BenchmarkKeyGen(b *testing.B) {
	b.Run("mlkem768", func(b *testing.B) {
		b.ReportAllocs()
		var d, z [32]byte
		for b.Loop() {
			dk := newKeyFromSeed(&d, &z)
			_ = dk
		}
	})
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
	b.Run("mlkem768", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Encapsulate(ek); err != nil {
				b.Fatal(err)
			}
		}
	})
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
	b.Run("mlkem768", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dk.Decapsulate(c); err != nil {
				b.Fatal(err)
			}
		}
	})
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
