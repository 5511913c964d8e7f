package sshfp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// rawServer answers each query on a UDP socket with what reply makes
// of its ID, until the test ends.
func rawServer(t *testing.T, reply func(id uint16) [][]byte) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			for _, m := range reply(h.ID) {
				pc.WriteTo(m, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// TestLookupHostile: a datagram for another ID (a blind spoofer's
// guess) is skipped and the real answer taken; a malformed answer is
// ErrMalformed, never records.
func TestLookupHostile(t *testing.T) {
	q := dnsmessage.MustNewName("h.test.")
	evil := Record{AlgEd25519, SHA256, make([]byte, 32)}
	good := Record{AlgEd25519, SHA256, append(make([]byte, 31), 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	addr := rawServer(t, func(id uint16) [][]byte {
		return [][]byte{response(t, id+1, q, true, evil), response(t, id, q, true, good)}
	})
	r := &Resolver{Servers: []string{addr}, TrustAD: true, Attempts: 1, Timeout: 2 * time.Second}
	a, err := r.Lookup(ctx, "h.test")
	if err != nil || len(a.Records) != 1 || a.Records[0].String() != good.String() || !a.Secure {
		t.Errorf("stray then answer: %+v %v", a, err)
	}

	addr = rawServer(t, func(id uint16) [][]byte {
		m := response(t, id, q, true, good)
		return [][]byte{m[:len(m)-3]}
	})
	r.Servers = []string{addr}
	if a, err := r.Lookup(ctx, "h.test"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed answer: %+v %v", a, err)
	}
}
