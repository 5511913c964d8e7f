package gssapi

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

func TestAPRep(t *testing.T) {
	sess := randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)
	sub := randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)
	ct := time.Now().UTC().Truncate(time.Second)
	b, err := marshalAPRep(sess, ct, 123456, sub, 42)
	if err != nil {
		t.Fatal(err)
	}
	// gokrb5's parser accepts our AP-REP.
	var gk messages.APRep
	if err := gk.Unmarshal(b); err != nil {
		t.Fatalf("gokrb5 parse: %v", err)
	}
	part, err := parseAPRep(b, sess)
	if err != nil {
		t.Fatal(err)
	}
	if !part.CTime.Equal(ct) || part.Cusec != 123456 || part.SeqNumber != 42 || !bytes.Equal(part.Subkey.KeyValue, sub.KeyValue) {
		t.Errorf("AP-REP round trip: %+v", part)
	}
	if _, err := parseAPRep(b, randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)); !errors.Is(err, ErrBadSig) {
		t.Errorf("wrong key: %v", err)
	}
	for i := 0; i < len(b); i++ {
		if _, err := parseAPRep(b[:i], sess); err == nil {
			t.Errorf("AP-REP cut at %d accepted", i)
		}
	}
}

func FuzzParseAPRep(f *testing.F) {
	sess := randKey(f, etypeID.AES128_CTS_HMAC_SHA1_96)
	b, _ := marshalAPRep(sess, time.Now(), 1, sess, 1)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		parseAPRep(b, sess)
	})
}

func testTicket() messages.Ticket {
	return messages.Ticket{
		TktVNO:  5,
		Realm:   "R.TEST",
		SName:   types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", "R.TEST"}},
		EncPart: types.EncryptedData{EType: etypeID.AES256_CTS_HMAC_SHA1_96, KVNO: 1, Cipher: bytes.Repeat([]byte{7}, 64)},
	}
}

func TestKRBCred(t *testing.T) {
	sess := randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)
	tgtKey := randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)
	now := time.Now().UTC().Truncate(time.Second)
	info := krbCredInfo{Key: tgtKey, PRealm: "R.TEST", PName: types.NewPrincipalName(1, "alice"),
		AuthTime: now, StartTime: now, EndTime: now.Add(time.Hour), SRealm: "R.TEST", SName: testTicket().SName}
	b, err := marshalKRBCred(sess, testTicket(), info)
	if err != nil {
		t.Fatal(err)
	}
	tkts, infos, err := parseKRBCred(b, randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96), sess)
	if err != nil {
		t.Fatal(err)
	}
	if len(tkts) != 1 || tkts[0].Realm != "R.TEST" || infos[0].PRealm != "R.TEST" || !bytes.Equal(infos[0].Key.KeyValue, tgtKey.KeyValue) || !infos[0].EndTime.Equal(info.EndTime) {
		t.Errorf("KRB-CRED round trip: %+v %+v", tkts, infos)
	}
	if _, _, err := parseKRBCred(b, randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96)); err == nil {
		t.Error("KRB-CRED decrypted with a wrong key")
	}
	for i := 0; i < len(b); i++ {
		if _, _, err := parseKRBCred(b[:i], sess); err == nil {
			t.Errorf("KRB-CRED cut at %d accepted", i)
		}
	}
}

func FuzzParseKRBCred(f *testing.F) {
	sess := randKey(f, etypeID.AES128_CTS_HMAC_SHA1_96)
	b, _ := marshalKRBCred(sess, testTicket(), krbCredInfo{Key: sess})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		parseKRBCred(b, sess)
	})
}
