package gssapi

import (
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

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
