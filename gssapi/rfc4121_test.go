package gssapi

import (
	"bytes"
	"encoding/binary"
	"testing"

	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
)

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
