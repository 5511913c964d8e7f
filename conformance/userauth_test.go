package conformance_test

// Interop of the userauth module with OpenSSH 9.2: our client (over our
// kex transport) against sshd for every publickey flavour, the strategy
// semantics, MaxAuthTries and AuthenticationMethods; and OpenSSH's ssh
// client against our server for publickey, certificates, password,
// keyboard-interactive (answered through SSH_ASKPASS) and a two-factor
// chain. Password and keyboard-interactive against sshd need PAM or a
// local account and are not covered here.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/agentauth"
	"github.com/sshstack/sshstack/wire"
)

// trustOnly returns kex's host key verifier (which also runs the
// docs/security.md#h2 checks) trusting exactly the key blob trusted.
func trustOnly(trusted []byte) kex.HostKeyVerifier {
	return kex.NewHostKeyVerifier(func(k hostkey.PublicKey) error {
		if !bytes.Equal(k.Marshal(), trusted) {
			return errors.New("conformance: unexpected host key")
		}
		return nil
	})
}

func uaKey(t *testing.T, typ string) *hostkey.CryptoSigner {
	t.Helper()
	k, err := hostkey.GenerateKey(rand.Reader, typ, 0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func uaWrite(t *testing.T, path string, data []byte, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// uaDial connects to sshd and runs our client key exchange.
func uaDial(t *testing.T, ctx context.Context, srv *sshdtest.Server) *kex.Transport {
	t.Helper()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &kex.Config{
		HostKeyAlgorithms: []string{hostkey.ED25519},
		HostKeyVerifier:   trustOnly(authorizedBlob(t, srv.HostPublicKey(t, "ed25519"))),
	}
	c, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), cfg)
	if err != nil {
		t.Fatalf("handshake: %v\n%s", err, tail(srv.Log()))
	}
	return c
}

type uaSummary struct {
	Outcome userauth.Outcome
	Methods []string
}

func uaSummarize(r *userauth.AuthResult) []uaSummary {
	var out []uaSummary
	for _, sr := range r.Results {
		out = append(out, uaSummary{sr.Outcome, sr.Methods})
	}
	return out
}

// TestUserauthClientAgainstSSHD runs our userauth client over our kex
// transport against sshd: publickey with ed25519, ECDSA (query first),
// RSA (rsa-sha2-512 from server-sig-algs), a user certificate, a key file
// written and encrypted by ssh-keygen, an ssh-agent key; all host-bound,
// as sshd 9.2 offers it. Then the strategy semantics (none, a skipped
// password, a refused key, a good key), the banner, MaxAuthTries, and
// AuthenticationMethods "publickey,publickey" with partial success.
// Requirement: 8332-3.2-same-name
func TestUserauthClientAgainstSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ed, ec, rs, unknown, ca := uaKey(t, hostkey.ED25519), uaKey(t, hostkey.ECDSAP256), uaKey(t, hostkey.RSA), uaKey(t, hostkey.ED25519), uaKey(t, hostkey.ED25519)
	agentKey := uaKey(t, hostkey.ECDSAP384)
	encPath := filepath.Join(dir, "id_enc")
	sshdtest.GenerateKey(t, "ed25519", encPath, "open sesame")
	encPub, err := os.ReadFile(encPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	var ak []byte
	for _, k := range []*hostkey.CryptoSigner{ed, ec, rs, agentKey} {
		ak = append(ak, hostkey.MarshalAuthorizedKey(k.PublicKey(), "")...)
	}
	ak = append(ak, encPub...)
	caFile := uaWrite(t, filepath.Join(dir, "ca.pub"), hostkey.MarshalAuthorizedKey(ca.PublicKey(), "ca"), 0o644)
	banner := uaWrite(t, filepath.Join(dir, "banner"), []byte("sshstack conformance banner\n"), 0o644)
	base := []string{
		"TrustedUserCAKeys " + caFile,
		"Banner " + banner,
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"MaxAuthTries 3",
	}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: ak, Config: base})

	now := time.Now()
	cert := &hostkey.Certificate{
		Key: ed.PublicKey(), CertType: hostkey.UserCert, KeyID: "conformance",
		ValidPrincipals: []string{me.Username},
		ValidAfter:      uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix()),
		Extensions: map[string]string{hostkey.ExtPermitPTY: ""},
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certSigner, err := hostkey.NewCertSigner(cert, unknown) // wrong key: must fail
	if err == nil {
		t.Fatal("NewCertSigner accepted a certificate for another key")
	}
	certSigner, err = hostkey.NewCertSigner(cert, ed)
	if err != nil {
		t.Fatal(err)
	}

	agentSock := filepath.Join(dir, "agent.sock")
	uaAgent(t, agentSock, agentKey)

	query := func(s hostkey.Signer) *userauth.PrivateKey {
		k := userauth.InMemoryPrivateKey(s)
		k.Query = true
		return k
	}
	asked := 0
	cases := []struct {
		name    string
		sources func(t *testing.T) []userauth.Method
		log     string // must appear in sshd's log
	}{
		{"ed25519", func(*testing.T) []userauth.Method { return []userauth.Method{userauth.InMemoryPrivateKey(ed)} }, "publickey-hostbound-v00@openssh.com"},
		{"ecdsa query", func(*testing.T) []userauth.Method { return []userauth.Method{query(ec)} }, "ECDSA"},
		{"rsa", func(*testing.T) []userauth.Method { return []userauth.Method{userauth.InMemoryPrivateKey(rs)} }, "RSA signature using rsa-sha2-512 verified"},
		{"certificate", func(*testing.T) []userauth.Method { return []userauth.Method{userauth.InMemoryPrivateKey(certSigner)} }, "ED25519-CERT"},
		{"ssh-keygen encrypted file", func(*testing.T) []userauth.Method {
			return []userauth.Method{userauth.OnDiskPrivateKey(encPath, "", func(context.Context, string) ([]byte, error) {
				asked++
				return []byte("open sesame"), nil
			})}
		}, ""},
		{"agent", func(t *testing.T) []userauth.Method {
			src, closer, err := agentauth.Sources(context.Background(), agentSock)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closer.Close() })
			return src
		}, "ECDSA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := uaDial(t, ctx, srv)
			defer c.Close()
			res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: me.Username, Sources: tc.sources(t)})
			if err != nil {
				t.Fatalf("%v\n%s", err, tail(srv.Log()))
			}
			if !res.Authenticated() {
				t.Fatalf("not authenticated: %v", res)
			}
			if tc.log != "" && !strings.Contains(srv.Log(), tc.log) {
				t.Errorf("sshd log lacks %q:\n%s", tc.log, tail(srv.Log()))
			}
		})
	}
	if asked != 1 {
		t.Errorf("passphrase asked %d times, want 1", asked)
	}

	t.Run("strategy", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := uaDial(t, ctx, srv)
		defer c.Close()
		var banners []string
		pwAsked := false
		res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: me.Username,
			Banner: func(msg, _ string) { banners = append(banners, msg) },
			Sources: []userauth.Method{
				userauth.NoneAuth{},
				&userauth.Password{Get: func(context.Context) (string, error) { pwAsked = true; return "x", nil }},
				userauth.InMemoryPrivateKey(unknown),
				userauth.InMemoryPrivateKey(ed),
			}})
		if err != nil {
			t.Fatalf("%v\n%s", err, tail(srv.Log()))
		}
		want := []uaSummary{
			{userauth.Failed, []string{"publickey"}},
			{userauth.Skipped, nil},
			{userauth.Failed, []string{"publickey"}},
			{userauth.Success, nil},
		}
		if got := uaSummarize(res); !slices.EqualFunc(got, want, func(a, b uaSummary) bool {
			return a.Outcome == b.Outcome && slices.Equal(a.Methods, b.Methods)
		}) {
			t.Errorf("results %+v, want %+v", got, want)
		}
		if pwAsked {
			t.Error("password asked although sshd does not offer it")
		}
		if len(banners) != 1 || banners[0] != "sshstack conformance banner\n" {
			t.Errorf("banners %q", banners)
		}
	})

	t.Run("MaxAuthTries", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := uaDial(t, ctx, srv)
		defer c.Close()
		var srcs []userauth.Method
		for range 5 {
			srcs = append(srcs, userauth.InMemoryPrivateKey(uaKey(t, hostkey.ED25519)))
		}
		res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: me.Username, Sources: srcs})
		var d *wire.DisconnectError
		var af *userauth.AuthFailure
		if !errors.As(err, &af) || !errors.As(err, &d) || !d.Remote {
			t.Fatalf("err %v, want an AuthFailure ending in sshd's DISCONNECT", err)
		}
		if n := len(res.Results); n != 3 {
			t.Errorf("%d attempts before the disconnect, want 3 (MaxAuthTries 3):\n%v", n, res)
		}
	})

	t.Run("AuthenticationMethods publickey,publickey", func(t *testing.T) {
		mf := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: ak,
			Config: append([]string{"AuthenticationMethods publickey,publickey"}, base...)})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := uaDial(t, ctx, mf)
		defer c.Close()
		res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: me.Username, Sources: []userauth.Method{
			userauth.InMemoryPrivateKey(ed), userauth.InMemoryPrivateKey(ed), userauth.InMemoryPrivateKey(ec),
		}})
		if err != nil {
			t.Fatalf("%v\n%s", err, tail(mf.Log()))
		}
		want := []userauth.Outcome{userauth.Partial, userauth.Failed, userauth.Success}
		var got []userauth.Outcome
		for _, r := range res.Results {
			got = append(got, r.Outcome)
		}
		if !slices.Equal(got, want) {
			t.Errorf("outcomes %v, want %v (the same key twice is refused)", got, want)
		}
	})
}

// uaAgent serves an x/crypto agent keyring holding key on a unix socket
// (servertest.Accept) until the test ends.
func uaAgent(t *testing.T, sock string, key *hostkey.CryptoSigner) {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: key.Crypto(), Comment: "conformance"}); err != nil {
		t.Fatal(err)
	}
	servertest.Accept(t, l, func(c net.Conn) { agent.ServeAgent(kr, c) })
}

// TestUserauthServerAgainstSSH runs OpenSSH's ssh client against our
// userauth server over our kex transport. ssh answers password and
// keyboard-interactive prompts through an SSH_ASKPASS script. The test
// ends when Serve returns; ssh then fails to open its session, which is
// not what is tested here ("Authenticated to" in its log is).
func TestUserauthServerAgainstSSH(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	dir := t.TempDir()
	hk := uaKey(t, hostkey.ED25519)
	ca := uaKey(t, hostkey.ED25519)
	knownHosts := filepath.Join(dir, "known_hosts")
	askpass := uaWrite(t, filepath.Join(dir, "askpass"), []byte("#!/bin/sh\necho 'open sesame'\n"), 0o755)
	t.Setenv("SSH_ASKPASS", askpass)
	t.Setenv("SSH_ASKPASS_REQUIRE", "force")

	keys := map[string]string{}
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		p := filepath.Join(dir, "id_"+typ)
		sshdtest.GenerateKey(t, typ, p, "")
		keys[typ] = p
	}
	pubOf := func(typ string) hostkey.PublicKey {
		b, err := os.ReadFile(keys[typ] + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pub, _, err := hostkey.ParsePublicKeyFile(b)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	// A certificate for the ecdsa key, issued by our CA with ssh-keygen's
	// file format read back by ssh.
	now := time.Now()
	cert := &hostkey.Certificate{
		Key: pubOf("ecdsa"), CertType: hostkey.UserCert, KeyID: "ssh-client",
		ValidPrincipals: []string{"alice"},
		ValidAfter:      uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix()),
		CriticalOptions: map[string]string{hostkey.OptForceCommand: "/bin/true"},
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certFile := uaWrite(t, filepath.Join(dir, "id_ecdsa-cert.pub"), hostkey.MarshalAuthorizedKey(cert, ""), 0o644)

	authorized := []hostkey.PublicKey{pubOf("ed25519"), pubOf("rsa")}
	pkCallback := func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
		if m.User == "alice" && slices.ContainsFunc(authorized, func(k hostkey.PublicKey) bool { return hostkey.Equal(k, key) }) {
			return nil, nil
		}
		return nil, errors.New("not authorized")
	}
	pwCallback := func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
		if m.User == "alice" && pw == "open sesame" {
			return nil, nil
		}
		return nil, errors.New("wrong password")
	}
	kbdCallback := func(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		a, err := ask(ctx, userauth.Challenge{Name: "sshstack", Instruction: "one-time code", Prompts: []wire.Prompt{{Text: "Code: "}}})
		if err != nil {
			return nil, err
		}
		if a[0] != "open sesame" {
			return nil, errors.New("wrong code")
		}
		return nil, nil
	}

	cases := []struct {
		name    string
		cfg     func() *userauth.ServerConfig
		args    []string
		methods []string
		stderr  string // must appear in ssh's -vvv output
	}{
		{"publickey ed25519", func() *userauth.ServerConfig { return &userauth.ServerConfig{PublicKeyCallback: pkCallback} },
			[]string{"-i", keys["ed25519"], "-o", "PreferredAuthentications=publickey"}, []string{"publickey"}, "using publickey-hostbound-v00@openssh.com"},
		{"publickey rsa", func() *userauth.ServerConfig { return &userauth.ServerConfig{PublicKeyCallback: pkCallback} },
			[]string{"-i", keys["rsa"], "-o", "PreferredAuthentications=publickey"}, []string{"publickey"}, "Server accepts key"},
		{"certificate", func() *userauth.ServerConfig {
			return &userauth.ServerConfig{PublicKeyCallback: pkCallback, CertChecker: &hostkey.CertChecker{
				IsUserAuthority: func(k hostkey.PublicKey) bool { return hostkey.Equal(k, ca.PublicKey()) }}}
		}, []string{"-i", keys["ecdsa"], "-o", "CertificateFile=" + certFile, "-o", "PreferredAuthentications=publickey"}, []string{"publickey"}, "ECDSA-CERT"},
		{"password", func() *userauth.ServerConfig { return &userauth.ServerConfig{PasswordCallback: pwCallback} },
			[]string{"-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"}, []string{"password"}, "Authenticated to"},
		{"keyboard-interactive", func() *userauth.ServerConfig {
			return &userauth.ServerConfig{KeyboardInteractiveCallback: kbdCallback}
		}, []string{"-o", "PreferredAuthentications=keyboard-interactive", "-o", "PubkeyAuthentication=no"}, []string{"keyboard-interactive"}, "Authenticated to"},
		{"publickey,password", func() *userauth.ServerConfig {
			return &userauth.ServerConfig{PublicKeyCallback: pkCallback, PasswordCallback: pwCallback,
				AuthenticationMethods: [][]string{{"publickey", "password"}},
				Banner:                func(userauth.ConnMeta) string { return "sshstack banner for ssh\n" }}
		}, []string{"-i", keys["ed25519"], "-o", "PreferredAuthentications=publickey,password"}, []string{"publickey", "password"}, "partial success"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := servertest.Listen(t)
			port := servertest.Port(l)
			line := fmt.Sprintf("[127.0.0.1]:%d %s", port, hostkey.MarshalAuthorizedKey(hk.PublicKey(), ""))
			uaWrite(t, knownHosts, []byte(line), 0o600)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				args := append([]string{"-vvv", "-p", itoa(port),
					"-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes",
					"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "NumberOfPasswordPrompts=1"},
					tc.args...)
				res, sshErr = sshdtest.RunSSH(ctx, nil, append(args, "alice@127.0.0.1", "true")...)
			})
			defer wg.Wait()

			s, nc, err := acceptTransport(ctx, l, &kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}})
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			scfg := tc.cfg()
			scfg.FailureDelay = -1
			r, err := userauth.Serve(ctx, s, scfg, userauth.ConnInfo{RemoteAddr: nc.RemoteAddr()})
			s.Close()
			wg.Wait()
			if sshErr != nil {
				t.Fatal(sshErr)
			}
			if err != nil {
				t.Fatalf("Serve: %v\nssh:\n%s", err, tail(string(res.Stderr)))
			}
			if r.User != "alice" || !slices.Equal(r.Methods, tc.methods) {
				t.Errorf("Result %+v, want methods %v", r, tc.methods)
			}
			for _, want := range []string{"Authenticated to 127.0.0.1", tc.stderr} {
				if !bytes.Contains(res.Stderr, []byte(want)) {
					t.Errorf("ssh output lacks %q:\n%s", want, tail(string(res.Stderr)))
				}
			}
			if tc.name == "certificate" && r.Permissions.ForceCommand != "/bin/true" {
				t.Errorf("certificate force-command lost: %+v", r.Permissions)
			}
			if strings.Contains(tc.name, ",") && !bytes.Contains(res.Stderr, []byte("sshstack banner for ssh")) {
				t.Errorf("ssh did not show the banner:\n%s", tail(string(res.Stderr)))
			}
		})
	}
}

// uaParamikoClient authenticates with paramiko's Transport.auth_* calls
// (paramiko 2.12 under the system python3); it prints the final
// auth_* result and exits 0 on success.
const uaParamikoClient = `
import socket, sys, binascii
import paramiko

port, mode, user, hostkey_hex = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
arg = sys.argv[5] if len(sys.argv) > 5 else ""
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
t = paramiko.Transport(sock)
t.start_client(timeout=20)
if binascii.hexlify(t.get_remote_server_key().asbytes()).decode() != hostkey_hex:
    print("wrong host key"); sys.exit(2)

def load(path):
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(path)
        except Exception:
            pass
    raise Exception("cannot load " + path)

def answer(title, instructions, prompts):
    return ["open sesame" for _ in prompts]

if mode == "publickey":
    r = t.auth_publickey(user, load(arg))
elif mode == "password":
    r = t.auth_password(user, "open sesame")
elif mode == "keyboard-interactive":
    r = t.auth_interactive(user, answer)
elif mode == "publickey,password":
    first = t.auth_publickey(user, load(arg))
    print("partial", first)
    r = t.auth_password(user, "open sesame")
print("result", r, "authenticated", t.is_authenticated())
t.close()
sys.exit(0 if t.is_authenticated() or r == [] else 1)
`

// TestUserauthServerAgainstParamiko runs paramiko's client auth calls
// (auth_publickey with Ed25519 and RSA keys, auth_password,
// auth_interactive, and a publickey,password chain) against our userauth
// server over our kex transport.
func TestUserauthServerAgainstParamiko(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		sshdtest.MissingPeer(t, "paramiko not available: %v", err)
	}
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	dir := t.TempDir()
	script := uaWrite(t, filepath.Join(dir, "client.py"), []byte(uaParamikoClient), 0o644)
	hk := uaKey(t, hostkey.ED25519)
	keys := map[string]string{}
	var authorized []hostkey.PublicKey
	for _, typ := range []string{"ed25519", "rsa"} {
		p := filepath.Join(dir, "id_"+typ)
		sshdtest.GenerateKey(t, typ, p, "")
		keys[typ] = p
		b, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pub, _, err := hostkey.ParsePublicKeyFile(b)
		if err != nil {
			t.Fatal(err)
		}
		authorized = append(authorized, pub)
	}
	scfg := func(chains [][]string) *userauth.ServerConfig {
		return &userauth.ServerConfig{
			FailureDelay:          -1,
			AuthenticationMethods: chains,
			PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
				if m.User == "alice" && slices.ContainsFunc(authorized, func(k hostkey.PublicKey) bool { return hostkey.Equal(k, key) }) {
					return nil, nil
				}
				return nil, errors.New("not authorized")
			},
			PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
				if m.User == "alice" && pw == "open sesame" {
					return nil, nil
				}
				return nil, errors.New("wrong password")
			},
			KeyboardInteractiveCallback: func(ctx context.Context, _ userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
				a, err := ask(ctx, userauth.Challenge{Instruction: "code", Prompts: []wire.Prompt{{Text: "Code: "}, {Text: "Again: ", Echo: true}}})
				if err != nil {
					return nil, err
				}
				if a[0] != "open sesame" || a[1] != "open sesame" {
					return nil, errors.New("wrong code")
				}
				return nil, nil
			},
		}
	}
	cases := []struct {
		name, mode, arg string
		chains          [][]string
		methods         []string
	}{
		{"publickey ed25519", "publickey", keys["ed25519"], nil, []string{"publickey"}},
		{"publickey rsa", "publickey", keys["rsa"], nil, []string{"publickey"}},
		{"password", "password", "", nil, []string{"password"}},
		{"keyboard-interactive", "keyboard-interactive", "", nil, []string{"keyboard-interactive"}},
		{"publickey,password", "publickey,password", keys["ed25519"], [][]string{{"publickey", "password"}}, []string{"publickey", "password"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := servertest.Listen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out []byte
			var pyErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				cmd := exec.CommandContext(ctx, py, script, itoa(servertest.Port(l)), tc.mode, "alice",
					hex.EncodeToString(hk.PublicKey().Marshal()), tc.arg)
				cmd.WaitDelay = 2 * time.Second
				out, pyErr = cmd.CombinedOutput()
			})
			defer wg.Wait()
			s, nc, err := acceptTransport(ctx, l, &kex.Config{HostKeys: []kex.HostKey{kex.NewHostKey(hk, false)}})
			if err != nil {
				wg.Wait()
				t.Fatalf("handshake: %v\n%s", err, out)
			}
			r, err := userauth.Serve(ctx, s, scfg(tc.chains), userauth.ConnInfo{RemoteAddr: nc.RemoteAddr()})
			wg.Wait()
			s.Close()
			if err != nil || pyErr != nil {
				t.Fatalf("Serve: %v; paramiko: %v\n%s", err, pyErr, out)
			}
			if !slices.Equal(r.Methods, tc.methods) {
				t.Errorf("methods %v, want %v\n%s", r.Methods, tc.methods, out)
			}
			if tc.chains != nil && !bytes.Contains(out, []byte("partial ['password']")) {
				t.Errorf("paramiko did not see partial success:\n%s", out)
			}
		})
	}
}

// uaLocalUser creates a throwaway local account with a password for the
// test and removes it (by name) when the test ends. It skips unless the
// test runs as root with useradd available.
func uaLocalUser(t *testing.T, password string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a local account needs root")
	}
	for _, bin := range []string{"/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/chpasswd"} {
		if _, err := os.Stat(bin); err != nil {
			sshdtest.MissingPeer(t, "%s missing", bin)
		}
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	name := "ssua" + hex.EncodeToString(rnd[:])
	if out, err := exec.Command("/usr/sbin/useradd", "-M", "-N", "-s", "/bin/sh", "-c", "sshstack userauth test", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("/usr/sbin/userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	cmd := exec.Command("/usr/sbin/chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	return name
}

// TestUserauthClientPasswordAgainstSSHD runs our password and
// keyboard-interactive sources against sshd for a throwaway local
// account: password checked by sshd itself (UsePAM no), keyboard-
// interactive through PAM (pam_unix's "Password:" prompt), and the chain
// publickey,password with partial success.
func TestUserauthClientPasswordAgainstSSHD(t *testing.T) {
	const password = "Corr3ct-Horse-Battery"
	name := uaLocalUser(t, password)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	key := uaKey(t, hostkey.ED25519)
	ak := hostkey.MarshalAuthorizedKey(key.PublicKey(), "")

	auth := func(t *testing.T, srv *sshdtest.Server, sources ...userauth.Method) *userauth.AuthResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := uaDial(t, ctx, srv)
		defer c.Close()
		res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: name, Sources: sources})
		if err != nil {
			t.Fatalf("%v\n%s", err, tail(srv.Log()))
		}
		return res
	}
	outcomes := func(res *userauth.AuthResult) []userauth.Outcome {
		var out []userauth.Outcome
		for _, r := range res.Results {
			out = append(out, r.Outcome)
		}
		return out
	}

	t.Run("password", func(t *testing.T) {
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
			Config: []string{"PasswordAuthentication yes", "KbdInteractiveAuthentication no", "PubkeyAuthentication no"}})
		res := auth(t, srv, userauth.NoneAuth{}, userauth.StaticPassword("wrong"), userauth.StaticPassword(password))
		want := []userauth.Outcome{userauth.Failed, userauth.Failed, userauth.Success}
		if got := outcomes(res); !slices.Equal(got, want) {
			t.Errorf("outcomes %v, want %v:\n%v", got, want, res)
		}
		if !slices.Equal(res.Results[0].Methods, []string{"password"}) {
			t.Errorf("sshd offers %v", res.Results[0].Methods)
		}
	})

	t.Run("keyboard-interactive via PAM", func(t *testing.T) {
		if _, err := os.Stat("/etc/pam.d/sshd"); err != nil {
			t.Skip("no PAM configuration for sshd")
		}
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
			Config: []string{"UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no", "PubkeyAuthentication no"}})
		var seen []userauth.Challenge
		res := auth(t, srv, &userauth.KeyboardInteractive{Respond: func(_ context.Context, ch userauth.Challenge) ([]string, error) {
			seen = append(seen, ch)
			out := make([]string, len(ch.Prompts))
			for i, p := range ch.Prompts {
				if strings.Contains(p.Text, "assword") && !p.Echo {
					out[i] = password
				}
			}
			return out, nil
		}})
		if !res.Authenticated() {
			t.Fatalf("not authenticated: %v", res)
		}
		if len(seen) == 0 || len(seen[0].Prompts) != 1 || seen[0].Prompts[0].Echo {
			t.Errorf("PAM challenges %+v", seen)
		}
	})

	t.Run("publickey,password", func(t *testing.T) {
		srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: ak,
			Config: []string{"AuthenticationMethods publickey,password", "PasswordAuthentication yes", "KbdInteractiveAuthentication no"}})
		// sshd reads authorized_keys as the user: open this test's own
		// temporary directories (root's are 0700) for reading.
		for _, p := range []string{filepath.Dir(srv.Dir), srv.Dir} {
			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(srv.Dir, "authorized_keys"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := auth(t, srv, userauth.NoneAuth{}, userauth.StaticPassword(password), userauth.InMemoryPrivateKey(key), userauth.StaticPassword(password))
		// none learns "publickey"; the first password source is skipped;
		// the key is a partial success; the password completes it.
		want := []userauth.Outcome{userauth.Failed, userauth.Skipped, userauth.Partial, userauth.Success}
		if got := outcomes(res); !slices.Equal(got, want) {
			t.Errorf("outcomes %v, want %v:\n%v", got, want, res)
		}
	})
}

// uaParamikoServer is a paramiko 2.12 ServerInterface: publickey for one
// key, password and keyboard-interactive ("open sesame"), and in mode
// "multi" publickey as AUTH_PARTIALLY_SUCCESSFUL followed by password.
// It prints "authenticated" once the client is in.
const uaParamikoServer = `
import socket, sys, time
import paramiko

listen_fd_port, hostkey_path, authorized_path, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(authorized_path) as f:
    authorized = f.read().split()[1]

class Server(paramiko.ServerInterface):
    def __init__(self):
        self.done = set()
    def get_allowed_auths(self, username):
        if mode == "multi":
            return "password" if "publickey" in self.done else "publickey"
        return "publickey,password,keyboard-interactive"
    def check_auth_none(self, username):
        return paramiko.AUTH_FAILED
    def check_auth_publickey(self, username, key):
        if username == "alice" and key.get_base64() == authorized:
            if mode == "multi":
                self.done.add("publickey")
                return paramiko.AUTH_PARTIALLY_SUCCESSFUL
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED
    def check_auth_password(self, username, password):
        if mode == "multi" and "publickey" not in self.done:
            return paramiko.AUTH_FAILED
        return paramiko.AUTH_SUCCESSFUL if password == "open sesame" else paramiko.AUTH_FAILED
    def check_auth_interactive(self, username, submethods):
        return paramiko.InteractiveQuery("paramiko", "one-time code", ("Code: ", False), ("Name: ", True))
    def check_auth_interactive_response(self, responses):
        return paramiko.AUTH_SUCCESSFUL if list(responses) == ["open sesame", "alice"] else paramiko.AUTH_FAILED

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_fd_port))
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
t = paramiko.Transport(conn)
t.add_server_key(paramiko.Ed25519Key.from_private_key_file(hostkey_path))
t.start_server(server=Server())
deadline = time.time() + 20
while time.time() < deadline and t.is_active() and not t.is_authenticated():
    time.sleep(0.02)
print("authenticated" if t.is_authenticated() else "not authenticated", t.get_username(), flush=True)
t.close()
`

// TestUserauthClientAgainstParamiko runs our client sources against a
// paramiko ServerInterface: publickey, password, keyboard-interactive
// (two prompts with echo flags), the strategy skipping a method paramiko
// does not list, and AUTH_PARTIALLY_SUCCESSFUL followed by password.
func TestUserauthClientAgainstParamiko(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		sshdtest.MissingPeer(t, "paramiko not available: %v", err)
	}
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	dir := t.TempDir()
	script := uaWrite(t, filepath.Join(dir, "server.py"), []byte(uaParamikoServer), 0o644)
	hostKeyPath := filepath.Join(dir, "host_ed25519")
	sshdtest.GenerateKey(t, "ed25519", hostKeyPath, "")
	hostPub, err := os.ReadFile(hostKeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	user := uaKey(t, hostkey.ED25519)
	authorized := uaWrite(t, filepath.Join(dir, "authorized"), hostkey.MarshalAuthorizedKey(user.PublicKey(), ""), 0o644)
	kbd := &userauth.KeyboardInteractive{Respond: func(_ context.Context, ch userauth.Challenge) ([]string, error) {
		if len(ch.Prompts) != 2 || ch.Prompts[0].Echo || !ch.Prompts[1].Echo {
			return nil, fmt.Errorf("unexpected prompts %+v", ch.Prompts)
		}
		return []string{"open sesame", "alice"}, nil
	}}
	cases := []struct {
		name    string
		mode    string
		sources []userauth.Method
		want    []userauth.Outcome
	}{
		{"publickey", "single", []userauth.Method{userauth.InMemoryPrivateKey(user)}, []userauth.Outcome{userauth.Success}},
		{"password", "single", []userauth.Method{userauth.NoneAuth{}, userauth.StaticPassword("wrong"), userauth.StaticPassword("open sesame")},
			[]userauth.Outcome{userauth.Failed, userauth.Failed, userauth.Success}},
		{"keyboard-interactive", "single", []userauth.Method{kbd}, []userauth.Outcome{userauth.Success}},
		{"partial success", "multi", []userauth.Method{userauth.NoneAuth{}, userauth.StaticPassword("open sesame"), userauth.InMemoryPrivateKey(user), userauth.StaticPassword("open sesame")},
			[]userauth.Outcome{userauth.Failed, userauth.Skipped, userauth.Partial, userauth.Success}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := startPyServer(t, py, script, hostKeyPath, authorized, tc.mode)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", ps.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{
				HostKeyAlgorithms: []string{hostkey.ED25519},
				HostKeyVerifier:   trustOnly(authorizedBlob(t, hostPub)),
			})
			if err != nil {
				t.Fatalf("handshake: %v\n%s", err, ps.Stderr())
			}
			res, err := userauth.Authenticate(ctx, c, &userauth.ClientConfig{User: "alice", Sources: tc.sources})
			// The script serves one authentication, prints how it ended
			// and exits.
			if !ps.Exited(10 * time.Second) {
				t.Errorf("paramiko server still running after the authentication")
			}
			rest := []byte(ps.Stdout())
			c.Close()
			if err != nil {
				t.Fatalf("%v\n%s", err, ps.Stderr())
			}
			var got []userauth.Outcome
			for _, r := range res.Results {
				got = append(got, r.Outcome)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("outcomes %v, want %v:\n%v", got, tc.want, res)
			}
			if !bytes.Contains(rest, []byte("authenticated alice")) || bytes.Contains(rest, []byte("not authenticated")) {
				t.Errorf("paramiko says %q", rest)
			}
		})
	}
}
