package keyagent

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// testSKKey is an sk-ed25519 key as ssh-sk-helper serialises it.
func testSKKey(t testing.TB, app string, flags byte) []byte {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hostkey.NewSKPublicKey(pub, app)
	if err != nil {
		t.Fatal(err)
	}
	b := k.Marshal()
	b = append(b, flags)
	b = wire.AppendString(b, []byte("handle"))
	return wire.AppendString(b, []byte(nil))
}

// skReply frames a helper reply of type typ with body, as printf(1)
// octal escapes for fakeSKHelper.
func skReply(typ uint32, body []byte) string {
	b := []byte{skHelperVersion}
	b = binary.BigEndian.AppendUint32(b, typ)
	b = append(b, body...)
	b = append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\%03o`, c)
	}
	return s.String()
}

// TestEnrollSKHostileHelper: whatever ssh-sk-helper answers an
// enrolment, EnrollSK returns the key and attestation of a good answer
// and an error, never a panic, for the others.
func TestEnrollSKHostileHelper(t *testing.T) {
	key := testSKKey(t, "ssh:", hostkey.SKUserPresent)
	good := append(wire.AppendString(nil, key), wire.AppendString(nil, []byte("att"))...)
	e, err := EnrollSK(context.Background(), &SKEnrollRequest{Type: hostkey.SKED25519, Provider: "/p.so",
		Helper: fakeSKHelper(t, skReply(skHelperEnroll, good))})
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Attestation) != "att" || e.Key.Flags != hostkey.SKUserPresent || string(e.Key.KeyHandle) != "handle" {
		t.Errorf("got %+v", e)
	}
	for _, tt := range []struct {
		name  string
		reply string
		code  uint32
	}{
		{"PIN required", skReply(skHelperError, []byte{0, 0, 0, SKErrPINRequired}), SKErrPINRequired},
		{"credential exists", skReply(skHelperError, []byte{0, 0, 0, SKErrCredentialExists}), SKErrCredentialExists},
		{"sign reply", skReply(skHelperSign, good), 0},
		{"no attestation", skReply(skHelperEnroll, wire.AppendString(nil, key)), 0},
		{"unframed key", skReply(skHelperEnroll, append(key, good...)), 0},
		{"trailing", skReply(skHelperEnroll, append(good, 0)), 0},
		{"key with trailing bytes", skReply(skHelperEnroll, append(wire.AppendString(nil, append(key, 1)), 0, 0, 0, 0)), 0},
		{"other key type", skReply(skHelperEnroll, append(wire.AppendString(nil, testSKKeyECDSA(t)), 0, 0, 0, 0)), 0},
		{"not a key", skReply(skHelperEnroll, append(wire.AppendString(nil, []byte("\x00\x00\x00\x07ssh-rsa")), 0, 0, 0, 0)), 0},
		{"empty", skReply(skHelperEnroll, nil), 0},
		{"nothing", ``, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EnrollSK(context.Background(), &SKEnrollRequest{Type: hostkey.SKED25519, Provider: "/p.so", Helper: fakeSKHelper(t, tt.reply)})
			var he *SKHelperError
			switch {
			case tt.code != 0 && (!errors.As(err, &he) || he.Code != tt.code):
				t.Errorf("got %v, want SKHelperError %d", err, tt.code)
			case tt.code == 0 && !errors.Is(err, ErrSKHelper):
				t.Errorf("got %v, want ErrSKHelper", err)
			}
		})
	}
	if _, err := EnrollSK(context.Background(), &SKEnrollRequest{Type: hostkey.ED25519}); !errors.Is(err, hostkey.ErrUnknownAlgorithm) {
		t.Errorf("plain key type: %v", err)
	}
}

func testSKKeyECDSA(t testing.TB) []byte {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hostkey.NewSKPublicKey(&ec.PublicKey, "ssh:")
	if err != nil {
		t.Fatal(err)
	}
	b := append(k.Marshal(), 1)
	b = wire.AppendString(b, []byte("h"))
	return wire.AppendString(b, []byte(nil))
}

// TestLoadResidentSKHostileHelper: a good answer gives every key with
// its user id; a bad one an error.
func TestLoadResidentSKHostileHelper(t *testing.T) {
	var good []byte
	for _, user := range []string{"", "alice"} {
		good = wire.AppendString(good, testSKKey(t, "ssh:"+user, hostkey.SKUserPresent|hostkey.SKResidentKey))
		good = wire.AppendString(good, []byte(nil))
		good = wire.AppendString(good, []byte(user))
	}
	keys, err := LoadResidentSK(context.Background(), "/p.so", &SKLoadOptions{Helper: fakeSKHelper(t, skReply(skHelperLoadResident, good))})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || string(keys[1].UserID) != "alice" || keys[1].Key.PublicKey.Application != "ssh:alice" || len(keys[0].UserID) != 0 {
		t.Errorf("got %+v", keys)
	}
	if keys, err := LoadResidentSK(context.Background(), "/p.so", &SKLoadOptions{Helper: fakeSKHelper(t, skReply(skHelperLoadResident, nil))}); err != nil || len(keys) != 0 {
		t.Errorf("no keys: %v %v", keys, err)
	}
	for _, tt := range []struct{ name, reply string }{
		{"cut", skReply(skHelperLoadResident, good[:len(good)-1])},
		{"not a key", skReply(skHelperLoadResident, append(wire.AppendString(nil, []byte("x")), 0, 0, 0, 0, 0, 0, 0, 0))},
		{"enroll reply", skReply(skHelperEnroll, good)},
		{"huge string", skReply(skHelperLoadResident, []byte{0xff, 0xff, 0xff, 0xff})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadResidentSK(context.Background(), "/p.so", &SKLoadOptions{Helper: fakeSKHelper(t, tt.reply)}); !errors.Is(err, ErrSKHelper) {
				t.Errorf("got %v, want ErrSKHelper", err)
			}
		})
	}
	var many []byte
	one := wire.AppendString(nil, testSKKey(t, "ssh:", 1))
	one = wire.AppendString(wire.AppendString(one, []byte(nil)), []byte(nil))
	for range maxResidentKeys + 1 {
		many = append(many, one...)
	}
	if _, err := parseSKResidentReply(many); !errors.Is(err, ErrSKHelper) {
		t.Errorf("%d keys: %v", maxResidentKeys+1, err)
	}
}

func FuzzParseSKEnrollReply(f *testing.F) {
	key := testSKKey(f, "ssh:", 1)
	f.Add(append(wire.AppendString(nil, key), wire.AppendString(nil, []byte("att"))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseSKEnrollReply(b)
		if err != nil {
			if !errors.Is(err, ErrSKHelper) {
				t.Fatalf("error %v is not ErrSKHelper", err)
			}
			return
		}
		if e.Key == nil || e.Key.PublicKey == nil {
			t.Fatalf("accepted without a key: %+v", e)
		}
	})
}

func FuzzParseSKResidentReply(f *testing.F) {
	b := wire.AppendString(nil, testSKKey(f, "ssh:", 0x21))
	b = wire.AppendString(wire.AppendString(b, []byte(nil)), []byte("u"))
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseSKResidentReply(b)
		if err != nil {
			if !errors.Is(err, ErrSKHelper) {
				t.Fatalf("error %v is not ErrSKHelper", err)
			}
			return
		}
		for _, k := range keys {
			if k.Key == nil || k.Key.PublicKey == nil {
				t.Fatalf("accepted without a key: %+v", k)
			}
		}
	})
}

func skAddMsg(key []byte, comment string, constraints ...byte) []byte {
	b := append([]byte{msgAddIDConstrained}, key...)
	b = wire.AppendString(b, []byte(comment))
	return append(b, constraints...)
}

// TestParseSKAdd: ssh-add's SSH2_AGENTC_ADD_ID_CONSTRAINED of a
// security key, with its provider constraint; another extension, an
// unknown constraint, a plain key and a cut message are refused.
func TestParseSKAdd(t *testing.T) {
	key := testSKKey(t, "ssh:", hostkey.SKUserPresent)
	prov := append([]byte{constrainExtension}, wire.AppendString(wire.AppendString(nil, []byte(SKProviderExtension)), []byte("/p.so"))...)
	msg := skAddMsg(key, "c", append([]byte{constrainConfirm, constrainLifetime, 0, 0, 0, 9}, prov...)...)
	if !isSKAdd(msg) {
		t.Fatal("isSKAdd = false")
	}
	req, err := parseSKAdd(msg)
	if err != nil {
		t.Fatal(err)
	}
	if req.comment != "c" || req.provider != "/p.so" || !req.confirm || req.life != 9*time.Second || string(req.key.KeyHandle) != "handle" {
		t.Errorf("got %+v", req)
	}
	plain := append([]byte{msgAddIdentity}, key...)
	plain = wire.AppendString(plain, []byte("c"))
	if req, err := parseSKAdd(plain); err != nil || req.provider != "internal" {
		t.Errorf("without a provider: %+v %v", req, err)
	}
	for i := 1; i < len(key)+5; i++ {
		if _, err := parseSKAdd(msg[:i]); err == nil {
			t.Errorf("cut at %d: no error", i)
		}
	}
	other := append([]byte{constrainExtension}, wire.AppendString(wire.AppendString(nil, []byte("restrict-destination-v00@openssh.com")), []byte("x"))...)
	for _, bad := range [][]byte{skAddMsg(key, "c", other...), skAddMsg(key, "c", 7), append(plain, 0)} {
		if _, err := parseSKAdd(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
	if isSKAdd(append([]byte{msgAddIdentity}, wire.AppendString(nil, []byte("ssh-ed25519"))...)) {
		t.Error("isSKAdd of an ed25519 key")
	}
	kr := NewKeyring(nil)
	defer kr.Close()
	k := req.key
	k.Flags |= hostkey.SKUserVerified
	if err := kr.AddSK(k, "c", "internal", 0, false); !errors.Is(err, ErrConstraint) {
		t.Errorf("verify-required key: %v", err)
	}
	if err := kr.AddSK(req.key, "c", "/tmp/not-allowed.so", 0, false); err == nil {
		t.Error("a provider outside the allowlist: no error")
	}
}

func FuzzParseSKAdd(f *testing.F) {
	key := testSKKey(f, "ssh:", 1)
	f.Add(skAddMsg(key, "c", constrainConfirm))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !isSKAdd(b) {
			return
		}
		req, err := parseSKAdd(b)
		if err != nil {
			return
		}
		if req.key == nil || req.key.PublicKey == nil || req.provider == "" {
			t.Fatalf("accepted %+v", req)
		}
	})
}

// TestWebsafe: a security key of a non-SSH application signs only an
// SSH user authentication request for itself or an SSHSIG blob
// (ssh-agent's check_websafe_message_contents); NoRestrictWebsafe lifts
// that, and ssh: keys are never checked.
func TestWebsafe(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sk, _ := hostkey.NewSKPublicKey(pub, "https://example.com")
	req := func(method, service string, blob []byte, extra ...byte) []byte {
		b := wire.AppendString(nil, []byte("session-id"))
		b = append(b, byte(wire.MsgUserauthRequest))
		b = wire.AppendString(b, []byte("root"))
		b = wire.AppendString(b, []byte(service))
		b = wire.AppendString(b, []byte(method))
		b = append(b, 1)
		b = wire.AppendString(b, []byte(hostkey.SKED25519))
		b = wire.AppendString(b, blob)
		return append(b, extra...)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	osk, _ := hostkey.NewSKPublicKey(other, "https://example.com")
	for _, tt := range []struct {
		name string
		data []byte
		want bool
	}{
		{"publickey", req("publickey", "ssh-connection", sk.Marshal()), true},
		{"hostbound", req("publickey-hostbound-v00@openssh.com", "ssh-connection", sk.Marshal(), wire.AppendString(nil, []byte("hk"))...), true},
		{"sshsig", []byte("SSHSIG\x00\x00\x00\x01"), true},
		{"another key", req("publickey", "ssh-connection", osk.Marshal()), false},
		{"another service", req("publickey", "other", sk.Marshal()), false},
		{"another method", req("hostbased", "ssh-connection", sk.Marshal()), false},
		{"trailing", req("publickey", "ssh-connection", sk.Marshal(), 0), false},
		{"web challenge", []byte(`{"type":"webauthn.get","challenge":"x"}`), false},
		{"empty", nil, false},
	} {
		if got := websafe(tt.data, sk); got != tt.want {
			t.Errorf("%s: websafe = %v, want %v", tt.name, got, tt.want)
		}
	}
	key := &hostkey.SKPrivateKey{PublicKey: sk, Flags: 1, Serialized: []byte("k")}
	for _, noRestrict := range []bool{false, true} {
		kr := NewKeyring(&Config{NoRestrictWebsafe: noRestrict})
		if err := kr.AddSK(key, "web", "internal", 0, false); err != nil {
			t.Fatal(err)
		}
		_, wrapped := kr.ids[0].signer.(*websafeSigner)
		if wrapped == noRestrict {
			t.Errorf("NoRestrictWebsafe %v: websafe check %v", noRestrict, wrapped)
		}
		kr.Close()
	}
	if _, err := (&websafeSigner{pub: sk}).Sign(rand.Reader, []byte("web")); !errors.Is(err, ErrNotWebsafe) {
		t.Errorf("Sign of web data: %v", err)
	}
}
