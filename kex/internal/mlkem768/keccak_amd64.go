//go:build amd64 && !purego

package mlkem768

//go:generate go run gen_keccak.go

// keccakF1600x4AVX2 is keccakF1600x4 in keccak_amd64.s (gen_keccak.go):
// Keccak-f[1600] on four states, lane i of all four in one YMM register.
//
//go:noescape
func keccakF1600x4AVX2(s *[25][4]uint64)
