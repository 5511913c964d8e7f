package sshfp

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// response is a response to id for qname with recs, built as a
// resolver would.
func response(t testing.TB, id uint16, qname dnsmessage.Name, ad bool, recs ...Record) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionDesired: true, AuthenticData: ad})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: qname, Type: Type, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	for _, r := range recs {
		b.UnknownResource(dnsmessage.ResourceHeader{Name: qname, Type: Type, Class: dnsmessage.ClassINET, TTL: 1}, dnsmessage.UnknownResource{Type: Type, Data: r.Append(nil)})
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

var testRecord = Record{AlgEd25519, SHA256, make([]byte, 32)}

// TestParseResponseCut: every cut of a valid response is an error
// (never a panic, never a partial answer taken as whole).
func TestParseResponseCut(t *testing.T) {
	q := dnsmessage.MustNewName("h.test.")
	msg := response(t, 7, q, true, testRecord, testRecord)
	a, _, err := parseResponse(msg, 7, q, true)
	if err != nil || len(a.Records) != 2 || !a.Secure {
		t.Fatalf("whole response: %+v %v", a, err)
	}
	for i := range len(msg) {
		if a, _, err := parseResponse(msg[:i], 7, q, true); err == nil {
			t.Errorf("cut at %d: %+v", i, a)
		}
	}
}

// TestParseResponseStray: a response to another ID or question is
// ignored, not believed.
func TestParseResponseStray(t *testing.T) {
	q := dnsmessage.MustNewName("h.test.")
	for name, msg := range map[string][]byte{
		"other id":   response(t, 8, q, true, testRecord),
		"other name": response(t, 7, dnsmessage.MustNewName("evil.test."), true, testRecord),
	} {
		if _, _, err := parseResponse(msg, 7, q, true); !errors.Is(err, errStray) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Records of another owner in a right answer are dropped.
	msg := response(t, 7, q, false, testRecord)
	if a, _, err := parseResponse(msg, 7, dnsmessage.MustNewName("H.Test."), false); err != nil || len(a.Records) != 1 {
		t.Errorf("case-insensitive name: %+v %v", a, err)
	}
}

func FuzzParseResponse(f *testing.F) {
	q := dnsmessage.MustNewName("h.test.")
	f.Add(response(f, 7, q, true, testRecord))
	f.Add(response(f, 7, q, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, _, err := parseResponse(b, 7, q, true)
		if err != nil {
			return
		}
		for _, r := range a.Records {
			if _, err := ParseRecord(r.Append(nil)); err != nil {
				t.Fatalf("accepted record %v does not parse again: %v", r, err)
			}
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	f.Add(testRecord.Append(nil))
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil {
			return
		}
		r2, err := ParseRecord(r.Append(nil))
		if err != nil || r2.String() != r.String() {
			t.Fatalf("round trip: %v %v %v", r, r2, err)
		}
	})
}

func FuzzResolvConf(f *testing.F) {
	f.Add("nameserver 127.0.0.1\noptions trust-ad timeout:1\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseResolvConf(strings.NewReader(s), &Resolver{})
		if err != nil {
			return
		}
		if len(r.Servers) > 3 || r.Attempts > 5 || r.Timeout > 30e9 {
			t.Fatalf("unbounded: %+v", r)
		}
	})
}
