//go:build race

package hostkey_test

// Under the race detector the pure-Go P-384 and P-521 arithmetic runs about
// seven times slower, so the H4 test (docs/security.md#h4) takes 1000
// signatures per curve: a constant nonce bit still fails with certainty,
// and a varying one passes with probability 1 - 2^-999.
const h4SamplesRace = 1000

// raceEnabled skips the costliest bcrypt_pbkdf vectors under -race; the
// full set runs without it.
const raceEnabled = true
