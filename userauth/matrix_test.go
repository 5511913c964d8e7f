package userauth_test

// Tests that prove requirements of the RFC requirement matrix
// (docs/rfc-matrix.md) the other userauth tests left open: pipelined
// requests, what follows USERAUTH_SUCCESS, and the RFC 4256 response
// rules.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// TestPipelinedRequestsInOrder: four password requests sent without
// waiting are answered one by one, in order: FAILURE, FAILURE, SUCCESS;
// the fourth, sent after the one that succeeded, gets no second SUCCESS.
//
// Requirement: 4252-5.1-in-order, 4252-5.1-success-once
func TestPipelinedRequestsInOrder(t *testing.T) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	rc := startServer(t, scfg)
	rc.ServiceOK()
	for _, pw := range []string{"one", "two", "pw", "pw"} {
		rc.Send(passwordReq("alice", pw))
	}
	for i, want := range []wire.MsgNum{wire.MsgUserauthFailure, wire.MsgUserauthFailure, wire.MsgUserauthSuccess} {
		p := rc.Recv()
		if p == nil || wire.MsgNum(p[0]) != want {
			t.Fatalf("answer %d: %x, want %v", i, p, want)
		}
	}
	if p := rc.Recv(); p != nil {
		t.Fatalf("after SUCCESS: %x", p)
	}
	res, err := rc.Wait()
	if err != nil || res.User != "alice" || calls != 3 {
		t.Fatalf("Serve: %+v, %v; %d password checks", res, err, calls)
	}
}

// TestMessagesAfterSuccessReachService: a client that sends channel
// messages right behind its password request, before the answer, finds
// them delivered to the layer above once Serve returns, in order.
//
// Requirement: 4252-5.1-pass-to-service
func TestMessagesAfterSuccessReachService(t *testing.T) {
	var calls int
	scfg := fastServer()
	scfg.PasswordCallback = passwordCallback("pw", &calls)
	cli, srv := wirePipe()
	defer cli.Close()
	defer srv.Close()
	type out struct {
		res *userauth.Result
		err error
	}
	done := make(chan out, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		res, err := userauth.Serve(ctx, srv, scfg, userauth.ConnInfo{})
		done <- out{res, err}
	}()
	open := (&wire.ChannelOpen{Type: wire.ChannelTypeSession, Sender: 7, InitialWindow: 1 << 20, MaxPacket: 1 << 15}).Append(nil)
	global := (&wire.GlobalRequest{Name: wire.GlobalKeepalive, WantReply: true}).Append(nil)
	for _, p := range [][]byte{
		(&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil),
		passwordReq("alice", "pw").Append(nil), open, global,
	} {
		if err := cli.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []wire.MsgNum{wire.MsgServiceAccept, wire.MsgUserauthSuccess} {
		p, err := cli.ReadPacket()
		if err != nil || wire.MsgNum(p[0]) != want {
			t.Fatalf("got %x, %v; want %v", p, err, want)
		}
	}
	o := <-done
	if o.err != nil || o.res.User != "alice" {
		t.Fatalf("Serve: %+v, %v", o.res, o.err)
	}
	for _, want := range [][]byte{open, global} {
		p, err := srv.ReadPacket()
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("service got %x, %v; want %x", p, err, want)
		}
	}
}

// TestKeyboardInteractiveOrder: two prompts get their answers in prompt
// order.
//
// Requirement: 4256-3.4-order, 4256-3.4-respond
func TestKeyboardInteractiveOrder(t *testing.T) {
	scfg := fastServer()
	scfg.KeyboardInteractiveCallback = func(ctx context.Context, _ userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		a, err := ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "first: ", Echo: true}, {Text: "second: "}}})
		if err != nil {
			return nil, err
		}
		if !slices.Equal(a, []string{"answer to first: ", "answer to second: "}) {
			return nil, errors.New("answers out of order")
		}
		return nil, nil
	}
	src := &userauth.KeyboardInteractive{Respond: func(_ context.Context, ch userauth.Challenge) ([]string, error) {
		var out []string
		for _, p := range ch.Prompts {
			out = append(out, "answer to "+p.Text)
		}
		return out, nil
	}}
	o := run(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{src}}, scfg)
	if o.cerr != nil || o.serr != nil {
		t.Fatalf("client %v, server %v", o.cerr, o.serr)
	}
}

// TestKeyboardInteractiveCountMismatch: an INFO_RESPONSE with more or
// fewer responses than the INFO_REQUEST had prompts is a FAILURE, and the
// callback never sees it.
//
// Requirement: 4256-3.4-count-mismatch
func TestKeyboardInteractiveCountMismatch(t *testing.T) {
	for _, responses := range [][]string{nil, {"a", "b"}} {
		var got []string
		scfg := fastServer()
		scfg.KeyboardInteractiveCallback = func(ctx context.Context, _ userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
			a, err := ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "Code: "}}})
			got = a
			if err != nil {
				return nil, err
			}
			return nil, nil
		}
		rc := startServer(t, scfg)
		rc.ServiceOK()
		rc.Send(&wire.UserauthRequest{User: "alice", Service: wire.ServiceConnection, Method: wire.MethodKeyboardInteractive})
		if _, err := wire.ParseUserauthInfoRequest(rc.Recv()); err != nil {
			t.Fatal(err)
		}
		rc.Send(&wire.UserauthInfoResponse{Responses: responses})
		if p := rc.Recv(); p == nil || wire.MsgNum(p[0]) != wire.MsgUserauthFailure {
			t.Fatalf("%d responses to 1 prompt: got %x, want FAILURE", len(responses), p)
		}
		rc.Finish()
		if got != nil {
			t.Errorf("callback saw %q", got)
		}
	}
}

// recorder logs the message numbers one end of a transport writes ("W")
// and reads ("R"), in the order its one user does them.
type recorder struct {
	wire.Transport
	mu  sync.Mutex
	log []string
}

func (r *recorder) note(dir string, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("%s%d", dir, p[0]))
}

func (r *recorder) ReadPacket() ([]byte, error) {
	p, err := r.Transport.ReadPacket()
	if err == nil && len(p) > 0 {
		r.note("R", p)
	}
	return p, err
}

func (r *recorder) WritePacket(p []byte) error {
	if len(p) > 0 {
		r.note("W", p)
	}
	return r.Transport.WritePacket(p)
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// runRecorded runs client and server as run does, recording both ends.
func runRecorded(t *testing.T, ccfg *userauth.ClientConfig, scfg *userauth.ServerConfig) (c, s *recorder) {
	t.Helper()
	a, b := wirePipe()
	c, s = &recorder{Transport: a}, &recorder{Transport: b}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var serr error
	wg.Go(func() {
		if _, serr = userauth.Serve(ctx, s, scfg, userauth.ConnInfo{HostKey: testHostKey}); serr != nil {
			b.Close()
		}
	})
	_, cerr := userauth.Authenticate(ctx, c, ccfg)
	if cerr != nil {
		a.Close()
	}
	wg.Wait()
	a.Close()
	if cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	return c, s
}

// TestClientWaitsForServiceAccept: the client's first USERAUTH_REQUEST
// is written only after it has read SERVICE_ACCEPT.
//
// Requirement: 4253-10-client-wait
func TestClientWaitsForServiceAccept(t *testing.T) {
	scfg := fastServer()
	scfg.NoneCallback = func(context.Context, userauth.ConnMeta) (*userauth.Permissions, error) { return nil, nil }
	c, _ := runRecorded(t, &userauth.ClientConfig{User: "alice", Sources: []userauth.Method{userauth.NoneAuth{}}}, scfg)
	want := []string{"W5", "R6", "W50", "R52"}
	if got := c.events(); !slices.Equal(got, want) {
		t.Fatalf("client did %q, want %q", got, want)
	}
}

// TestOneInfoRequestOutstanding: a keyboard-interactive exchange of three
// rounds never has the server write an INFO_REQUEST before it has read
// the answer to the previous one.
//
// Requirement: 4256-3.2-one-outstanding
func TestOneInfoRequestOutstanding(t *testing.T) {
	scfg := fastServer()
	scfg.KeyboardInteractiveCallback = func(ctx context.Context, _ userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
		for range 3 {
			if _, err := ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "Code: "}}}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	_, s := runRecorded(t, &userauth.ClientConfig{User: "bob", Sources: []userauth.Method{&userauth.KeyboardInteractive{Respond: answer("1")}}}, scfg)
	var got []string
	for _, e := range s.events() {
		if e == "W60" || e == "R61" {
			got = append(got, e)
		}
	}
	if want := []string{"W60", "R61", "W60", "R61", "W60", "R61"}; !slices.Equal(got, want) {
		t.Fatalf("server did %q, want %q", got, want)
	}
}
