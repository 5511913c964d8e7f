package keyagent

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestMain(m *testing.M) {
	if p := os.Getenv("KEYAGENT_TEST_DIAL"); p != "" {
		os.Exit(dialAndList(p))
	}
	goleak.VerifyTestMain(m)
}

// dialAndList is the helper process of TestPeerUID: it asks the agent at
// path for its identities and exits 0 if it got an answer, 3 if not.
func dialAndList(path string) int {
	c, err := net.Dial("unix", path)
	if err != nil {
		return 2
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := agent.NewClient(c).List(); err != nil {
		return 3
	}
	return 0
}

// pipe serves k over net.Pipe and returns a client of it; the server
// goroutine is stopped and waited for when the test ends.
func pipe(t testing.TB, k *Keyring) agent.ExtendedAgent {
	t.Helper()
	c, s := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := &Server{Keyring: k}
	wg.Go(func() { srv.ServeConn(ctx, s) })
	t.Cleanup(func() {
		c.Close()
		cancel()
		wg.Wait()
	})
	return agent.NewClient(c)
}

// rawPipe serves k over net.Pipe and returns the client end and a
// function that returns ServeConn's error once it has ended.
func rawPipe(t testing.TB, k *Keyring) (net.Conn, func() error) {
	t.Helper()
	c, s := net.Pipe()
	errc := make(chan error, 1)
	srv := &Server{Keyring: k}
	go func() { errc <- srv.ServeConn(context.Background(), s) }()
	var once sync.Once
	var err error
	wait := func() error {
		once.Do(func() {
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				err = errors.New("ServeConn did not return")
			}
		})
		return err
	}
	t.Cleanup(func() {
		c.Close()
		wait()
	})
	return c, wait
}

type testKeys struct {
	ed    ed25519.PrivateKey
	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	cert  *ssh.Certificate // of ed, signed by ca
	caKey ssh.Signer
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func newKeys(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		_, keys.ed, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		if keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		_, caPriv, _ := ed25519.GenerateKey(rand.Reader)
		keys.caKey, _ = ssh.NewSignerFromKey(caPriv)
		pub, _ := ssh.NewPublicKey(keys.ed.Public())
		keys.cert = &ssh.Certificate{Key: pub, CertType: ssh.UserCert, KeyId: "test-cert",
			ValidPrincipals: []string{"alice"}, ValidBefore: ssh.CertTimeInfinity}
		if err := keys.cert.SignCert(rand.Reader, keys.caKey); err != nil {
			panic(err)
		}
	})
	return &keys
}

func pubOf(t testing.TB, k any) ssh.PublicKey {
	t.Helper()
	var p ssh.PublicKey
	var err error
	switch k := k.(type) {
	case ed25519.PrivateKey:
		p, err = ssh.NewPublicKey(k.Public())
	case *ecdsa.PrivateKey:
		p, err = ssh.NewPublicKey(&k.PublicKey)
	case *rsa.PrivateKey:
		p, err = ssh.NewPublicKey(&k.PublicKey)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
