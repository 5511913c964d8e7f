//go:build !amd64 || purego

package mlkem768

func keccakF1600x4AVX2(s *[25][4]uint64) { panic("unreachable") }
