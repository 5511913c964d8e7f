package cipher

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the reference the fast path is checked against
)

// polyImpls are the Poly1305 implementations checked against
// x/crypto/poly1305: polySum, which the AEAD calls, and on amd64 the AVX2
// code for every length (poly1305_amd64_test.go).
var polyImpls = map[string]func(out *[16]byte, msg []byte, key *[32]byte){
	"polySum": polySum,
}

// rfcPolyIETF is the message of RFC 8439, Appendix A.3, test vectors 2
// and 3.
const rfcPolyIETF = "Any submission to the IETF intended by the Contributor for publication as all or part of an IETF Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an \"IETF Contribution\". Such statements include oral statements in IETF sessions, as well as written and electronic communications made at any time or place, which are addressed to"

// TestPoly1305RFC8439 checks every implementation, and x/crypto itself
// (so that a mistyped vector shows up as such), against RFC 8439,
// Section 2.5.2 and Appendix A.3 test vectors 1 to 11.
func TestPoly1305RFC8439(t *testing.T) {
	ietf := hex.EncodeToString([]byte(rfcPolyIETF))
	tests := []struct{ name, key, msg, tag string }{
		{"2.5.2",
			"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
			hex.EncodeToString([]byte("Cryptographic Forum Research Group")),
			"a8061dc1305136c6c22b8baf0c0127a9"},
		{"A.3#1", strings.Repeat("00", 32), strings.Repeat("00", 64), strings.Repeat("00", 16)},
		{"A.3#2", strings.Repeat("00", 16) + "36e5f6b5c5e06070f0efca96227a863e", ietf,
			"36e5f6b5c5e06070f0efca96227a863e"},
		{"A.3#3", "36e5f6b5c5e06070f0efca96227a863e" + strings.Repeat("00", 16), ietf,
			"f3477e7cd95417af89a6b8794c310cf0"},
		{"A.3#4",
			"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
			hex.EncodeToString([]byte("'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe.")),
			"4541669a7eaaee61e708dc7cbcc5eb62"},
		{"A.3#5", "02" + strings.Repeat("00", 31), strings.Repeat("ff", 16), "03" + strings.Repeat("00", 15)},
		{"A.3#6", "02" + strings.Repeat("00", 15) + strings.Repeat("ff", 16), "02" + strings.Repeat("00", 15),
			"03" + strings.Repeat("00", 15)},
		{"A.3#7", "01" + strings.Repeat("00", 31),
			strings.Repeat("ff", 16) + "f0" + strings.Repeat("ff", 15) + "11" + strings.Repeat("00", 15),
			"05" + strings.Repeat("00", 15)},
		{"A.3#8", "01" + strings.Repeat("00", 31),
			strings.Repeat("ff", 16) + "fb" + strings.Repeat("fe", 15) + strings.Repeat("01", 16),
			strings.Repeat("00", 16)},
		{"A.3#9", "02" + strings.Repeat("00", 31), "fd" + strings.Repeat("ff", 15), "fa" + strings.Repeat("ff", 15)},
		{"A.3#10", "0100000000000000040000000000000000000000000000000000000000000000",
			"e33594d7505e43b90000000000000000" + "3394d7505e4379cd0100000000000000" +
				strings.Repeat("00", 16) + "01" + strings.Repeat("00", 15),
			"14000000000000005500000000000000"},
		{"A.3#11", "0100000000000000040000000000000000000000000000000000000000000000",
			"e33594d7505e43b90000000000000000" + "3394d7505e4379cd0100000000000000" + strings.Repeat("00", 16),
			"13000000000000000000000000000000"},
	}
	impls := map[string]func(*[16]byte, []byte, *[32]byte){"x/crypto": poly1305.Sum}
	for name, f := range polyImpls {
		impls[name] = f
	}
	for _, tt := range tests {
		key, msg, tag := unhex(t, tt.key), unhex(t, tt.msg), unhex(t, tt.tag)
		for name, f := range impls {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				var got [16]byte
				f(&got, msg, (*[32]byte)(key))
				if !bytes.Equal(got[:], tag) {
					t.Errorf("tag %x, want %x", got, tag)
				}
			})
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkPoly compares every implementation with x/crypto/poly1305 on one
// message.
func checkPoly(t testing.TB, key *[32]byte, msg []byte) {
	t.Helper()
	var want [16]byte
	poly1305.Sum(&want, msg, key)
	for name, f := range polyImpls {
		var got [16]byte
		f(&got, msg, key)
		if got != want {
			t.Fatalf("%s, %d bytes, key %x: tag %x, want %x", name, len(msg), key, got, want)
		}
	}
}

// TestPoly1305Lengths checks every length from 0 to 4 KiB + 64 with
// random keys and messages, some packet-sized lengths around 32 KiB and
// 256 KiB, and the extremes: a message of all ones bytes under the
// largest clamped r (the biggest limbs and carries the AVX2 code can
// see), and keys whose r is 0 or 1.
func TestPoly1305Lengths(t *testing.T) {
	r := rand.NewChaCha8([32]byte{'p', 'o', 'l', 'y'})
	msg := make([]byte, 256<<10+128)
	r.Read(msg)
	var key [32]byte
	for n := 0; n <= 4<<10+64; n++ {
		r.Read(key[:])
		checkPoly(t, &key, msg[:n])
	}
	for _, n := range []int{32<<10 - 1, 32 << 10, 32<<10 + 4 + 7, 256<<10 - 1, 256 << 10, 256<<10 + 4 + 63} {
		r.Read(key[:])
		checkPoly(t, &key, msg[:n])
	}
	ones := bytes.Repeat([]byte{0xff}, 8<<10)
	for _, k := range []string{
		strings.Repeat("ff", 32),
		strings.Repeat("ff", 16) + strings.Repeat("00", 16),
		strings.Repeat("00", 32),
		"01" + strings.Repeat("00", 31),
		"01" + strings.Repeat("00", 15) + strings.Repeat("ff", 16),
	} {
		key := (*[32]byte)(unhex(t, k))
		for _, n := range []int{0, 15, 16, 63, 64, 65, 511, 512, 513, 1024, 1031, 8 << 10} {
			checkPoly(t, key, ones[:n])
		}
	}
}

// FuzzPoly1305 checks every implementation against x/crypto/poly1305 for
// fuzzed keys and messages up to 64 KiB, the message either as given or,
// to reach long inputs quickly, repeated.
func FuzzPoly1305(f *testing.F) {
	for i, n := range []uint16{0, 1, 16, 63, 64, 511, 512, 1000, 4100} {
		f.Add(bytes.Repeat([]byte{byte(i)}, 32), bytes.Repeat([]byte{0xff}, int(n)), uint16(1))
	}
	f.Fuzz(func(t *testing.T, key, msg []byte, repeat uint16) {
		key = append(bytes.Clone(key), make([]byte, 32)...)
		if n := len(msg) * int(repeat%64); n > 0 && n <= 64<<10 {
			msg = bytes.Repeat(msg, int(repeat%64))
		}
		checkPoly(t, (*[32]byte)(key[:32]), msg)
	})
}
