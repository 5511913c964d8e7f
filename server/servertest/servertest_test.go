package servertest_test

import (
	"bufio"
	"crypto/rand"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStart dials the address Start returns and reads the server's
// identification string (RFC 4253, Section 4.2); the cleanup then stops
// the server, which goleak checks.
// Requirement: 4253-4.2-send-ident, 4253-4.2-prelines-not-ssh
func TestStart(t *testing.T) {
	hk, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := servertest.Start(t, &server.Server{HostKeys: []hostkey.Signer{hk}, Auth: &userauth.ServerConfig{}})
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		t.Fatalf("identification %q, %v", line, err)
	}
}
