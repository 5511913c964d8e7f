package gssapi

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

func TestPerMessageRoundTrip(t *testing.T) {
	for _, et := range etypes {
		for _, accSub := range []bool{true, false} {
			t.Run(et.name, func(t *testing.T) {
				ini, acc := testPair(t, et.id, accSub, FlagReplay|FlagSequence|FlagInteg|FlagConf)
				for _, dir := range []struct {
					name     string
					from, to *Context
				}{{"initiator to acceptor", ini, acc}, {"acceptor to initiator", acc, ini}} {
					for _, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("0123456789abcdef"), 100)} {
						mic, err := dir.from.GetMIC(msg)
						if err != nil {
							t.Fatal(err)
						}
						if err := dir.to.VerifyMIC(msg, mic); err != nil {
							t.Errorf("%s: VerifyMIC: %v", dir.name, err)
						}
						for _, conf := range []bool{true, false} {
							tok, err := dir.from.Wrap(msg, conf)
							if err != nil {
								t.Fatal(err)
							}
							got, gotConf, err := dir.to.Unwrap(tok)
							if err != nil {
								t.Fatalf("%s: Unwrap(conf=%v): %v", dir.name, conf, err)
							}
							if gotConf != conf || !bytes.Equal(got, msg) {
								t.Errorf("%s: Unwrap = %q, %v", dir.name, got, gotConf)
							}
							if n, _ := dir.from.WrapSizeLimit(conf, len(tok)); n != len(msg) {
								t.Errorf("WrapSizeLimit(%v, %d) = %d, want %d", conf, len(tok), n, len(msg))
							}
						}
					}
				}
			})
		}
	}
}

func TestPerMessageTampered(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay|FlagSequence)
	msg := []byte("tamper with me")
	mic, _ := ini.GetMIC(msg)
	for i := 0; i < len(mic); i++ {
		if err := acc.VerifyMIC(msg, mic[:i]); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("MIC cut at %d: %v", i, err)
		}
	}
	for i := range mic {
		bad := append([]byte(nil), mic...)
		bad[i] ^= 0x40
		if err := acc.VerifyMIC(msg, bad); err == nil {
			t.Errorf("MIC with byte %d flipped accepted", i)
		}
	}
	for _, conf := range []bool{true, false} {
		tok, _ := ini.Wrap(msg, conf)
		for i := range tok {
			if i >= 6 && i < 8 {
				continue // RRC: a different rotation of an intact token may still verify
			}
			bad := append([]byte(nil), tok...)
			bad[i] ^= 0x40
			if _, _, err := acc.Unwrap(bad); err == nil {
				t.Errorf("conf=%v: Wrap with byte %d flipped accepted", conf, i)
			}
		}
		for i := 0; i < len(tok); i++ {
			if _, _, err := acc.Unwrap(tok[:i]); err == nil {
				t.Errorf("conf=%v: Wrap cut at %d accepted", conf, i)
			}
		}
	}
	// Reflection: our own token back to us.
	tok, _ := ini.Wrap(msg, true)
	if _, _, err := ini.Unwrap(tok); !errors.Is(err, ErrBadSig) {
		t.Errorf("reflected token: %v", err)
	}
}

func TestPerMessageSequence(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay|FlagSequence)
	var toks [][]byte
	for i := 0; i < 4; i++ {
		tok, _ := ini.GetMIC([]byte("m"))
		toks = append(toks, tok)
	}
	steps := []struct {
		tok  int
		want error
	}{
		{0, nil},
		{0, ErrDuplicateToken},
		{2, ErrGapToken},
		{1, ErrUnseqToken},
		{3, nil},
		{1, ErrDuplicateToken},
	}
	for i, s := range steps {
		err := acc.VerifyMIC([]byte("m"), toks[s.tok])
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Errorf("step %d (token %d): got %v, want %v", i, s.tok, err, s.want)
		}
		var ge *Error
		if err != nil && (!errors.As(err, &ge) || ge.Major.Routine() != 0) {
			t.Errorf("step %d: supplementary error has routine bits: %v", i, err)
		}
	}
}

func BenchmarkWrapConf1K(b *testing.B)   { benchWrap(b, true) }
func BenchmarkWrapInteg1K(b *testing.B)  { benchWrap(b, false) }
func BenchmarkUnwrapConf1K(b *testing.B) { benchUnwrap(b, true) }

func benchWrap(b *testing.B, conf bool) {
	ini, _ := testPair(b, etypeID.AES256_CTS_HMAC_SHA1_96, true, 0)
	msg := make([]byte, 1024)
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := ini.Wrap(msg, conf); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUnwrap(b *testing.B, conf bool) {
	ini, acc := testPair(b, etypeID.AES256_CTS_HMAC_SHA1_96, true, 0)
	msg := make([]byte, 1024)
	tok, _ := ini.Wrap(msg, conf)
	b.SetBytes(1024)
	for b.Loop() {
		if _, _, err := acc.Unwrap(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetMIC(b *testing.B) {
	ini, _ := testPair(b, etypeID.AES256_CTS_HMAC_SHA1_96, true, 0)
	msg := make([]byte, 256)
	for b.Loop() {
		ini.GetMIC(msg)
	}
}

func BenchmarkVerifyMIC(b *testing.B) {
	ini, acc := testPair(b, etypeID.AES256_CTS_HMAC_SHA1_96, true, 0)
	msg := make([]byte, 256)
	tok, _ := ini.GetMIC(msg)
	for b.Loop() {
		acc.VerifyMIC(msg, tok)
	}
}

func TestEncryptDecrypt(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true, 0)
	tok, _ := ini.Encrypt([]byte("secret"))
	if m, err := acc.Decrypt(tok); err != nil || string(m) != "secret" {
		t.Errorf("Decrypt = %q, %v", m, err)
	}
	tok, _ = ini.Wrap([]byte("plain"), false)
	if _, err := acc.Decrypt(tok); !errors.Is(err, ErrFailure) {
		t.Errorf("Decrypt of an unencrypted token: %v", err)
	}
}

// Per-message calls from several goroutines at once are serialized (run
// with -race). Without sequence detection every token verifies.
func TestConcurrentPerMessage(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true, FlagInteg)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 8; i++ {
				tok, err := ini.Wrap([]byte("m"), g%2 == 0)
				if err == nil {
					_, _, err = acc.Unwrap(tok)
				}
				if err == nil {
					var mic []byte
					if mic, err = acc.GetMIC([]byte("x")); err == nil {
						err = ini.VerifyMIC([]byte("x"), mic)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
