package userauth_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// TestServiceRequestedAndAfterSuccess: a client whose SERVICE_REQUEST
// went out already (with its NEWKEYS) only waits for SERVICE_ACCEPT, and
// the server's ConnInfo.AfterSuccess payload follows USERAUTH_SUCCESS
// (here over a transport without batched writes, as two packets).
func TestServiceRequestedAndAfterSuccess(t *testing.T) {
	a, b := wiretest.Pipe()
	a.SetSessionID(testSessionID)
	b.SetSessionID(testSessionID)
	defer a.Close()
	defer b.Close()
	after := (&wire.GlobalRequest{Name: wire.GlobalHostKeys}).Append(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() {
		_, serr = userauth.Serve(ctx, b, scfg, userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey, AfterSuccess: after})
	})
	if err := a.WritePacket((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil)); err != nil {
		t.Fatal(err)
	}
	_, err := userauth.Authenticate(ctx, a, &userauth.ClientConfig{User: "alice", ServiceRequested: true,
		Sources: []userauth.Method{countingPassword("pw", new(int))}})
	wg.Wait()
	if err != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", err, serr)
	}
	p, err := a.ReadPacket()
	if err != nil || !bytes.Equal(p, after) {
		t.Fatalf("after USERAUTH_SUCCESS came %x, %v; want %x", p, err, after)
	}
}
