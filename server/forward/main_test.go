package forward_test

import (
	"context"
	"io"
	"testing"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// alice is the test identity (servertest.Alice): hostKey serves, userKey
// logs in as alice.
var (
	alice            = servertest.NewAlice()
	hostKey, userKey = alice.HostKey, alice.UserKey
)

// echoHandler answers every command with exit status 0.
func echoHandler(ctx context.Context, s *server.Session) {
	io.Copy(s, s)
	s.Exit(0)
}
