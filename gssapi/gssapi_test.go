package gssapi

import (
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
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
