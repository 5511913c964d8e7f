package gssapi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jcmturner/gokrb5/v8/crypto"
	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func randKey(t testing.TB, etype int32) types.EncryptionKey {
	t.Helper()
	et, err := crypto.GetEtype(etype)
	if err != nil {
		t.Fatal(err)
	}
	k, err := generateKey(et)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testPair returns an established initiator and acceptor sharing keys,
// as after a mutual AP-REQ/AP-REP exchange (accSub) or a one-token
// exchange (no accSub).
func testPair(t testing.TB, etype int32, accSub bool, f Flags) (ini, acc *Context) {
	t.Helper()
	sess, sub := randKey(t, etype), randKey(t, etype)
	ini = &Context{initiator: true, sessionKey: sess, initSubkey: sub, flags: f, expiry: time.Now().Add(time.Hour), sendSeq: 1000}
	acc = &Context{sessionKey: sess, initSubkey: sub, flags: f, expiry: time.Now().Add(time.Hour), sendSeq: 5000}
	if accSub {
		as := randKey(t, etype)
		ini.accSubkey, ini.haveAccKey = as, true
		acc.accSubkey, acc.haveAccKey = as, true
	} else {
		acc.sendSeq = ini.sendSeq
	}
	if err := ini.establish(acc.sendSeq); err != nil {
		t.Fatal(err)
	}
	if err := acc.establish(ini.sendSeq); err != nil {
		t.Fatal(err)
	}
	return ini, acc
}

var etypes = []struct {
	name string
	id   int32
}{
	{"aes128-cts-hmac-sha1-96", etypeID.AES128_CTS_HMAC_SHA1_96},
	{"aes256-cts-hmac-sha1-96", etypeID.AES256_CTS_HMAC_SHA1_96},
	{"aes128-cts-hmac-sha256-128", etypeID.AES128_CTS_HMAC_SHA256_128},
	{"aes256-cts-hmac-sha384-192", etypeID.AES256_CTS_HMAC_SHA384_192},
}

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

// gokrb5's MIC and (integrity-only) Wrap token code verifies our tokens.
func TestPerMessageAgainstGokrb5(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true, FlagInteg)
	msg := []byte("cross-check")
	tok, err := acc.GetMIC(msg)
	if err != nil {
		t.Fatal(err)
	}
	var mt krbgss.MICToken
	if err := mt.Unmarshal(tok, true); err != nil {
		t.Fatal(err)
	}
	mt.Payload = msg
	if ok, err := mt.Verify(acc.accSubkey, keyusage.GSSAPI_ACCEPTOR_SIGN); !ok {
		t.Errorf("gokrb5 rejects our MIC: %v", err)
	}
	tok, err = ini.Wrap(msg, false)
	if err != nil {
		t.Fatal(err)
	}
	var wt krbgss.WrapToken
	if err := wt.Unmarshal(tok, false); err != nil {
		t.Fatal(err)
	}
	if ok, err := wt.Verify(ini.accSubkey, keyusage.GSSAPI_INITIATOR_SEAL); !ok {
		t.Errorf("gokrb5 rejects our Wrap token: %v", err)
	}
}

// A Wrap token rotated by RRC (as Windows sends them, RFC 4121, Section
// 4.2.5) unwraps to the same message.
func TestUnwrapRRC(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true, 0)
	for _, conf := range []bool{true, false} {
		for _, rrc := range []int{1, 16, 28, 1000} {
			tok, _ := ini.Wrap([]byte("rotated message"), conf)
			body := tok[16:]
			r := rrc % len(body)
			rot := append(append([]byte(nil), body[len(body)-r:]...), body[:len(body)-r]...)
			out := append(append([]byte(nil), tok[:16]...), rot...)
			binary.BigEndian.PutUint16(out[6:], uint16(rrc))
			got, _, err := acc.Unwrap(out)
			if err != nil || string(got) != "rotated message" {
				t.Errorf("conf=%v RRC %d: %q, %v", conf, rrc, got, err)
			}
		}
	}
}

func TestPerMessageTampered(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay|FlagSequence)
	msg := []byte("tamper with me")
	mic, _ := ini.GetMIC(msg)
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

func TestSeqWindow(t *testing.T) {
	w := newSeqWindow(10, true, true, true)
	tests := []struct {
		seq  uint64
		want Status
	}{
		{10, 0}, {11, 0}, {13, StatusGapToken}, {12, StatusUnseqToken}, {12, StatusDuplicateToken},
		{14, 0}, {14 + 100, StatusGapToken}, {14, StatusOldToken}, {115, 0},
	}
	for i, tt := range tests {
		if got := w.check(tt.seq); got != tt.want {
			t.Errorf("%d: check(%d) = %v, want %v", i, tt.seq, got, tt.want)
		}
	}
	off := newSeqWindow(0, false, false, true)
	for _, s := range []uint64{5, 5, 1} {
		if got := off.check(s); got != 0 {
			t.Errorf("detection off: check(%d) = %v", s, got)
		}
	}
}

func TestContextStates(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true, 0)
	acc.expiry = time.Now().Add(-time.Second)
	if _, err := acc.GetMIC(nil); !errors.Is(err, ErrContextExpired) {
		t.Errorf("expired context: %v", err)
	}
	ini.Delete()
	ini.Delete()
	if _, err := ini.Wrap(nil, true); !errors.Is(err, ErrNoContext) {
		t.Errorf("deleted context: %v", err)
	}
	if _, err := ini.Step(t.Context(), nil); !errors.Is(err, ErrNoContext) {
		t.Errorf("Step on deleted context: %v", err)
	}
	c, _ := NewAcceptContext(nil)
	if _, err := c.GetMIC(nil); !errors.Is(err, ErrNoContext) {
		t.Errorf("unestablished context: %v", err)
	}
	if _, err := NewInitContext(HostbasedService("host", "x"), &InitOptions{Mech: "1.2.3"}); !errors.Is(err, ErrBadMech) {
		t.Errorf("bad mech: %v", err)
	}
}

func TestGSSChecksum(t *testing.T) {
	cb := &ChannelBindings{ApplicationData: []byte("tls-server-end-point:xyz")}
	for _, c := range []gssChecksum{
		{Bnd: cb.hash(), Flags: uint32(FlagMutual | FlagInteg)},
		{Flags: uint32(FlagDelegate | FlagMutual), Deleg: []byte("krb-cred bytes")},
		{Flags: uint32(FlagDelegate), Deleg: []byte{}, Exts: []byte{1, 2, 3}},
	} {
		b := c.marshal()
		got, err := parseGSSChecksum(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" && !(len(c.Deleg) == 0 && len(got.Deleg) == 0) {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		for i := 0; i < 24; i++ {
			if _, err := parseGSSChecksum(b[:i]); err == nil {
				t.Errorf("checksum cut at %d accepted", i)
			}
		}
		if c.Deleg != nil {
			for i := 25; i < 28+len(c.Deleg); i++ {
				if _, err := parseGSSChecksum(b[:i]); err == nil {
					t.Errorf("delegation cut at %d accepted", i)
				}
			}
		}
	}
	if (*ChannelBindings)(nil).hash() != [16]byte{} {
		t.Error("nil bindings must hash to zeros")
	}
}

func FuzzParseGSSChecksum(f *testing.F) {
	f.Add((&gssChecksum{Flags: 3}).marshal())
	f.Add((&gssChecksum{Flags: 1, Deleg: []byte("abc")}).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseGSSChecksum(b)
		if err != nil {
			return
		}
		c2, err := parseGSSChecksum(c.marshal())
		if err != nil || c2.Flags != c.Flags || c2.Bnd != c.Bnd || !bytes.Equal(c2.Deleg, c.Deleg) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	ini, acc := testPair(f, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay)
	for _, conf := range []bool{true, false} {
		tok, _ := ini.Wrap([]byte("seed"), conf)
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		acc.Unwrap(b) // must not panic
	})
}

func FuzzVerifyMIC(f *testing.F) {
	ini, acc := testPair(f, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay)
	tok, _ := ini.GetMIC([]byte("seed"))
	f.Add(tok)
	f.Fuzz(func(t *testing.T, b []byte) {
		acc.VerifyMIC([]byte("seed"), b)
	})
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

func TestExportImport(t *testing.T) {
	ini, acc := testPair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true, FlagReplay|FlagSequence|FlagInteg|FlagConf)
	ini.initName = principalName(types.NewPrincipalName(1, "alice"), "R")
	ini.targetName = principalName(types.NewPrincipalName(3, "host/h"), "R")
	tok, _ := ini.Wrap([]byte("before"), true)
	if _, _, err := acc.Unwrap(tok); err != nil {
		t.Fatal(err)
	}
	exp, err := ini.Export()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.GetMIC(nil); !errors.Is(err, ErrNoContext) {
		t.Errorf("exported context still usable: %v", err)
	}
	imp, err := ImportContext(exp)
	if err != nil {
		t.Fatal(err)
	}
	if imp.InitiatorName().String() != "alice@R" || !imp.LocallyInitiated() || imp.Flags() != ini.Flags() {
		t.Errorf("imported context: %v %v", imp.InitiatorName(), imp.Flags())
	}
	tok, _ = imp.Wrap([]byte("after"), true)
	if m, _, err := acc.Unwrap(tok); err != nil || string(m) != "after" {
		t.Errorf("imported context's token: %q %v", m, err)
	}
	tok, _ = acc.GetMIC([]byte("x"))
	if err := imp.VerifyMIC([]byte("x"), tok); err != nil {
		t.Errorf("imported context verifying: %v", err)
	}
	for i := 0; i < len(exp); i++ {
		if _, err := ImportContext(exp[:i]); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("cut at %d: %v", i, err)
		}
	}
	c, _ := NewAcceptContext(nil)
	if _, err := c.Export(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("export of unestablished context: %v", err)
	}
}

func FuzzImportContext(f *testing.F) {
	ini, _ := testPair(f, etypeID.AES128_CTS_HMAC_SHA1_96, true, FlagReplay)
	ini.initName = principalName(types.NewPrincipalName(1, "alice"), "R")
	ini.targetName = principalName(types.NewPrincipalName(3, "host/h"), "R")
	exp, _ := ini.Export()
	f.Add(exp)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ImportContext(b)
		if err != nil {
			return
		}
		c.GetMIC([]byte("x"))
		c.Wrap([]byte("x"), true)
	})
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

// Our RFC 3961 encryption with cached keys matches gokrb5's
// EncryptMessage and DecryptMessage in both directions.
func TestEncryptMatchesGokrb5(t *testing.T) {
	for _, et := range etypes {
		t.Run(et.name, func(t *testing.T) {
			k, err := newPerMessageKey(randKey(t, et.id))
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("abcdefgh"), 33)} {
				ct, err := k.encrypt(msg, 24)
				if err != nil {
					t.Fatal(err)
				}
				pt, err := k.et.DecryptMessage(k.key.KeyValue, ct, 24)
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("gokrb5 decrypting ours: %q %v", pt, err)
				}
				_, ct, err = k.et.EncryptMessage(k.key.KeyValue, msg, 22)
				if err != nil {
					t.Fatal(err)
				}
				pt, err = k.decrypt(ct, 22)
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("decrypting gokrb5's: %q %v", pt, err)
				}
				ct[len(ct)-1] ^= 1
				if _, err := k.decrypt(ct, 22); err == nil {
					t.Error("tampered ciphertext decrypted")
				}
			}
		})
	}
}
