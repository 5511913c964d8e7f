package kex_test

// Tests that prove requirements of the RFC requirement matrix
// (docs/rfc-matrix.md) no other kex test covered: the form of the names
// we send, what our KEXINIT carries, per-direction negotiation, the
// method recommendations of RFC 9142 and the RFC 8731 abort.

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// ourNames is every algorithm, method, marker, extension, request and
// channel type name the stack can put on the wire.
func ourNames() []string {
	names := slices.Concat(kex.Methods(), cipher.Ciphers(), cipher.MACs(), hostkey.Algorithms())
	return append(names,
		kex.ExtInfoClient, kex.ExtInfoServer, kex.StrictClient, kex.StrictServer, kex.NullHostKey,
		packet.CompressionNone, packet.CompressionZlib, packet.CompressionDelayed,
		wire.ExtServerSigAlgs, wire.ExtPublicKeyHostbound, wire.ExtPing,
		wire.ServiceUserauth, wire.ServiceConnection,
		wire.MethodNone, wire.MethodPassword, wire.MethodPublicKey, wire.MethodHostbased,
		wire.MethodKeyboardInteractive, wire.MethodGSSAPIWithMIC, wire.MethodGSSAPIKeyex,
		wire.GlobalTCPIPForward, wire.GlobalCancelTCPIPForward, wire.GlobalStreamLocalForward,
		wire.GlobalCancelStreamLocalForward, wire.GlobalKeepalive, wire.GlobalNoMoreSessions,
		wire.GlobalHostKeys, wire.GlobalHostKeysProve,
		wire.ChannelTypeSession, wire.ChannelTypeX11, wire.ChannelTypeForwardedTCPIP,
		wire.ChannelTypeDirectTCPIP, wire.ChannelTypeDirectStreamLocal,
		wire.ChannelTypeForwardedStreamLocal, wire.ChannelTypeAuthAgent,
		wire.RequestPtyReq, wire.RequestX11Req, wire.RequestEnv, wire.RequestShell, wire.RequestExec,
		wire.RequestSubsystem, wire.RequestWindowChange, wire.RequestXonXoff, wire.RequestSignal,
		wire.RequestExitStatus, wire.RequestExitSignal, wire.RequestBreak, wire.RequestAuthAgent,
		wire.RequestKeepalive, wire.RequestEOW)
}

// nameProblem says what is wrong with a name under RFC 4251, Section 6
// and RFC 4250, Section 4.6.1, or "".
func nameProblem(n string) string {
	if n == "" || len(n) > 64 {
		return "length not in 1..64"
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return "a comma, whitespace, control character, DEL or non-ASCII byte"
		}
	}
	local, domain, ok := strings.Cut(n, "@")
	if !ok {
		return ""
	}
	if local == "" || strings.Contains(domain, "@") {
		return "not a single @ after a non-empty name"
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "domain is not fully qualified"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "domain label " + l
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "domain label " + l
			}
		}
	}
	return ""
}

// TestNamesWellFormed: every name we register or send is printable
// US-ASCII without comma or whitespace, 1 to 64 characters, and a local
// name has one "@" followed by a fully qualified domain name.
//
// Requirement: 4250-4.6.1-names-charset, 4250-4.6.1-names-printable, 4250-4.6.1-names-length
// Requirement: 4251-6-names-ascii, 4251-6-registered-charset, 4251-6-local-single-at, 4251-6-local-domain, 4251-6-local-charset
func TestNamesWellFormed(t *testing.T) {
	names := ourNames()
	if len(names) < 80 {
		t.Fatalf("only %d names", len(names))
	}
	for _, n := range names {
		if p := nameProblem(n); p != "" {
			t.Errorf("%q: %s", n, p)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", 65), "a,b", "a b", "a@b@c.d", "@openssh.com", "x@localhost", "x@-a.com", "caf\u00e9"} {
		if nameProblem(bad) == "" {
			t.Errorf("checker accepts %q", bad)
		}
	}
}

func kexInitFor(kexAlgs, ciphers, macs, comp []string) *wire.KexInit {
	return &wire.KexInit{
		KexAlgorithms: kexAlgs, ServerHostKeyAlgorithms: []string{"ssh-ed25519"},
		CiphersClientServer: ciphers, CiphersServerClient: ciphers,
		MACsClientServer: macs, MACsServerClient: macs,
		CompressionClientServer: comp, CompressionServerClient: comp,
	}
}

// TestNegotiateCaseSensitive: names match byte for byte; a name that
// differs in case is another name.
//
// Requirement: 4251-6-case-sensitive, 4250-4.6.1-case-sensitive
func TestNegotiateCaseSensitive(t *testing.T) {
	none := []string{"none"}
	c := kexInitFor([]string{"Curve25519-SHA256", kex.Curve25519SHA256}, []string{"AES128-CTR", cipher.AES128CTR}, []string{cipher.HMACSHA256}, none)
	s := kexInitFor([]string{kex.Curve25519SHA256}, []string{cipher.AES128CTR}, []string{cipher.HMACSHA256}, none)
	got, err := kex.Negotiate(c, s, nil)
	if err != nil || got.Kex != kex.Curve25519SHA256 || got.ClientToServer.Cipher != cipher.AES128CTR {
		t.Fatalf("Negotiate: %+v, %v", got, err)
	}
	c.KexAlgorithms = []string{"CURVE25519-SHA256"}
	if _, err := kex.Negotiate(c, s, nil); !errors.Is(err, kex.ErrNoCommonAlgorithm) {
		t.Fatalf("upper-case name matched: %v", err)
	}
}

// TestNegotiateDirections: each direction's cipher, MAC and compression
// are chosen on their own, each as the first on the client's list that
// the server has; a category with nothing in common fails by name.
//
// Requirement: 4253-6.3-independent, 4253-6.3-select-independent, 4253-6.4-mac-independent, 4253-6.4-select-independent
// Requirement: 4253-7.1-cipher-choice, 4253-7.1-mac-choice, 4253-7.1-compression-choice, 4253-7.1-no-match-disconnect
func TestNegotiateDirections(t *testing.T) {
	k := []string{kex.Curve25519SHA256}
	c := kexInitFor(k, nil, nil, nil)
	c.CiphersClientServer = []string{cipher.AES256CTR, cipher.AES128CTR}
	c.CiphersServerClient = []string{cipher.AES256GCM, cipher.AES128CTR}
	c.MACsClientServer = []string{cipher.HMACSHA512, cipher.HMACSHA256}
	c.MACsServerClient = []string{cipher.HMACSHA256ETM}
	c.CompressionClientServer = []string{packet.CompressionDelayed, packet.CompressionNone}
	c.CompressionServerClient = []string{packet.CompressionNone, packet.CompressionDelayed}
	s := kexInitFor(k, nil, nil, nil)
	s.CiphersClientServer = []string{cipher.AES128CTR, cipher.AES256CTR}
	s.CiphersServerClient = []string{cipher.AES128CTR, cipher.AES256GCM}
	s.MACsClientServer = []string{cipher.HMACSHA256, cipher.HMACSHA512}
	s.MACsServerClient = []string{cipher.HMACSHA256ETM}
	s.CompressionClientServer = []string{packet.CompressionNone, packet.CompressionDelayed}
	s.CompressionServerClient = []string{packet.CompressionDelayed, packet.CompressionNone}
	got, err := kex.Negotiate(c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCS := kex.DirectionAlgorithms{Cipher: cipher.AES256CTR, MAC: cipher.HMACSHA512, Compression: packet.CompressionDelayed}
	wantSC := kex.DirectionAlgorithms{Cipher: cipher.AES256GCM, Compression: packet.CompressionNone}
	if got.ClientToServer != wantCS || got.ServerToClient != wantSC {
		t.Fatalf("got %+v / %+v, want %+v / %+v", got.ClientToServer, got.ServerToClient, wantCS, wantSC)
	}
	for _, tt := range []struct {
		category string
		break_   func(s *wire.KexInit)
	}{
		{"cipher server to client", func(s *wire.KexInit) { s.CiphersServerClient = []string{cipher.AES192CTR} }},
		{"MAC client to server", func(s *wire.KexInit) { s.MACsClientServer = []string{cipher.HMACSHA1} }},
		{"compression client to server", func(s *wire.KexInit) { s.CompressionClientServer = []string{packet.CompressionZlib} }},
	} {
		s2 := *s
		tt.break_(&s2)
		var ne *kex.NegotiationError
		if _, err := kex.Negotiate(c, &s2, nil); !errors.As(err, &ne) || ne.Category != tt.category {
			t.Errorf("%s: %v", tt.category, err)
		}
	}
}

// TestKexInitFields: the KEXINIT our client and our server send first
// carries a fresh random cookie, empty language lists, the ext-info and
// strict-kex markers of its own role and never those of the other, and
// no "none" cipher.
//
// Requirement: 4253-7.1-cookie-random, 4253-7.1-languages-empty, 8308-2.1-indicator, 8308-2.2-wrong-role, protocol-1.10-markers, 4253-6.3-none-cipher
func TestKexInitFields(t *testing.T) {
	var cookies [][16]byte
	check := func(m *wire.KexInit, own, other []string) {
		t.Helper()
		cookies = append(cookies, m.Cookie)
		for _, n := range own {
			if !slices.Contains(m.KexAlgorithms, n) {
				t.Errorf("%q lacks %s", m.KexAlgorithms, n)
			}
		}
		for _, n := range other {
			if slices.Contains(m.KexAlgorithms, n) {
				t.Errorf("%q has the other role's %s", m.KexAlgorithms, n)
			}
		}
		if len(m.LanguagesClientServer)+len(m.LanguagesServerClient) != 0 {
			t.Errorf("languages %q %q", m.LanguagesClientServer, m.LanguagesServerClient)
		}
		if slices.Contains(m.CiphersClientServer, cipher.None) || slices.Contains(m.CiphersServerClient, cipher.None) {
			t.Errorf("offers the none cipher: %q", m.CiphersClientServer)
		}
	}
	for range 3 {
		r, _ := startServer(t, serverCfg(t))
		check(r.readInit(), []string{kex.ExtInfoServer, kex.StrictServer}, []string{kex.ExtInfoClient, kex.StrictClient})
		hk := newEd25519Key(t)
		c, _ := configs(t, kex.Curve25519SHA256)
		r, _ = startClient(t, c, hk)
		check(r.readInit(), []string{kex.ExtInfoClient, kex.StrictClient}, []string{kex.ExtInfoServer, kex.StrictServer})
	}
	for i, a := range cookies {
		if a == ([16]byte{}) {
			t.Errorf("cookie %d is zero", i)
		}
		for _, b := range cookies[:i] {
			if a == b {
				t.Errorf("cookie %x repeats", a)
			}
		}
	}
}

// TestNoneNeverOffered: the "none" cipher and MAC are registered for
// tests but in no default or legacy list.
//
// Requirement: 4253-6.3-none-cipher
func TestNoneNeverOffered(t *testing.T) {
	for _, l := range [][]string{cipher.DefaultCiphers(), cipher.LegacyCiphers(), cipher.DefaultMACs(), cipher.LegacyMACs()} {
		if slices.Contains(l, cipher.None) {
			t.Errorf("%q lists none", l)
		}
	}
}

// TestMethodRecommendations pins RFC 9142, Section 4: group14-sha256
// (MUST) is registered and a default; rsa1024-sha1 (MUST NOT) and
// rsa2048-sha256 do not exist; the SHOULD methods are registered; the
// SHOULD NOT ones (group1-sha1, group-exchange-sha1) are not defaults.
//
// Requirement: 9142-4-group14-sha256, 9142-4-rsa1024-sha1, 9142-4-should, 9142-4-should-not
func TestMethodRecommendations(t *testing.T) {
	if _, ok := kex.Lookup(kex.DHGroup14SHA256); !ok || !slices.Contains(kex.DefaultMethods(), kex.DHGroup14SHA256) {
		t.Error("diffie-hellman-group14-sha256 is not a registered default")
	}
	for _, n := range []string{"rsa1024-sha1", "rsa2048-sha256"} {
		if _, ok := kex.Lookup(n); ok {
			t.Errorf("%s is registered", n)
		}
	}
	for _, n := range []string{kex.Curve25519SHA256, kex.DHGroup16SHA512, "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521"} {
		if _, ok := kex.Lookup(n); !ok {
			t.Errorf("%s is not registered", n)
		}
	}
	for _, n := range []string{kex.DHGroup1SHA1, kex.DHGroupExchangeSHA1} {
		if slices.Contains(kex.DefaultMethods(), n) {
			t.Errorf("%s is a default", n)
		}
		if !slices.Contains(kex.LegacyMethods(), n) {
			t.Errorf("%s is not a legacy method", n)
		}
	}
}

// TestCurve25519AbortDisconnects: a curve25519 client public key of the
// wrong length, or one giving the all-zero shared secret, ends the
// exchange with DISCONNECT KEY_EXCHANGE_FAILED.
//
// Requirement: 8731-3-disconnect-reason, 8731-3-zero-secret, 8731-3-key-length
func TestCurve25519AbortDisconnects(t *testing.T) {
	for name, pub := range map[string][]byte{"31 bytes": make([]byte, 31), "33 bytes": make([]byte, 33), "all-zero secret": make([]byte, 32)} {
		t.Run(name, func(t *testing.T) {
			r, ch := startServer(t, serverCfg(t))
			r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.StrictClient}, false))
			r.readInit()
			r.send((&wire.KexECDHInit{ClientPublic: pub}).Append(nil))
			r.expectDisconnect(wire.KeyExchangeFailed)
			if o := wait(t, ch); o.err == nil {
				t.Fatal("handshake succeeded")
			}
		})
	}
}

// TestExtInfoIgnoresUnknown: an EXT_INFO whose unknown extensions come
// first, with empty, binary and large values, still gives the client the
// server-sig-algs it carries.
//
// Requirement: 8308-2.5-ignore-unknown, 8308-2.5-ignore-value, 8308-2.5-order
func TestExtInfoIgnoresUnknown(t *testing.T) {
	r, o := rawServerKex(t)
	if o.err != nil {
		t.Fatal(o.err)
	}
	r.send((&wire.ExtInfo{Extensions: []wire.Extension{
		{Name: "made-up@example.com", Value: []byte{0, 0xff, 0, 7}},
		{Name: "no-flow-control-2@example.com"},
		{Name: "big@example.com", Value: make([]byte, 8<<10)},
		{Name: wire.ExtServerSigAlgs, Value: []byte("rsa-sha2-512,ssh-ed25519")},
		{Name: "after@example.com", Value: []byte("\x1b[2J")},
	}}).Append(nil))
	r.send((&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil))
	if p, err := o.tr.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgServiceAccept {
		t.Fatalf("ReadPacket: %v", err)
	}
	if got := o.tr.ServerSigAlgs(); !slices.Equal(got, []string{"rsa-sha2-512", "ssh-ed25519"}) {
		t.Fatalf("server-sig-algs %q", got)
	}
}

// TestClientExtInfoNextAfterNewKeys: a client with extensions to send,
// facing a server that listed ext-info-s, sends its EXT_INFO as the very
// next packet after its first NEWKEYS.
//
// Requirement: 8308-2.4-client-next
func TestClientExtInfoNextAfterNewKeys(t *testing.T) {
	hk := newEd25519Key(t)
	c, _ := configs(t, kex.Curve25519SHA256)
	c.HostKeyVerifier = edVerifier{trusted: hk.blob}
	c.Extensions = []wire.Extension{{Name: "test@example.com", Value: []byte("1")}}
	r, ch := startClient(t, c, hk)
	r.readInit()
	r.sendInit(r.initMsg([]string{kex.Curve25519SHA256, kex.ExtInfoServer, kex.StrictServer}, false))
	r.strict = true
	r.exchange(kex.Curve25519SHA256) // reads up to and including the client's NEWKEYS
	p, err := r.read()
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.ParseExtInfo(p)
	if err != nil || len(m.Extensions) != 1 || m.Extensions[0].Name != "test@example.com" {
		t.Fatalf("packet after NEWKEYS: %x (%v), want the client's EXT_INFO", p, err)
	}
	if o := wait(t, ch); o.err != nil {
		t.Fatal(o.err)
	}
}
