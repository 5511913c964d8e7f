package userauth_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
	"github.com/sshstack/sshstack/wire/wiretest"
)

// servePassword runs Serve on t, accepting alice's password "pw", and
// returns a function that waits for it and returns its error.
func servePassword(ctx context.Context, t wire.Transport, info userauth.ConnInfo) (wait func() error) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	var serr error
	var wg sync.WaitGroup
	wg.Go(func() { _, serr = userauth.Serve(ctx, t, scfg, info) })
	return func() error {
		wg.Wait()
		return serr
	}
}

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
	wait := servePassword(ctx, b, userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey, AfterSuccess: after})
	if err := a.WritePacket((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil)); err != nil {
		t.Fatal(err)
	}
	_, err := userauth.Authenticate(ctx, a, &userauth.ClientConfig{User: "alice", ServiceRequested: true,
		Sources: []userauth.Method{countingPassword("pw", new(int))}})
	if serr := wait(); err != nil || serr != nil {
		t.Fatalf("client: %v; server: %v", err, serr)
	}
	p, err := a.ReadPacket()
	if err != nil || !bytes.Equal(p, after) {
		t.Fatalf("after USERAUTH_SUCCESS came %x, %v; want %x", p, err, after)
	}
}

// batchRecorder is a transport that, like kex.Transport, has consumed the
// server's EXT_INFO (PeerExtensions) and batches writes; it records the
// message numbers of each network write it is asked for.
type batchRecorder struct {
	*wiretest.Transport
	ext    []wire.Extension
	mu     sync.Mutex
	writes [][]wire.MsgNum
}

func (b *batchRecorder) PeerExtensions() []wire.Extension { return b.ext }

func (b *batchRecorder) record(ps ...[]byte) {
	var nums []wire.MsgNum
	for _, p := range ps {
		nums = append(nums, wire.MsgNum(p[0]))
	}
	b.mu.Lock()
	b.writes = append(b.writes, nums)
	b.mu.Unlock()
}

func (b *batchRecorder) WritePacket(p []byte) error {
	b.record(p)
	return b.Transport.WritePacket(p)
}

func (b *batchRecorder) WritePacketSplit(head, data []byte) error {
	return b.WritePacketsSplit([][]byte{head}, [][]byte{data})
}

func (b *batchRecorder) WritePacketsSplit(heads, datas [][]byte) error {
	var ps [][]byte
	for i := range heads {
		ps = append(ps, append(append([]byte(nil), heads[i]...), datas[i]...))
	}
	b.record(ps...)
	for _, p := range ps {
		if err := b.Transport.WritePacket(p); err != nil {
			return err
		}
	}
	return nil
}

// TestServiceRequestWithFirstRequest: once the server's EXT_INFO is in
// hand, the client's SERVICE_REQUEST leaves in one write with its first
// USERAUTH_REQUEST, and the SERVICE_ACCEPT is read before the answer;
// without it the client waits for SERVICE_ACCEPT as before.
func TestServiceRequestWithFirstRequest(t *testing.T) {
	ext := []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: wire.NameListValue([]string{"ssh-ed25519"})}}
	for _, tc := range []struct {
		name  string
		ext   []wire.Extension
		first []wire.MsgNum
	}{
		{"EXT_INFO in hand", ext, []wire.MsgNum{wire.MsgServiceRequest, wire.MsgUserauthRequest}},
		{"no EXT_INFO yet", nil, []wire.MsgNum{wire.MsgServiceRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := wirePipe()
			defer a.Close()
			defer b.Close()
			rec := &batchRecorder{Transport: a, ext: tc.ext}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			wait := servePassword(ctx, b, userauth.ConnInfo{RemoteAddr: testRemote, HostKey: testHostKey})
			res, err := userauth.Authenticate(ctx, rec, &userauth.ClientConfig{User: "alice",
				Sources: []userauth.Method{countingPassword("pw", new(int))}})
			if serr := wait(); err != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", err, serr)
			}
			if len(res.Results) != 1 || res.Results[0].Outcome != userauth.Success {
				t.Fatalf("results %+v", res.Results)
			}
			if len(rec.writes) == 0 || !slices.Equal(rec.writes[0], tc.first) {
				t.Fatalf("writes %v, want the first to be %v", rec.writes, tc.first)
			}
		})
	}
}

// TestHeldServiceRequestRefused: a server that answers the pipelined
// SERVICE_REQUEST with DISCONNECT fails the service request, not the
// source whose request went with it; and a client whose sources never
// reach the server still sends the SERVICE_REQUEST and hears the answer.
func TestHeldServiceRequestRefused(t *testing.T) {
	ext := []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: wire.NameListValue([]string{"ssh-ed25519"})}}
	for _, tc := range []struct {
		name    string
		sources []userauth.Method
		want    []wire.MsgNum // what the server reads before it refuses
	}{
		{"with the first request", []userauth.Method{countingPassword("pw", new(int))},
			[]wire.MsgNum{wire.MsgServiceRequest, wire.MsgUserauthRequest}},
		{"no source", nil, []wire.MsgNum{wire.MsgServiceRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := wirePipe()
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var got []wire.MsgNum
			var wg sync.WaitGroup
			wg.Go(func() {
				for range tc.want {
					p, err := b.ReadPacket()
					if err != nil {
						return
					}
					got = append(got, wire.MsgNum(p[0]))
				}
				b.WritePacket((&wire.Disconnect{Reason: wire.ServiceNotAvailable, Description: "no"}).Append(nil))
			})
			res, err := userauth.Authenticate(ctx, &batchRecorder{Transport: a, ext: ext},
				&userauth.ClientConfig{User: "alice", Sources: tc.sources})
			wg.Wait()
			var d *wire.DisconnectError
			if !errors.As(err, &d) || d.Reason != wire.ServiceNotAvailable || !d.Remote {
				t.Fatalf("Authenticate: %v, want the server's DISCONNECT", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("server read %v, want %v", got, tc.want)
			}
			if n := len(res.Results); n == 0 || res.Results[n-1].Source.Name() != "service-request" {
				t.Fatalf("results %+v: the last should be the service request", res.Results)
			}
		})
	}
}
