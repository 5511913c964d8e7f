package x11_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/server/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// alice is the test identity (servertest.Alice): hostKey serves, userKey
// logs in as alice.
var (
	alice            = servertest.NewAlice()
	hostKey, userKey = alice.HostKey, alice.UserKey
)
