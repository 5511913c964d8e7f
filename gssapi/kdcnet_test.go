package gssapi

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// fakeKDC answers every request on a loopback port with reply(req).
func fakeKDC(t *testing.T, reply func(req []byte, c net.Conn)) *config.Config {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var hdr [4]byte
			if _, err := io.ReadFull(c, hdr[:]); err == nil {
				req := make([]byte, binary.BigEndian.Uint32(hdr[:]))
				if _, err := io.ReadFull(c, req); err == nil {
					reply(req, c)
				}
			}
			c.Close()
		}
	}()
	k, err := config.NewFromString("[libdefaults]\n default_realm = R\n[realms]\n R = {\n  kdc = " + l.Addr().String() + "\n }\n")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKDCExchange(t *testing.T) {
	ctx := t.Context()
	t.Run("KRB-ERROR", func(t *testing.T) {
		k := fakeKDC(t, func(_ []byte, c net.Conn) {
			ke := messages.NewKRBError(types.NewPrincipalName(2, "krbtgt/R"), "R", 7, "no such principal")
			b, _ := ke.Marshal()
			c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
			c.Write(b)
		})
		_, err := kdcExchange(ctx, k, "R", []byte("req"))
		var ge *Error
		if !errors.As(err, &ge) || ge.KrbCode != 7 || !errors.Is(err, ErrFailure) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("oversized reply", func(t *testing.T) {
		k := fakeKDC(t, func(_ []byte, c net.Conn) {
			c.Write([]byte{0x7f, 0xff, 0xff, 0xff})
		})
		if _, err := kdcExchange(ctx, k, "R", []byte("req")); err == nil {
			t.Error("accepted a 2 GiB length")
		}
	})
	t.Run("echo", func(t *testing.T) {
		k := fakeKDC(t, func(req []byte, c net.Conn) {
			c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(req))))
			c.Write(req)
		})
		b, err := kdcExchange(ctx, k, "R", []byte("hello"))
		if err != nil || string(b) != "hello" {
			t.Errorf("got %q, %v", b, err)
		}
	})
	t.Run("silent KDC, cancelled", func(t *testing.T) {
		block := make(chan struct{})
		k := fakeKDC(t, func(_ []byte, c net.Conn) { <-block })
		defer close(block)
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := kdcExchange(cctx, k, "R", []byte("req"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the context's error", err)
		}
	})
	t.Run("no KDC for realm", func(t *testing.T) {
		k := fakeKDC(t, func([]byte, net.Conn) {})
		if _, err := kdcExchange(ctx, k, "OTHER", nil); !errors.Is(err, ErrFailure) {
			t.Errorf("got %v", err)
		}
	})
}
