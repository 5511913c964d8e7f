package client_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/server/xsshtest"
)

// TestSSHRSAHostKey: a server that signs only with ssh-rsa (RSA with
// SHA-1) is refused by default, and accepted when HostKeyAlgorithms
// lists ssh-rsa (ssh -o HostKeyAlgorithms=+ssh-rsa). The client used to
// offer ssh-rsa when asked and then refuse the signature.
func TestSSHRSAHostKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerWithAlgorithms(s.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	srv := xsshtest.Start(t, xsshtest.Options{HostKey: signer})
	want := s.PublicKey().Marshal()
	dial := func(algs []string) (*client.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return client.Dial(ctx, "tcp", srv.Addr, &client.Config{User: "alice", HostKeyAlgorithms: algs,
			HostKeyCallback: func(_ string, _ net.Addr, k hostkey.PublicKey) error {
				if string(k.Marshal()) != string(want) {
					return errors.New("unexpected host key")
				}
				return nil
			}})
	}
	if c, err := dial(nil); !errors.Is(err, kex.ErrNoCommonAlgorithm) {
		if c != nil {
			c.Close()
		}
		t.Errorf("default algorithms: %v, want ErrNoCommonAlgorithm", err)
	}
	c, err := dial([]string{hostkey.RSASHA512, hostkey.RSA})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Algorithms().HostKey; got != hostkey.RSA {
		t.Errorf("host key algorithm %q", got)
	}
}
