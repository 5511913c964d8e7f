package mlkem768

import (
	"bytes"
	"crypto/mlkem/mlkemtest"
	"crypto/sha3"
	"encoding/binary"
	"testing"
)

// FuzzAgainstStdlib expands its input into d, z, m and a bit position and
// checks key generation, encapsulation and the decapsulation of both the
// ciphertext and the ciphertext with that bit flipped against crypto/mlkem,
// with the four-way Keccak sponges on and off.
func FuzzAgainstStdlib(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("mlkem768x25519-sha256"))
	f.Add(bytes.Repeat([]byte{0xff}, 100))
	f.Fuzz(func(t *testing.T, seed []byte) {
		var in [98]byte
		var h sha3.SHAKE
		h.Write(seed)
		h.Read(in[:])
		d, z, m := (*[32]byte)(in[0:32]), (*[32]byte)(in[32:64]), (*[32]byte)(in[64:96])
		bit := int(binary.LittleEndian.Uint16(in[96:])) % (CiphertextSize * 8)

		saved := useKeccakX4
		defer func() { useKeccakX4 = saved }()
		for _, x4 := range []bool{true, false} { // the sponges four-way and one at a time
			useKeccakX4 = x4
			dk := newKeyFromSeed(d, z)
			dkStd := stdKey(t, d, z)
			ekStd := dkStd.EncapsulationKey()
			if !bytes.Equal(dk.EncapsulationKey(), ekStd.Bytes()) {
				t.Fatalf("useKeccakX4 = %v: encapsulation key differs from crypto/mlkem", x4)
			}

			key, c, err := encapsulate(ekStd.Bytes(), m)
			if err != nil {
				t.Fatal(err)
			}
			wantKey, wantC, err := mlkemtest.Encapsulate768(ekStd, m[:])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key, wantKey) || !bytes.Equal(c, wantC) {
				t.Fatalf("useKeccakX4 = %v: encapsulation differs from crypto/mlkem", x4)
			}

			for _, ct := range [][]byte{c, flip(c, bit)} {
				got, err := dk.Decapsulate(ct)
				if err != nil {
					t.Fatal(err)
				}
				want, err := dkStd.Decapsulate(ct)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("useKeccakX4 = %v: decapsulation differs from crypto/mlkem (bit %d flipped or none)", x4, bit)
				}
			}
		}
	})
}

func flip(c []byte, bit int) []byte {
	c = bytes.Clone(c)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}
