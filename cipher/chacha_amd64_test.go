//go:build amd64 && !purego

package cipher

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/crypto/chacha20"
)

// FuzzXORBlocksAVX2 checks the assembly keystream against
// x/crypto/chacha20 for random keys, nonces, block counters and lengths
// (every multiple of 128 bytes up to 8 KiB, which reaches both the
// six-block and the two-block loop), in place and out of place, at any
// alignment.
func FuzzXORBlocksAVX2(f *testing.F) {
	if !cpuHasAVX2() {
		f.Skip("no AVX2")
	}
	for i, n := range []uint16{1, 2, 3, 4, 5, 6, 7, 64} {
		f.Add(bytes.Repeat([]byte{byte(i + 1)}, 44), uint32(i*1000), n, uint8(i), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, kn []byte, ctr uint32, pairs uint16, off uint8, inPlace bool) {
		kn = append(bytes.Clone(kn), make([]byte, 44)...)
		key, nonce := kn[:32], kn[32:44]
		n := 128 * int(pairs%65)
		if uint64(ctr)+uint64(n/64) > 1<<32 {
			ctr = 0 // the caller keeps the counter below 2^32
		}
		src := make([]byte, int(off%32)+n)[off%32:]
		for i := range src {
			src[i] = byte(i*7 + int(ctr))
		}
		want := make([]byte, n)
		s, err := chacha20.NewUnauthenticatedCipher(key, nonce)
		if err != nil {
			t.Fatal(err)
		}
		s.SetCounter(ctr)
		s.XORKeyStream(want, src)

		st := chachaState((*[32]byte)(key))
		st[12] = ctr
		for i := range 3 {
			st[13+i] = binary.LittleEndian.Uint32(nonce[4*i:])
		}
		saved := st
		got := make([]byte, n+1)[1:] // misaligned destination
		if inPlace {
			got = bytes.Clone(src)
		}
		if n > 0 {
			if inPlace {
				xorBlocksAVX2(&got[0], &got[0], n, &st)
			} else {
				xorBlocksAVX2(&got[0], &src[0], n, &st)
			}
		}
		if st != saved {
			t.Fatal("state modified")
		}
		if !bytes.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%d bytes from counter %d: first difference at byte %d", n, ctr, i)
				}
			}
		}
	})
}
