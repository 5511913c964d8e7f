package servertest_test

import (
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

// TestAlice: a server started with Alice lets her in with the user key
// and with the password "secret", and refuses another user and a wrong
// password.
func TestAlice(t *testing.T) {
	a := servertest.NewAlice()
	addr := a.Start(t, &server.Server{})
	a.Dial(t, addr, ssh.PublicKeys(a.XSigner(t)))
	a.Dial(t, addr, ssh.Password("secret"))
	if c, err := servertest.DialAs(addr, "bob", ssh.PublicKeys(a.XSigner(t))); err == nil {
		c.Close()
		t.Fatal("bob logged in")
	}
	if c, err := servertest.DialAs(addr, "alice", ssh.Password("wrong")); err == nil {
		c.Close()
		t.Fatal("wrong password accepted")
	}
}
