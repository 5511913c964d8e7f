package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// testAgent serves ag (x/crypto/ssh/agent's keyring, or a wrapper) on a
// unix socket until stop, which closes the listener and every
// connection and waits for their goroutines.
type testAgent struct {
	sock string
	l    net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn []net.Conn // guarded by mu
}

func startAgent(t *testing.T, sock string, ag agent.Agent) *testAgent {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	a := &testAgent{sock: sock, l: l}
	a.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			a.mu.Lock()
			a.conn = append(a.conn, c)
			a.mu.Unlock()
			a.wg.Go(func() { agent.ServeAgent(ag, c) })
		}
	})
	t.Cleanup(a.stop)
	return a
}

func (a *testAgent) stop() {
	a.l.Close()
	a.mu.Lock()
	for _, c := range a.conn {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// agentDir is a short temporary directory for agent sockets (a unix
// socket path has at most 107 bytes, and t.TempDir's can be longer).
func agentDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hka")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func keyring(t *testing.T, keys ...*hostkey.CryptoSigner) agent.Agent {
	t.Helper()
	kr := agent.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(agent.AddedKey{PrivateKey: k.Crypto()}); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// TestAgentHostKeySign signs with every algorithm of each key type
// through an in-process agent: RSA asks for rsa-sha2-256 and
// rsa-sha2-512 with the agent's flags and gets them.
func TestAgentHostKeySign(t *testing.T) {
	dir := agentDir(t)
	for _, tt := range []struct {
		name string
		typ  string
		bits int
	}{
		{"ed25519", hostkey.ED25519, 0},
		{"ecdsa", hostkey.ECDSAP256, 0},
		{"rsa", hostkey.RSA, 2048},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := genKey(t, tt.typ, tt.bits)
			a := startAgent(t, filepath.Join(dir, tt.name), keyring(t, k))
			ak := &agentHostKey{socket: a.sock, pub: k.PublicKey()}
			data := []byte("exchange hash")
			for _, alg := range hostkey.SignatureAlgorithms(k.PublicKey()) {
				sig, err := ak.SignWithAlgorithm(rand.Reader, data, alg)
				if err != nil {
					t.Fatalf("%s: %v", alg, err)
				}
				if sig.Format != alg {
					t.Errorf("%s: signature format %q", alg, sig.Format)
				}
				if err := (&hostkey.Policy{AllowSHA1: true}).Verify(k.PublicKey(), alg, data, sig); err != nil {
					t.Errorf("%s: %v", alg, err)
				}
			}
		})
	}
}

// sha1Agent signs as an agent that ignores the signature flags would:
// ssh-rsa (SHA-1) whatever was asked for.
type sha1Agent struct{ agent.ExtendedAgent }

func (a sha1Agent) SignWithFlags(key ssh.PublicKey, data []byte, _ agent.SignatureFlags) (*ssh.Signature, error) {
	return a.ExtendedAgent.Sign(key, data)
}

// TestAgentHostKeyErrors: a dead agent, an agent without the key and
// one that signs with SHA-1 when asked for SHA-2 each give an error,
// never a signature.
func TestAgentHostKeyErrors(t *testing.T) {
	dir := agentDir(t)
	k := genKey(t, hostkey.RSA, 2048)
	data := []byte("exchange hash")

	ak := &agentHostKey{socket: filepath.Join(dir, "none"), pub: k.PublicKey()}
	_, err := ak.SignWithAlgorithm(rand.Reader, data, hostkey.RSASHA512)
	var oe *net.OpError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), ak.socket) {
		t.Errorf("no agent: %v, want a *net.OpError naming the socket", err)
	}

	empty := startAgent(t, filepath.Join(dir, "empty"), keyring(t))
	ak = &agentHostKey{socket: empty.sock, pub: k.PublicKey()}
	if _, err := ak.SignWithAlgorithm(rand.Reader, data, hostkey.RSASHA512); err == nil {
		t.Error("agent without the key: signed")
	}

	kr := keyring(t, k).(agent.ExtendedAgent)
	old := startAgent(t, filepath.Join(dir, "sha1"), sha1Agent{kr})
	ak = &agentHostKey{socket: old.sock, pub: k.PublicKey()}
	if _, err := ak.SignWithAlgorithm(rand.Reader, data, hostkey.RSASHA256); !errors.Is(err, errAgentKey) {
		t.Errorf("agent signing ssh-rsa for rsa-sha2-256: %v, want errAgentKey", err)
	}
	if _, err := ak.SignWithAlgorithm(rand.Reader, data, hostkey.ECDSAP256); !errors.Is(err, hostkey.ErrAlgorithmMismatch) {
		t.Errorf("ecdsa algorithm for an rsa key: %v, want ErrAlgorithmMismatch", err)
	}
}

// TestLoadHostKeysAgent: with HostKeyAgent a HostKey naming a public
// key file, or a missing private key file with its .pub beside it, is
// used through the agent; a private key file still signs itself;
// without a reachable agent the public file is no host key.
func TestLoadHostKeysAgent(t *testing.T) {
	dir := agentDir(t)
	k := genKey(t, hostkey.ED25519, 0)
	pubFile := filepath.Join(dir, "host.pub")
	if err := os.WriteFile(pubFile, hostkey.MarshalAuthorizedKey(k.PublicKey(), "host"), 0o644); err != nil {
		t.Fatal(err)
	}
	priv := genKey(t, hostkey.ECDSAP256, 0)
	pem, err := hostkey.MarshalPrivateKey(priv.Crypto(), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	privFile := filepath.Join(dir, "host_ecdsa")
	if err := os.WriteFile(privFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, filepath.Join(dir, "agent"), keyring(t, k))

	var stderr bytes.Buffer
	keys, err := loadHostKeys([]string{pubFile, privFile, strings.TrimSuffix(pubFile, ".pub")}, 0, a.sock, &stderr)
	if err != nil || len(keys) != 3 {
		t.Fatalf("with agent: %d keys, %v\n%s", len(keys), err, stderr.String())
	}
	if ak, ok := keys[0].(*agentHostKey); !ok || !hostkey.Equal(ak.PublicKey(), k.PublicKey()) {
		t.Errorf("public HostKey: %T, want the agent key", keys[0])
	}
	if _, ok := keys[1].(*hostkey.CryptoSigner); !ok {
		t.Errorf("private HostKey: %T, want its own signer", keys[1])
	}
	if ak, ok := keys[2].(*agentHostKey); !ok || !hostkey.Equal(ak.PublicKey(), k.PublicKey()) {
		t.Errorf("missing private key with .pub: %T, want the agent key", keys[2])
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}

	// SSH_AUTH_SOCK as the value means the environment variable.
	t.Setenv("SSH_AUTH_SOCK", a.sock)
	stderr.Reset()
	if keys, err := loadHostKeys([]string{pubFile}, 0, "SSH_AUTH_SOCK", &stderr); err != nil || len(keys) != 1 {
		t.Errorf("SSH_AUTH_SOCK: %d keys, %v\n%s", len(keys), err, stderr.String())
	}

	// An agent that lacks the key: kept, with a warning.
	other := startAgent(t, filepath.Join(dir, "other"), keyring(t))
	stderr.Reset()
	if keys, err := loadHostKeys([]string{pubFile}, 0, other.sock, &stderr); err != nil || len(keys) != 1 || !strings.Contains(stderr.String(), "does not hold") {
		t.Errorf("agent without the key: %d keys, %v\n%s", len(keys), err, stderr.String())
	}

	for _, hka := range []string{"", filepath.Join(dir, "absent")} {
		stderr.Reset()
		if _, err := loadHostKeys([]string{pubFile}, 0, hka, &stderr); err == nil {
			t.Errorf("HostKeyAgent %q: a public HostKey loaded", hka)
		}
		if hka != "" && !strings.Contains(stderr.String(), "Could not connect to agent") {
			t.Errorf("HostKeyAgent %q: stderr %q", hka, stderr.String())
		}
	}
}

// TestAgentHostKeyHandshake runs handshakes with a server whose host key
// is in an in-process agent, for each host key algorithm of RSA, then
// stops the agent: the next handshake fails, the server keeps serving,
// and once the agent is back handshakes succeed again.
func TestAgentHostKeyHandshake(t *testing.T) {
	dir := agentDir(t)
	k := genKey(t, hostkey.RSA, 2048)
	sock := filepath.Join(dir, "agent")
	a := startAgent(t, sock, keyring(t, k))
	alice := servertest.NewAlice()
	addr := alice.Start(t, &server.Server{HostKeys: []hostkey.Signer{&agentHostKey{socket: sock, pub: k.PublicKey()}}})
	xpub, err := ssh.ParsePublicKey(k.PublicKey().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	dial := func(alg string) error {
		c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User:              "alice",
			Auth:              []ssh.AuthMethod{ssh.PublicKeys(alice.XSigner(t))},
			HostKeyCallback:   ssh.FixedHostKey(xpub),
			HostKeyAlgorithms: []string{alg},
		})
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, alg := range []string{hostkey.RSASHA512, hostkey.RSASHA256} {
		if err := dial(alg); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
	}
	a.stop()
	os.Remove(sock)
	if err := dial(hostkey.RSASHA512); err == nil {
		t.Fatal("handshake succeeded with the agent stopped")
	}
	startAgent(t, sock, keyring(t, k))
	if err := dial(hostkey.RSASHA512); err != nil {
		t.Fatalf("after the agent came back: %v", err)
	}
}

// BenchmarkAgentHostKeySign compares a signature through an in-process
// agent (a connection per signature) with the same key in process.
func BenchmarkAgentHostKeySign(b *testing.B) {
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		b.Fatal(err)
	}
	d, err := os.MkdirTemp("", "hka")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(d)
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: k.Crypto()}); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(d, "agent"))
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			agent.ServeAgent(kr, c)
			c.Close()
		}
	})
	defer wg.Wait()
	defer l.Close()
	data := make([]byte, 64)
	for _, s := range []struct {
		name string
		s    hostkey.AlgorithmSigner
	}{
		{"in-process", k},
		{"agent", &agentHostKey{socket: l.Addr().String(), pub: k.PublicKey()}},
	} {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.s.SignWithAlgorithm(rand.Reader, data, hostkey.ED25519); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
