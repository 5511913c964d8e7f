package gssapi

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

const testKrb5Conf = `[libdefaults]
	default_realm = EXAMPLE.TEST
	dns_canonicalize_hostname = false
	rdns = false
[domain_realm]
	.corp.example = CORP.TEST
	special.example = SPECIAL.TEST
`

func testConfig(t testing.TB) *Config {
	t.Helper()
	c, err := ConfigFromString(testKrb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOID(t *testing.T) {
	// DER of the Kerberos 5 mechanism OID (RFC 1964, Section 1.1).
	want := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	if got := MechKerberos5.DER(); !bytes.Equal(got, want) {
		t.Errorf("DER = %x, want %x", got, want)
	}
	for _, o := range []OID{MechKerberos5, NameHostbasedService, NameUser, NameMachineUID, NameStringUID, NameAnonymous, NameExport, NameKerberosPrincipal, "2.999.3"} {
		got, n, err := OIDFromDER(o.DER())
		if err != nil || got != o || n != len(o.DER()) {
			t.Errorf("OIDFromDER(%s) = %s, %d, %v", o, got, n, err)
		}
		if _, err := ParseOID(string(o)); err != nil {
			t.Errorf("ParseOID(%s): %v", o, err)
		}
		der := o.DER()
		for i := 0; i < len(der); i++ {
			if _, _, err := OIDFromDER(der[:i]); err == nil {
				t.Errorf("%s cut at %d accepted", o, i)
			}
		}
	}
	for _, bad := range []string{"", "1", "1.2.x", "3.1", "1.40", "1.02"} {
		if _, err := ParseOID(bad); !errors.Is(err, ErrInvalidOID) {
			t.Errorf("ParseOID(%q) = %v", bad, err)
		}
	}
	for _, bad := range [][]byte{{0x06, 0x01, 0x80}, {0x06, 0x02, 0x2a, 0x80}, {0x05, 0x01, 0x2a}, {0x06, 0x81, 0x01, 0x2a}} {
		if _, _, err := OIDFromDER(bad); err == nil {
			t.Errorf("OIDFromDER(%x) accepted", bad)
		}
	}
	if !IndicateMechs().Contains(MechKerberos5) || OIDSet(nil).Add(MechKerberos5).Add(MechKerberos5).Contains("1.2") {
		t.Error("OIDSet")
	}
	if _, err := InquireNamesForMech("1.2.3"); !errors.Is(err, ErrBadMech) {
		t.Errorf("InquireNamesForMech: %v", err)
	}
}

func FuzzOIDFromDER(f *testing.F) {
	f.Add(MechKerberos5.DER())
	f.Fuzz(func(t *testing.T, b []byte) {
		o, _, err := OIDFromDER(b)
		if err != nil {
			return
		}
		o2, _, err := OIDFromDER(o.DER())
		if err != nil || o2 != o {
			t.Fatalf("round trip %s: %s %v", o, o2, err)
		}
	})
}

func TestCanonicalize(t *testing.T) {
	cfg := testConfig(t)
	tests := []struct {
		in   string
		typ  OID
		want string
	}{
		{"host@server.corp.example", NameHostbasedService, "host/server.corp.example@CORP.TEST"},
		{"host@SERVER.Corp.Example.", NameHostbasedService, "host/server.corp.example@CORP.TEST"},
		{"HTTP@special.example", NameHostbasedService, "HTTP/special.example@SPECIAL.TEST"},
		{"host@elsewhere.org", NameHostbasedService, "host/elsewhere.org@EXAMPLE.TEST"},
		{"host@127.0.0.1", NameHostbasedService, "host/127.0.0.1@EXAMPLE.TEST"},
		{"alice", NameUser, "alice@EXAMPLE.TEST"},
		{"alice@OTHER.TEST", NameKerberosPrincipal, "alice@OTHER.TEST"},
		{"host/a.b@R", "", "host/a.b@R"},
		{`we\/ird\@name@R`, NameKerberosPrincipal, `we\/ird\@name@R`},
		{"", NameAnonymous, "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS"},
		{"0", NameStringUID, "root@EXAMPLE.TEST"},
	}
	for _, tt := range tests {
		n, err := NewName(tt.in, tt.typ)
		if err != nil {
			t.Fatalf("NewName(%q): %v", tt.in, err)
		}
		mn, err := n.CanonicalizeConfig(cfg, MechKerberos5)
		if err != nil {
			t.Fatalf("Canonicalize(%q): %v", tt.in, err)
		}
		if mn.String() != tt.want || !mn.IsMechName() || mn.Mech() != MechKerberos5 {
			t.Errorf("Canonicalize(%q) = %q, want %q", tt.in, mn, tt.want)
		}
		exp, err := mn.Export()
		if err != nil {
			t.Fatal(err)
		}
		back, err := NewName(string(exp), NameExport)
		if err != nil {
			t.Fatalf("import of export of %q: %v", tt.want, err)
		}
		if back.String() != mn.String() || !cmp.Equal(back.principal, mn.principal) {
			t.Errorf("export round trip: %q -> %q", mn, back)
		}
		for i := 0; i < len(exp); i++ {
			if _, err := NewName(string(exp[:i]), NameExport); err == nil {
				t.Errorf("exported name cut at %d accepted", i)
			}
		}
	}
}

func TestNameErrors(t *testing.T) {
	for _, tt := range []struct {
		in   string
		typ  OID
		want error
	}{
		{"", NameUser, ErrBadName},
		{"x", "1.2.3.4", ErrBadNameType},
		{"abc", NameMachineUID, ErrBadName},
		{"garbage", NameExport, ErrBadName},
	} {
		if _, err := NewName(tt.in, tt.typ); !errors.Is(err, tt.want) {
			t.Errorf("NewName(%q, %s) = %v, want %v", tt.in, tt.typ, err, tt.want)
		}
	}
	cfg := testConfig(t)
	for _, bad := range []string{"a@", "a//b@R", `a\`, "a@R@S", "@R"} {
		n, _ := NewName(bad, NameKerberosPrincipal)
		if _, err := n.CanonicalizeConfig(cfg, ""); !errors.Is(err, ErrBadName) {
			t.Errorf("Canonicalize(%q) = %v, want ErrBadName", bad, err)
		}
	}
	n, _ := NewName("alice", NameUser)
	if _, err := n.Export(); !errors.Is(err, ErrNameNotMN) {
		t.Errorf("Export of non-MN: %v", err)
	}
	if _, err := n.CanonicalizeConfig(cfg, "1.2.3"); !errors.Is(err, ErrBadMech) {
		t.Errorf("Canonicalize for another mech: %v", err)
	}
}

func TestNameEqual(t *testing.T) {
	t.Setenv("KRB5_CONFIG", t.TempDir()+"/none") // default_realm empty
	a, _ := NewName("alice@R", NameKerberosPrincipal)
	b, _ := NewName("alice@R", "")
	c, _ := NewName("bob@R", "")
	if !a.Equal(b) || a.Equal(c) {
		t.Error("Equal")
	}
}

func FuzzImportExportedName(f *testing.F) {
	n := principalName(types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"), "R")
	exp, _ := n.Export()
	f.Add(exp)
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := NewName(string(b), NameExport)
		if err != nil {
			return
		}
		e, err := n.Export()
		if err != nil {
			t.Fatal(err)
		}
		n2, err := NewName(string(e), NameExport)
		if err != nil || n2.String() != n.String() {
			t.Fatalf("round trip %q: %v", n, err)
		}
	})
}

func TestErrors(t *testing.T) {
	e := newError(StatusFailure|StatusDuplicateToken, krbAPErrRepeat, "replay")
	if !errors.Is(e, ErrFailure) || !errors.Is(e, ErrDuplicateToken) || errors.Is(e, ErrBadSig) || errors.Is(e, ErrGapToken) {
		t.Error("errors.Is on routine and supplementary bits")
	}
	if e.Minor != uint32(0x96c73a22) { // KRB5KRB_AP_ERR_REPEAT
		t.Errorf("minor %#x", e.Minor)
	}
	if got := (StatusDefectiveToken | StatusGapToken).String(); got != "DEFECTIVE_TOKEN|GAP_TOKEN" {
		t.Errorf("String = %q", got)
	}
	w := wrapError(StatusFailure, errors.New("[Root cause: KDC_Error] KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN"), "tgs")
	if w.KrbCode != 7 {
		t.Errorf("KrbCode from gokrb5 text = %d", w.KrbCode)
	}
}

func TestInitialToken(t *testing.T) {
	inner := bytes.Repeat([]byte{0xab}, 300)
	tok := wrapInitialToken(tokAPReq, inner)
	mech, id, got, err := ParseInitialToken(tok)
	if err != nil || mech != MechKerberos5 || id != tokAPReq || !bytes.Equal(got, inner) {
		t.Fatalf("ParseInitialToken = %s %x %d %v", mech, id, len(got), err)
	}
	for i := 0; i < len(tok); i++ {
		if _, _, _, err := ParseInitialToken(tok[:i]); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("cut at %d: %v", i, err)
		}
	}
	if _, _, _, err := ParseInitialToken(append(tok, 0)); !errors.Is(err, ErrDefectiveToken) {
		t.Errorf("trailing byte: %v", err)
	}
	// SPNEGO's OID in the framing: BAD_MECH.
	spnego := []byte{0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	if _, _, _, err := ParseInitialToken(spnego); !errors.Is(err, ErrBadMech) {
		t.Errorf("SPNEGO token: %v", err)
	}
}

func FuzzParseInitialToken(f *testing.F) {
	f.Add(wrapInitialToken(tokAPReq, []byte("x")))
	f.Add(wrapInitialToken(tokAPRep, bytes.Repeat([]byte("y"), 200)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, id, inner, err := ParseInitialToken(b)
		if err != nil {
			return
		}
		if !bytes.Equal(wrapInitialToken(id, inner), b) {
			t.Fatal("round trip differs")
		}
	})
}

// FuzzAcceptToken feeds arbitrary tokens to an acceptor; it must fail
// with an *Error and never panic.
func FuzzAcceptToken(f *testing.F) {
	f.Add(wrapInitialToken(tokAPReq, []byte{0x6e, 0x03, 0x30, 0x01, 0x00}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _ := NewAcceptContext(&AcceptOptions{Cred: &Credential{usage: UsageAccept, keytab: keytab.New()}, Config: &Config{Krb5: testConfig(t).Krb5}})
		_, err := c.Step(t.Context(), b)
		var ge *Error
		if err == nil || !errors.As(err, &ge) {
			t.Fatalf("Step = %v", err)
		}
	})
}

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

func TestDefaultCCacheName(t *testing.T) {
	conf := "[libdefaults]\n default_ccache_name = FILE:/x/cc_%{uid}\n[realms]\n default_ccache_name = nope\n"
	c, err := ConfigFromString(conf)
	if err != nil {
		t.Fatal(err)
	}
	want := "FILE:/x/cc_" + strconv.Itoa(os.Getuid())
	if c.DefaultCCache != want || c.defaultCCache() != want {
		t.Errorf("DefaultCCache = %q, want %q", c.DefaultCCache, want)
	}
	if got := (*Config)(nil).defaultCCache(); got != "FILE:/tmp/krb5cc_"+strconv.Itoa(os.Getuid()) {
		t.Errorf("nil config default = %q", got)
	}
}

// waitingInitiator returns an initiator context waiting for an AP-REP,
// and a valid AP-REP token for it.
func waitingInitiator(t testing.TB) (*Context, []byte) {
	sess := randKey(t, etypeID.AES128_CTS_HMAC_SHA1_96)
	ct := time.Now().UTC().Truncate(time.Second)
	c := &Context{initiator: true, state: stateWaitAPRep, sessionKey: sess, initSubkey: randKey(t, etypeID.AES128_CTS_HMAC_SHA1_96),
		ctime: ct, cusec: 77, expiry: time.Now().Add(time.Hour), flags: FlagMutual}
	rep, err := marshalAPRep(sess, ct, 77, randKey(t, etypeID.AES128_CTS_HMAC_SHA1_96), -5)
	if err != nil {
		t.Fatal(err)
	}
	return c, wrapInitialToken(tokAPRep, rep)
}

func TestInitiatorReply(t *testing.T) {
	c, tok := waitingInitiator(t)
	for i := 0; i < len(tok); i++ {
		c2, _ := waitingInitiator(t)
		if _, err := c2.Step(t.Context(), tok[:i]); !errors.Is(err, ErrDefectiveToken) && !errors.Is(err, ErrBadSig) {
			t.Fatalf("AP-REP token cut at %d: %v", i, err)
		}
	}
	if _, err := c.Step(t.Context(), tok); err != nil || !c.Established() {
		t.Fatalf("AP-REP: %v", err)
	}
	// A negative ASN.1 sequence number is the 32-bit value.
	if c.recv.next != 0xfffffffb {
		t.Errorf("peer sequence start %#x", c.recv.next)
	}
	// A KRB-ERROR token becomes an error with its code.
	ke := messages.NewKRBError(types.NewPrincipalName(3, "host/h"), "R", krbAPErrSkew, "skew")
	kb, _ := ke.Marshal()
	c3, _ := waitingInitiator(t)
	_, err := c3.Step(t.Context(), wrapInitialToken(tokKRBError, kb))
	var ge *Error
	if !errors.As(err, &ge) || ge.KrbCode != krbAPErrSkew || !errors.Is(err, ErrFailure) {
		t.Errorf("KRB-ERROR token: %v", err)
	}
}

func FuzzInitiatorReply(f *testing.F) {
	_, tok := waitingInitiator(f)
	f.Add(tok)
	ke := messages.NewKRBError(types.NewPrincipalName(3, "host/h"), "R", 41, "x")
	kb, _ := ke.Marshal()
	f.Add(wrapInitialToken(tokKRBError, kb))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _ := waitingInitiator(t)
		c.Step(t.Context(), b)
	})
}

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

func TestDisplayAs(t *testing.T) {
	mn := principalName(types.NewPrincipalName(3, "host/h.example"), "R")
	if s, err := mn.DisplayAs(NameHostbasedService); err != nil || s != "host@h.example" {
		t.Errorf("hostbased: %q %v", s, err)
	}
	if s, err := mn.DisplayAs(NameKerberosPrincipal); err != nil || s != "host/h.example@R" {
		t.Errorf("principal: %q %v", s, err)
	}
	if _, err := mn.DisplayAs(NameUser); !errors.Is(err, ErrUnavailable) {
		t.Errorf("user: %v", err)
	}
	u := principalName(types.NewPrincipalName(1, "alice"), "R")
	if s, err := u.DisplayAs(NameUser); err != nil || s != "alice" {
		t.Errorf("user: %q %v", s, err)
	}
}

func TestNilName(t *testing.T) {
	var n *Name
	if _, err := n.Canonicalize(MechKerberos5); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
	if _, err := n.Export(); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
	if n.String() != "" || n.IsMechName() || n.Type() != "" || n.Mech() != "" || !n.Equal(nil) {
		t.Error("nil name accessors")
	}
	if _, err := NewInitContext(nil, nil); !errors.Is(err, ErrBadName) {
		t.Error(err)
	}
}
