package server_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
)

// benchServers starts our server and an x/crypto/ssh server with the same
// Ed25519 host key and publickey policy, without startup limits (SECURITY.md
// L1 measures raw handshakes), and returns their addresses.
func benchServers(b *testing.B) (ours, xc string) {
	b.Helper()
	srv := &server.Server{
		HostKeys: []hostkey.Signer{hostKey}, Auth: authPolicy(), Handler: echoHandler,
		MaxStartups: server.Startups{Start: -1}, PerSourceMaxStartups: -1, Penalties: &server.Penalties{Disabled: true},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	b.Cleanup(func() { srv.Close(); <-done })

	xl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs, err := ssh.NewSignerFromSigner(hostKey.Crypto())
	if err != nil {
		b.Fatal(err)
	}
	want := xSigner(b).PublicKey().Marshal()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(m ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if m.User() == "alice" && string(k.Marshal()) == string(want) {
			return nil, nil
		}
		return nil, errors.New("denied")
	}}
	cfg.AddHostKey(hs)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := xl.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				c, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					return
				}
				go ssh.DiscardRequests(reqs)
				for nch := range chans {
					nch.Reject(ssh.Prohibited, "no channels")
				}
				c.Close()
			})
		}
	})
	b.Cleanup(func() { xl.Close(); wg.Wait() })
	return l.Addr().String(), xl.Addr().String()
}

func benchClientConfig(b *testing.B) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(xSigner(b))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
		Config: ssh.Config{KeyExchanges: []string{"curve25519-sha256"}},
	}
}

// BenchmarkHandshake measures full connections (TCP, curve25519-sha256,
// Ed25519 host key, publickey authentication, close) per second at
// concurrency 32, x/crypto/ssh's client against our server and against
// x/crypto/ssh's server in the same run (SECURITY.md L1).
func BenchmarkHandshake(b *testing.B) {
	ours, xc := benchServers(b)
	for _, tc := range []struct{ name, addr string }{{"sshstack", ours}, {"xcrypto", xc}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := benchClientConfig(b)
			b.SetParallelism(16)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c, err := ssh.Dial("tcp", tc.addr, cfg)
					if err != nil {
						b.Error(err)
						return
					}
					c.Close()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
		})
	}
}

// BenchmarkIdleConnections holds 1000 idle authenticated connections to
// each server and reports the heap and goroutines they cost. Client and
// server share the process; the client side (x/crypto/ssh) is the same
// for both servers, so the difference between the two is the servers'.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 1000
	ours, xc := benchServers(b)
	for _, tc := range []struct{ name, addr string }{{"sshstack", ours}, {"xcrypto", xc}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := benchClientConfig(b)
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				g0 := runtime.NumGoroutine()
				clients := make([]*ssh.Client, 0, n)
				for range n {
					c, err := ssh.Dial("tcp", tc.addr, cfg)
					if err != nil {
						b.Fatal(err)
					}
					clients = append(clients, c)
				}
				time.Sleep(200 * time.Millisecond)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heapB/conn")
				b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
				for _, c := range clients {
					c.Close()
				}
			}
		})
	}
}

// BenchmarkHeldPreauth measures the heap one idle unauthenticated
// connection costs (version line sent, then silence; SECURITY.md R1 asks
// for at most 32 KiB).
func BenchmarkHeldPreauth(b *testing.B) {
	const n = 100
	ours, _ := benchServers(b)
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conns := make([]net.Conn, 0, n)
		for i := range n {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 5, byte(1+i))}}
			nc, err := d.Dial("tcp", ours)
			if err != nil {
				b.Fatal(err)
			}
			nc.Write([]byte("SSH-2.0-idle\r\n"))
			conns = append(conns, nc)
		}
		time.Sleep(300 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/n, "heapB/conn")
		for _, c := range conns {
			c.Close()
		}
	}
}
