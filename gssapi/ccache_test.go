package gssapi

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The ccache writer's output is read back by gokrb5's reader (klist
// reading it is proven in conformance).
func TestWriteCCache(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	tkt := testTicket()
	c := &Credential{
		usage:  UsageInitiate,
		name:   principalName(types.NewPrincipalName(1, "alice"), "R.TEST"),
		tgt:    tkt,
		tgtKey: randKey(t, etypeID.AES256_CTS_HMAC_SHA1_96),
		start:  now, authTime: now, end: now.Add(time.Hour),
		tickets: map[string]serviceTicket{},
	}
	path := t.TempDir() + "/cc"
	if err := c.WriteCCache("FILE:" + path); err != nil {
		t.Fatal(err)
	}
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultPrincipal.Realm != "R.TEST" || cc.DefaultPrincipal.PrincipalName.PrincipalNameString() != "alice" {
		t.Errorf("default principal %+v", cc.DefaultPrincipal)
	}
	e, ok := cc.GetEntry(tkt.SName)
	if !ok || !bytes.Equal(e.Key.KeyValue, c.tgtKey.KeyValue) || !e.EndTime.Equal(c.end) {
		t.Fatalf("entry %+v", e)
	}
	var back messages.Ticket
	if err := back.Unmarshal(e.Ticket); err != nil || back.Realm != "R.TEST" {
		t.Errorf("ticket: %v", err)
	}
	acc := &Credential{usage: UsageAccept}
	if err := acc.WriteCCache(path); !errors.Is(err, ErrNoCred) {
		t.Errorf("acceptor credential: %v", err)
	}
	if err := c.WriteCCache("KEYRING:x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("KEYRING cache: %v", err)
	}
}

func TestParseCCache(t *testing.T) {
	c := testCredential(t)
	b, err := c.ccacheBytes()
	if err != nil {
		t.Fatal(err)
	}
	pn, realm, entries, err := parseCCache(b)
	if err != nil {
		t.Fatal(err)
	}
	if pn.PrincipalNameString() != "alice" || realm != "R.TEST" || len(entries) != 1 || !bytes.Equal(entries[0].key.KeyValue, c.tgtKey.KeyValue) {
		t.Errorf("parsed %v %q %+v", pn, realm, entries)
	}
	for i := 0; i < len(b); i++ {
		if _, _, e, err := parseCCache(b[:i]); err == nil && len(e) == 1 {
			t.Errorf("cache cut at %d parsed", i)
		}
	}
}

func FuzzParseCCache(f *testing.F) {
	b, _ := testCredential(f).ccacheBytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		pn, realm, entries, err := parseCCache(b)
		if err != nil {
			return
		}
		b2 := marshalCCache(pn, realm, entries)
		pn2, realm2, entries2, err := parseCCache(b2)
		if err != nil || realm2 != realm || !pn2.Equal(pn) || len(entries2) != len(entries) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
