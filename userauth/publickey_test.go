package userauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/agentauth"
	"github.com/sshstack/sshstack/wire"
)

// Keys are made once: RSA generation is slow under -race.
var (
	keyEd25519  = sync.OnceValue(func() *hostkey.CryptoSigner { return genKey(hostkey.ED25519, 0) })
	keyEd25519b = sync.OnceValue(func() *hostkey.CryptoSigner { return genKey(hostkey.ED25519, 0) })
	keyECDSA    = sync.OnceValue(func() *hostkey.CryptoSigner { return genKey(hostkey.ECDSAP256, 0) })
	keyRSA      = sync.OnceValue(func() *hostkey.CryptoSigner { return genKey(hostkey.RSA, 2048) })
	keyRSA1024  = sync.OnceValue(func() *hostkey.CryptoSigner {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			panic(err)
		}
		s, err := hostkey.NewSigner(k)
		if err != nil {
			panic(err)
		}
		return s
	})
	keyCA = sync.OnceValue(func() *hostkey.CryptoSigner { return genKey(hostkey.ED25519, 0) })
)

func genKey(t string, bits int) *hostkey.CryptoSigner {
	k, err := hostkey.GenerateKey(rand.Reader, t, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// keyServer accepts the listed keys for "alice" and records the key of
// every callback call; Permissions carry the key's fingerprint as an
// extension name (one per factor, so two keys do not conflict).
type keyServer struct {
	mu    sync.Mutex
	calls []string // fingerprints, in call order
}

func (ks *keyServer) config(keys ...hostkey.PublicKey) *userauth.ServerConfig {
	scfg := fastServer()
	scfg.PublicKeyCallback = func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
		fp := hostkey.FingerprintSHA256(key)
		ks.mu.Lock()
		ks.calls = append(ks.calls, fp)
		ks.mu.Unlock()
		if m.User != "alice" || !slices.ContainsFunc(keys, func(k hostkey.PublicKey) bool { return hostkey.Equal(k, key) }) {
			return nil, errors.New("unknown key")
		}
		return &userauth.Permissions{Extensions: map[string]string{fp: "verified"}}, nil
	}
	return scfg
}

// TestPublicKeyAcceptedAlgorithms: PrivateKey.Algorithms (OpenSSH's
// PubkeyAcceptedAlgorithms) narrows the algorithm chosen from
// server-sig-algs, and a key with no accepted algorithm is not offered.
// Requirement: 8308-3.1-server-sig-algs, 8332-3.3-prefer-sha2
func TestPublicKeyAcceptedAlgorithms(t *testing.T) {
	var ks keyServer
	scfg := ks.config(keyEd25519().PublicKey(), keyRSA().PublicKey())
	rsa := userauth.InMemoryPrivateKey(keyRSA())
	rsa.Algorithms = []string{hostkey.RSASHA256}
	var reqs []wire.UserauthRequest
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{rsa},
		ServerSigAlgs: []string{"rsa-sha2-512", "rsa-sha2-256"}}, scfg, sniffRequests(&reqs))
	if o.cerr != nil || len(reqs) != 1 || reqs[0].Algorithm != hostkey.RSASHA256 {
		t.Fatalf("accepted rsa-sha2-256 only: %v, requests %+v", o.cerr, reqs)
	}

	ed := userauth.InMemoryPrivateKey(keyEd25519())
	ed.Algorithms = []string{hostkey.RSASHA256, hostkey.RSASHA512}
	reqs = nil
	ks = keyServer{}
	scfg = ks.config(keyEd25519().PublicKey())
	o = run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{ed}}, scfg, sniffRequests(&reqs))
	if !errors.Is(o.cerr, userauth.ErrAlgorithmNotAccepted) {
		t.Errorf("ed25519 key with only RSA accepted: %v, want ErrAlgorithmNotAccepted", o.cerr)
	}
	for _, r := range reqs {
		if r.Method == wire.MethodPublicKey {
			t.Errorf("the key was offered: %+v", r)
		}
	}
}

// Requirement: 4252-7-publickey, 4252-7-pk-ok-or-failure
// Requirement: 4252-7-answer
func TestPublicKey(t *testing.T) {
	all := []hostkey.PublicKey{keyEd25519().PublicKey(), keyECDSA().PublicKey(), keyRSA().PublicKey()}
	tests := []struct {
		name      string
		signer    hostkey.Signer
		query     bool
		sigAlgs   []string
		hostbound bool
		wantAlg   string
	}{
		{"ed25519", keyEd25519(), false, nil, false, hostkey.ED25519},
		{"ecdsa query", keyECDSA(), true, nil, false, hostkey.ECDSAP256},
		{"rsa default", keyRSA(), false, nil, false, hostkey.RSASHA512},
		{"rsa server-sig-algs 256", keyRSA(), false, []string{"ssh-ed25519", "rsa-sha2-256"}, false, hostkey.RSASHA256},
		{"rsa server-sig-algs 512", keyRSA(), true, []string{"rsa-sha2-256", "rsa-sha2-512"}, false, hostkey.RSASHA512},
		{"ed25519 hostbound", keyEd25519(), false, nil, true, hostkey.ED25519},
		{"ecdsa hostbound query", keyECDSA(), true, nil, true, hostkey.ECDSAP256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ks keyServer
			scfg := ks.config(all...)
			src := userauth.InMemoryPrivateKey(tt.signer)
			src.Query = tt.query
			ccfg := &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{src}, ServerSigAlgs: tt.sigAlgs}
			if tt.hostbound {
				ccfg.Hostbound, ccfg.HostKey = true, testHostKey
			}
			var reqs []wire.UserauthRequest
			o := run(t, ccfg, scfg, sniffRequests(&reqs))
			if o.cerr != nil || o.serr != nil {
				t.Fatalf("client %v, server %v", o.cerr, o.serr)
			}
			fp := hostkey.FingerprintSHA256(tt.signer.PublicKey())
			if len(o.sres.Keys) != 1 || !hostkey.Equal(o.sres.Keys[0], tt.signer.PublicKey()) || o.sres.Permissions.Extensions[fp] != "verified" {
				t.Errorf("Result keys %v, extensions %v", o.sres.Keys, o.sres.Permissions.Extensions)
			}
			wantMethod := wire.MethodPublicKey
			if tt.hostbound {
				wantMethod = userauth.MethodPublicKeyHostbound
			}
			wantReqs := 1
			if tt.query {
				wantReqs = 2
			}
			if len(reqs) != wantReqs || len(ks.calls) != wantReqs {
				t.Fatalf("%d requests and %d callback calls, want %d", len(reqs), len(ks.calls), wantReqs)
			}
			last := reqs[len(reqs)-1]
			if last.Method != wantMethod {
				t.Errorf("method %q, want %q", last.Method, wantMethod)
			}
			if last.Method == wire.MethodPublicKey && (last.Algorithm != tt.wantAlg || !last.HasSignature) {
				t.Errorf("algorithm %q signed %v, want %q", last.Algorithm, last.HasSignature, tt.wantAlg)
			}
			if tt.query && reqs[0].Method == wire.MethodPublicKey && reqs[0].HasSignature {
				t.Error("query carried a signature")
			}
			if !slices.Equal(o.sres.Methods, []string{"publickey"}) {
				t.Errorf("Result.Methods %v", o.sres.Methods)
			}
		})
	}
}

// sniffRequests returns a run option that decodes every USERAUTH_REQUEST
// the client sends.
func sniffRequests(reqs *[]wire.UserauthRequest) runOption {
	return func(p []byte) {
		if len(p) > 0 && wire.MsgNum(p[0]) == wire.MsgUserauthRequest {
			if m, err := wire.ParseUserauthRequest(p); err == nil {
				*reqs = append(*reqs, m)
			}
		}
	}
}

// TestA5BoundToVerifiedKey: the client offers key B (query only), then
// signs with key A. Authorization, Keys and Permissions belong to A
// (docs/security.md#a5, CVE-2024-45337).
// Requirement: 4252-7-check-key-and-sig
func TestA5BoundToVerifiedKey(t *testing.T) {
	a, b := keyEd25519(), keyECDSA()
	var ks keyServer
	scfg := ks.config(a.PublicKey(), b.PublicKey())
	rc := startServer(t, scfg)
	rc.ServiceOK()
	// Query with B.
	rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPublicKey,
		Algorithm: hostkey.ECDSAP256, PublicKey: b.PublicKey().Marshal()})
	if _, err := wire.ParseUserauthPKOK(rc.Recv()); err != nil {
		t.Fatalf("want PK_OK for B: %v", err)
	}
	// Sign with A.
	rc.SendRaw(signedRequest(t, a, hostkey.ED25519, testSessionID, "alice", wire.ServiceConnection))
	if _, err := wire.ParseUserauthSuccess(rc.Recv()); err != nil {
		t.Fatalf("want SUCCESS: %v", err)
	}
	res, err := rc.Wait()
	if err != nil {
		t.Fatal(err)
	}
	fpA := hostkey.FingerprintSHA256(a.PublicKey())
	if len(res.Keys) != 1 || !hostkey.Equal(res.Keys[0], a.PublicKey()) || res.Permissions.Extensions[fpA] != "verified" || len(res.Permissions.Extensions) != 1 {
		t.Errorf("bound to %v / %v, want key A", res.Keys, res.Permissions.Extensions)
	}
	// The last callback call, the one whose Permissions count, saw A.
	if got := ks.calls[len(ks.calls)-1]; got != fpA {
		t.Errorf("last callback saw %s, want A %s", got, fpA)
	}
}

// signedRequest builds a signed publickey request by hand.
func signedRequest(t testing.TB, s hostkey.Signer, alg string, sid []byte, user, service string) []byte {
	t.Helper()
	req := &wire.UserauthRequest{User: user, Service: service, Method: wire.MethodPublicKey, HasSignature: true,
		Algorithm: alg, PublicKey: s.PublicKey().Marshal()}
	sig, err := s.(hostkey.AlgorithmSigner).SignWithAlgorithm(rand.Reader, wire.AppendPublicKeySignedData(nil, sid, req), alg)
	if err != nil {
		t.Fatal(err)
	}
	req.Signature = sig.Marshal()
	return req.Append(nil)
}

// expectFailure sends p and expects USERAUTH_FAILURE.
func expectFailure(t *testing.T, rc *rawClient, p []byte) {
	t.Helper()
	rc.SendRaw(p)
	got := rc.Recv()
	if _, err := wire.ParseUserauthFailure(got); err != nil {
		t.Fatalf("want FAILURE, got %x (%v)", got, err)
	}
}

// TestA3A4BadSignatures: mismatched algorithms, disabled or weak keys and
// signatures over the wrong data all give FAILURE without a callback
// (docs/security.md#a3, #a4).
// Requirement: 4252-7-check-key-and-sig
// Requirement: 4252-7-unsupported-alg, 8332-3.2-same-name
func TestA3A4BadSignatures(t *testing.T) {
	ed, rsaKey, small := keyEd25519(), keyRSA(), keyRSA1024()
	resign := func(p []byte, mutate func(*wire.UserauthRequest)) []byte {
		m, err := wire.ParseUserauthRequest(p)
		if err != nil {
			t.Fatal(err)
		}
		mutate(&m)
		return m.Append(nil)
	}
	tests := []struct {
		name string
		req  func() []byte
	}{
		{"rsa-sha2-256 with ed25519 blob", func() []byte {
			return resign(signedRequest(t, ed, hostkey.ED25519, testSessionID, "alice", wire.ServiceConnection),
				func(m *wire.UserauthRequest) { m.Algorithm = hostkey.RSASHA256 })
		}},
		{"signature algorithm differs from request", func() []byte {
			p512 := signedRequest(t, rsaKey, hostkey.RSASHA512, testSessionID, "alice", wire.ServiceConnection)
			return resign(p512, func(m *wire.UserauthRequest) { m.Algorithm = hostkey.RSASHA256 })
		}},
		{"ssh-rsa disabled", func() []byte {
			return unsafeSHA1Request(t, rsaKey)
		}},
		{"rsa 1024 under MinRSABits 2048", func() []byte {
			return signedRequest(t, small, hostkey.RSASHA256, testSessionID, "alice", wire.ServiceConnection)
		}},
		{"wrong session id", func() []byte {
			return signedRequest(t, ed, hostkey.ED25519, []byte("another connection"), "alice", wire.ServiceConnection)
		}},
		{"wrong user", func() []byte {
			return resign(signedRequest(t, ed, hostkey.ED25519, testSessionID, "bob", wire.ServiceConnection),
				func(m *wire.UserauthRequest) { m.User = "alice" })
		}},
		{"wrong service", func() []byte {
			return resign(signedRequest(t, ed, hostkey.ED25519, testSessionID, "alice", "other-service"),
				func(m *wire.UserauthRequest) { m.Service = wire.ServiceConnection })
		}},
		{"has-signature false with a signature", func() []byte {
			p := signedRequest(t, ed, hostkey.ED25519, testSessionID, "alice", wire.ServiceConnection)
			// The boolean follows the method name.
			off := 1 + 4 + len("alice") + 4 + len(wire.ServiceConnection) + 4 + len(wire.MethodPublicKey)
			p[off] = 0
			return p
		}},
		{"garbage key blob", func() []byte {
			return (&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodPublicKey,
				HasSignature: true, Algorithm: hostkey.ED25519, PublicKey: []byte("\x00\x00\x00\x0bssh-ed25519\x00"), Signature: []byte{0}}).Append(nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ks keyServer
			scfg := ks.config(ed.PublicKey(), rsaKey.PublicKey(), small.PublicKey())
			scfg.KeyPolicy = &hostkey.Policy{MinRSABits: 2048}
			rc := startServer(t, scfg)
			rc.ServiceOK()
			expectFailure(t, rc, tt.req())
			if res, err := rc.Finish(); res != nil || err == nil {
				t.Errorf("Serve = %v, %v", res, err)
			}
			if len(ks.calls) != 0 {
				t.Errorf("callback ran %d times", len(ks.calls))
			}
		})
	}
}

// unsafeSHA1Request signs an ssh-rsa (SHA-1) request with a signer that
// allows it, as an old client would.
func unsafeSHA1Request(t *testing.T, s *hostkey.CryptoSigner) []byte {
	k, err := hostkey.NewSigner(s.Crypto())
	if err != nil {
		t.Fatal(err)
	}
	k.AllowSHA1 = true
	return signedRequest(t, k, hostkey.RSA, testSessionID, "alice", wire.ServiceConnection)
}

// userCert issues a user certificate for key from keyCA.
func userCert(t testing.TB, key hostkey.Signer, mutate func(*hostkey.Certificate)) *hostkey.CertSigner {
	t.Helper()
	now := time.Now()
	c := &hostkey.Certificate{
		Key:             key.PublicKey(),
		CertType:        hostkey.UserCert,
		KeyID:           "test",
		ValidPrincipals: []string{"alice"},
		ValidAfter:      uint64(now.Add(-time.Hour).Unix()),
		ValidBefore:     uint64(now.Add(time.Hour).Unix()),
		CriticalOptions: map[string]string{hostkey.OptForceCommand: "/usr/bin/backup"},
		Extensions:      map[string]string{hostkey.ExtPermitPTY: ""},
	}
	if mutate != nil {
		mutate(c)
	}
	if err := c.SignCert(rand.Reader, keyCA()); err != nil {
		t.Fatal(err)
	}
	cs, err := hostkey.NewCertSigner(c, key)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func certChecker() *hostkey.CertChecker {
	return &hostkey.CertChecker{IsUserAuthority: func(k hostkey.PublicKey) bool { return hostkey.Equal(k, keyCA().PublicKey()) }}
}

// TestA10Certificates: a certificate as user key succeeds with its
// restrictions in the Permissions; without a CA, or expired, not yet
// valid, for another principal or with an unknown critical option, it
// fails without a panic (docs/security.md#a10).
// Requirement: certkeys-validity, certkeys-critical-unknown, certkeys-force-command, certkeys-source-address, certkeys-no-agent, certkeys-permit
func TestA10Certificates(t *testing.T) {
	hour := time.Hour
	tests := []struct {
		name    string
		mutate  func(*hostkey.Certificate)
		checker *hostkey.CertChecker
		ok      bool
	}{
		{"valid", nil, certChecker(), true},
		{"no CA configured", nil, nil, false},
		{"untrusted CA", nil, &hostkey.CertChecker{IsUserAuthority: func(hostkey.PublicKey) bool { return false }}, false},
		{"nil authority callback", nil, &hostkey.CertChecker{}, false},
		{"expired", func(c *hostkey.Certificate) { c.ValidBefore = uint64(time.Now().Add(-hour).Unix()) }, certChecker(), false},
		{"not yet valid", func(c *hostkey.Certificate) { c.ValidAfter = uint64(time.Now().Add(hour).Unix()) }, certChecker(), false},
		{"wrong principal", func(c *hostkey.Certificate) { c.ValidPrincipals = []string{"root"} }, certChecker(), false},
		{"unknown critical option", func(c *hostkey.Certificate) { c.CriticalOptions["x-unknown@example.com"] = "" }, certChecker(), false},
		{"host certificate", func(c *hostkey.Certificate) { c.CertType = hostkey.HostCert }, certChecker(), false},
		{"source address", func(c *hostkey.Certificate) { c.CriticalOptions[hostkey.OptSourceAddress] = "10.0.0.0/8" }, certChecker(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, query := range []bool{false, true} {
				scfg := fastServer()
				scfg.CertChecker = tt.checker
				src := userauth.InMemoryPrivateKey(userCert(t, keyEd25519(), tt.mutate))
				src.Query = query
				o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{src}}, scfg)
				if (o.serr == nil) != tt.ok {
					t.Fatalf("query %v: server err %v", query, o.serr)
				}
				if !tt.ok {
					if !errors.Is(o.cerr, userauth.ErrDenied) {
						t.Errorf("client err %v", o.cerr)
					}
					continue
				}
				p := o.sres.Permissions
				if p.ForceCommand != "/usr/bin/backup" || p.NoPTY || !p.NoPortForwarding || !p.NoAgentForwarding {
					t.Errorf("certificate restrictions lost: %+v", p)
				}
			}
		})
	}
}

// TestPublicKeyTwoFactorsTwoKeys: "publickey,publickey" needs two
// different keys.
// Requirement: 4252-7-answer
func TestPublicKeyTwoFactorsTwoKeys(t *testing.T) {
	a, b := keyEd25519(), keyEd25519b()
	var ks keyServer
	scfg := ks.config(a.PublicKey(), b.PublicKey())
	scfg.AuthenticationMethods = [][]string{{"publickey", "publickey"}}
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
		userauth.InMemoryPrivateKey(a), userauth.InMemoryPrivateKey(a), userauth.InMemoryPrivateKey(b),
	}}, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{
		{"publickey", userauth.Partial, []string{"publickey"}},
		{"publickey", userauth.Failed, []string{"publickey"}},
		{"publickey", userauth.Success, nil},
	}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	if len(o.sres.Keys) != 2 || !hostkey.Equal(o.sres.Keys[1], b.PublicKey()) {
		t.Errorf("Keys = %v", o.sres.Keys)
	}
}

// TestHostboundWrongHostKey: a host-bound signature naming another host
// key fails.
// Requirement: protocol-3.1-hostbound
func TestHostboundWrongHostKey(t *testing.T) {
	var ks keyServer
	scfg := ks.config(keyEd25519().PublicKey())
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.InMemoryPrivateKey(keyEd25519())},
		Hostbound: true, HostKey: []byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20another-host-key-0123456789abcd")}, scfg)
	if !errors.Is(o.cerr, userauth.ErrDenied) || len(ks.calls) != 0 {
		t.Fatalf("err %v, %d callback calls", o.cerr, len(ks.calls))
	}
}

// TestOnDiskPrivateKey: a key file is read when the source runs; an
// encrypted one is offered by its public key and its passphrase is asked
// only after PK_OK.
func TestOnDiskPrivateKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, pass []byte) string {
		data, err := hostkey.MarshalPrivateKey(keyEd25519().Crypto(), "test", pass, &hostkey.KeyFileOptions{Rounds: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain, enc := write("id_plain", nil), write("id_enc", []byte("secret"))
	certFile := filepath.Join(dir, "id_enc-cert.pub")
	cs := userCert(t, keyEd25519(), nil)
	if err := os.WriteFile(certFile, hostkey.MarshalAuthorizedKey(cs.PublicKey(), ""), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		cert     string
		accept   bool
		pass     string
		wantAsks int
		ok       bool
	}{
		{"plain", plain, "", true, "", 0, true},
		{"encrypted", enc, "", true, "secret", 1, true},
		{"encrypted rejected key: no prompt", enc, "", false, "secret", 0, false},
		{"encrypted wrong passphrase", enc, "", true, "nope", 1, false},
		{"encrypted with certificate", enc, certFile, true, "secret", 1, true},
		{"missing file", filepath.Join(dir, "nope"), "", true, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ks keyServer
			scfg := ks.config()
			if tt.accept {
				scfg = ks.config(keyEd25519().PublicKey())
				scfg.CertChecker = certChecker()
			}
			asks := 0
			src := userauth.OnDiskPrivateKey(tt.path, tt.cert, func(context.Context, string) ([]byte, error) {
				asks++
				return []byte(tt.pass), nil
			})
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{src}}, scfg)
			if (o.cerr == nil) != tt.ok || asks != tt.wantAsks {
				t.Errorf("err %v after %d passphrase prompts (want ok=%v, %d)", o.cerr, asks, tt.ok, tt.wantAsks)
			}
		})
	}
}

// TestAgent: keys of an ssh-agent on a unix socket authenticate, offered
// by query first, with rsa-sha2-256 asked for through agent flags.
func TestAgent(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	keyring := agent.NewKeyring()
	for _, k := range []*hostkey.CryptoSigner{keyEd25519b(), keyRSA()} {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.Crypto(), Comment: k.PublicKey().Type()}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			})
		}
	})
	defer wg.Wait()
	defer l.Close()

	t.Setenv("SSH_AUTH_SOCK", sock)
	ctx := context.Background()
	sources, closer, err := agentauth.Sources(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if len(sources) != 2 {
		t.Fatalf("%d agent sources, want 2", len(sources))
	}
	var ks keyServer
	scfg := ks.config(keyRSA().PublicKey()) // only the second key is accepted
	var reqs []wire.UserauthRequest
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: sources, ServerSigAlgs: []string{"rsa-sha2-256"}}, scfg, sniffRequests(&reqs))
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
	want := []summary{
		{"publickey", userauth.Failed, []string{"publickey"}},
		{"publickey", userauth.Success, nil},
	}
	if diff := cmp.Diff(want, summarize(o.cres)); diff != "" {
		t.Errorf("AuthResult (-want +got):\n%s", diff)
	}
	// Three requests: a refused query, an accepted query, the signature.
	if len(reqs) != 3 || reqs[0].HasSignature || reqs[1].HasSignature || !reqs[2].HasSignature || reqs[2].Algorithm != hostkey.RSASHA256 {
		t.Errorf("requests %+v", reqs)
	}
	if _, _, err := agentauth.Sources(ctx, filepath.Join(dir, "none")); err == nil {
		t.Error("Sources on a missing socket succeeded")
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	if _, _, err := agentauth.Sources(ctx, ""); !errors.Is(err, agentauth.ErrNoAgent) {
		t.Errorf("without SSH_AUTH_SOCK: %v, want ErrNoAgent", err)
	}
}

// Requirement: 4252-9-hostbased-checks
func TestHostbased(t *testing.T) {
	host := keyECDSA()
	for _, tt := range []struct {
		name       string
		clientHost string
		ok         bool
	}{{"known host", "client.example.com.", true}, {"other host", "evil.example.com.", false}} {
		t.Run(tt.name, func(t *testing.T) {
			scfg := fastServer()
			scfg.HostbasedCallback = func(_ context.Context, m userauth.ConnMeta, clientHost, clientUser string, key hostkey.PublicKey) (*userauth.Permissions, error) {
				if clientHost == "client.example.com." && clientUser == "alice" && hostkey.Equal(key, host.PublicKey()) {
					return nil, nil
				}
				return nil, errors.New("no")
			}
			o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
				&userauth.Hostbased{Signer: host, ClientHost: tt.clientHost, ClientUser: "alice"},
			}}, scfg)
			if (o.cerr == nil) != tt.ok {
				t.Fatalf("err %v", o.cerr)
			}
			if tt.ok && (len(o.sres.Keys) != 1 || o.sres.Methods[0] != "hostbased") {
				t.Errorf("Result %+v", o.sres)
			}
		})
	}
	t.Run("algorithm not in HostbasedAlgorithms", func(t *testing.T) {
		scfg := fastServer()
		scfg.HostbasedAlgorithms = []string{hostkey.ED25519}
		scfg.HostbasedCallback = func(context.Context, userauth.ConnMeta, string, string, hostkey.PublicKey) (*userauth.Permissions, error) {
			return nil, nil
		}
		o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{
			&userauth.Hostbased{Signer: host, ClientHost: "client.example.com.", ClientUser: "alice"},
		}}, scfg)
		if o.cerr == nil {
			t.Fatal("an ECDSA hostbased signature passed a list of ssh-ed25519 only")
		}
	})
	t.Run("signature over other client user", func(t *testing.T) {
		called := false
		scfg := fastServer()
		scfg.HostbasedCallback = func(context.Context, userauth.ConnMeta, string, string, hostkey.PublicKey) (*userauth.Permissions, error) {
			called = true
			return nil, nil
		}
		req := &wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodHostbased,
			Algorithm: hostkey.ECDSAP256, PublicKey: host.PublicKey().Marshal(), ClientHost: "h.", ClientUser: "bob"}
		sig, err := host.Sign(rand.Reader, wire.AppendPublicKeySignedData(nil, testSessionID, req))
		if err != nil {
			t.Fatal(err)
		}
		req.Signature, req.ClientUser = sig.Marshal(), "root"
		rc := startServer(t, scfg)
		rc.ServiceOK()
		expectFailure(t, rc, req.Append(nil))
		rc.Finish()
		if called {
			t.Error("callback ran for a bad signature")
		}
	})
}

// TestHostboundRequestCut cuts a valid host-bound request at every byte
// after the method name: each cut is a FAILURE, never a success, and
// the server goes on answering.
func TestHostboundRequestCut(t *testing.T) {
	var ks keyServer
	scfg := ks.config(keyEd25519().PublicKey())
	scfg.MaxAuthTries = -1
	var reqs []wire.UserauthRequest
	o := run(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.InMemoryPrivateKey(keyEd25519())},
		Hostbound: true, HostKey: testHostKey}, scfg, sniffRequests(&reqs))
	if o.cerr != nil || len(reqs) != 1 {
		t.Fatalf("err %v, %d requests", o.cerr, len(reqs))
	}
	full := reqs[0].Append(nil)
	head := 1 + 4 + len("alice") + 4 + len(wire.ServiceConnection) + 4 + len(userauth.MethodPublicKeyHostbound)
	rc := startServer(t, scfg)
	rc.ServiceOK()
	for n := head; n < len(full); n++ {
		expectFailure(t, rc, full[:n])
	}
	expectFailure(t, rc, append(full[:len(full):len(full)], 0)) // trailing byte
	rc.SendRaw(full)
	if _, err := wire.ParseUserauthSuccess(rc.Recv()); err != nil {
		t.Fatalf("the whole request: %v", err)
	}
	if res, err := rc.Wait(); err != nil || len(res.Keys) != 1 {
		t.Fatalf("Serve = %+v, %v", res, err)
	}
}

// kexLike is a transport that, like kex.Transport, consumes EXT_INFO and
// knows the host key, exposing them through optional methods.
type kexLike struct {
	wire.Transport
	ext []wire.Extension
	hk  []byte
}

func (k kexLike) PeerExtensions() []wire.Extension { return k.ext }
func (k kexLike) HostKey() []byte                  { return k.hk }

// TestTransportExtensions: server-sig-algs, the host-bound offer and the
// host key come from the transport when the configs leave them out.
// Requirement: 8308-3.1-server-sig-algs, protocol-3.1-prefer
func TestTransportExtensions(t *testing.T) {
	a, b := wirePipe()
	ext := []wire.Extension{
		{Name: wire.ExtServerSigAlgs, Value: wire.NameListValue([]string{"ssh-ed25519", "rsa-sha2-256"})},
		{Name: wire.ExtPublicKeyHostbound, Value: []byte(wire.ExtVersion0)},
	}
	var ks keyServer
	scfg := ks.config(keyRSA().PublicKey())
	var reqs []wire.UserauthRequest
	see := sniffRequests(&reqs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var sres *userauth.Result
	var serr error
	wg.Go(func() {
		sres, serr = userauth.Serve(ctx, kexLike{Transport: sniffer{b, see}, hk: testHostKey}, scfg, userauth.ConnInfo{})
		b.Close()
	})
	_, cerr := userauth.Authenticate(ctx, kexLike{Transport: a, ext: ext, hk: testHostKey},
		&userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.InMemoryPrivateKey(keyRSA())}})
	a.Close()
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	if len(reqs) != 1 || reqs[0].Method != userauth.MethodPublicKeyHostbound || len(sres.Keys) != 1 {
		t.Fatalf("requests %+v", reqs)
	}
	// rsa-sha2-256, the only RSA algorithm in server-sig-algs, is in the
	// host-bound request's fields.
	if !bytes.Contains(reqs[0].Rest, []byte(hostkey.RSASHA256)) || bytes.Contains(reqs[0].Rest, []byte(hostkey.RSASHA512)) {
		t.Error("algorithm not chosen from the transport's server-sig-algs")
	}
}
