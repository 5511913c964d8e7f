package gssapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"
)

func testCredential(t testing.TB) *Credential {
	now := time.Now().UTC().Truncate(time.Second)
	kt := keytab.New()
	if err := kt.AddEntry("host/h", "R.TEST", "pw", now, 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	return &Credential{
		usage:  UsageBoth,
		name:   principalName(types.NewPrincipalName(1, "alice"), "R.TEST"),
		tgt:    testTicket(),
		tgtKey: randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96),
		start:  now, authTime: now, end: now.Add(time.Hour),
		tickets:    map[string]serviceTicket{},
		keytab:     kt,
		acceptName: principalName(types.NewPrincipalName(3, "host/h"), "R.TEST"),
	}
}

func TestCredentialExportImport(t *testing.T) {
	c := testCredential(t)
	b, err := c.Export()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ImportCredential(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name().String() != "alice@R.TEST" || got.Usage() != UsageBoth || !bytes.Equal(got.tgtKey.KeyValue, c.tgtKey.KeyValue) ||
		!got.end.Equal(c.end) || got.acceptName.String() != "host/h@R.TEST" || len(got.keytab.Entries) != 1 {
		t.Errorf("imported credential: %v %v %v", got.Name(), got.Usage(), got.acceptName)
	}
	for i := 0; i < len(b); i++ {
		if _, err := ImportCredential(b[:i], nil); err == nil {
			t.Errorf("credential cut at %d accepted", i)
		}
	}
}

func FuzzImportCredential(f *testing.F) {
	b, _ := testCredential(f).Export()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ImportCredential(b, nil)
	})
}
