// Package sshfptest is a fake DNS server for tests of SSHFP lookups: it
// answers SSHFP questions on 127.0.0.1 over UDP and TCP (one port
// number for both) from a table, with or without the AD bit.
package sshfptest

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/sshstack/sshstack/client/sshfp"
)

// A Zone is what the Server answers for one name.
type Zone struct {
	Records []sshfp.Record
	AD      bool             // set the AD bit (a validated answer)
	RCode   dnsmessage.RCode // an error RCODE instead of records
	CNAME   string           // answer with this CNAME first (its records come from its own Zone)
	TC      bool             // over UDP, answer truncated and empty (TCP gets the records)
	Mute    bool             // never answer (the client times out)
}

// A Server is a fake nameserver. Names not in Zones are NXDOMAIN.
type Server struct {
	Addr string // "127.0.0.1:port", for sshfp.Resolver.Servers

	mu    sync.Mutex
	zones map[string]Zone // lower-case names with the final dot; guarded by mu
	udp   net.PacketConn
	tcp   net.Listener
	wg    sync.WaitGroup
	n     int // queries seen; guarded by mu
}

// Start serves zones (keys are names, with or without the final dot)
// until the test ends.
func Start(tb testing.TB, zones map[string]Zone) *Server {
	tb.Helper()
	s := &Server{zones: map[string]Zone{}}
	for n, z := range zones {
		s.zones[canon(n)] = z
	}
	for range 20 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("sshfptest: %v", err)
		}
		t, err := net.Listen("tcp", u.LocalAddr().String())
		if err != nil {
			u.Close()
			continue
		}
		s.udp, s.tcp, s.Addr = u, t, u.LocalAddr().String()
		break
	}
	if s.udp == nil {
		tb.Fatal("sshfptest: no port free for both UDP and TCP")
	}
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
}

// Queries is how many questions the server has read.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func canon(n string) string {
	n = strings.ToLower(n)
	if !strings.HasSuffix(n, ".") {
		n += "."
	}
	return n
}

func (s *Server) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := s.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := s.answer(buf[:n], true); resp != nil {
			s.udp.WriteTo(resp, from)
		}
	}
}

func (s *Server) serveTCP() {
	defer s.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			var lb [2]byte
			if _, err := io.ReadFull(c, lb[:]); err != nil {
				return
			}
			q := make([]byte, binary.BigEndian.Uint16(lb[:]))
			if _, err := io.ReadFull(c, q); err != nil {
				return
			}
			if resp := s.answer(q, false); resp != nil {
				c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(resp))))
				c.Write(resp)
			}
		}()
	}
}

// answer builds the response to query q, or nil to stay silent.
func (s *Server) answer(q []byte, udp bool) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil
	}
	s.mu.Lock()
	s.n++
	zones := s.zones
	s.mu.Unlock()
	name := canon(qs[0].Name.String())
	z, ok := zones[name]
	if z.Mute {
		return nil
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true, AuthenticData: z.AD}
	switch {
	case !ok:
		rh.RCode = dnsmessage.RCodeNameError
	case z.RCode != 0:
		rh.RCode = z.RCode
	case z.TC && udp:
		rh.Truncated = true
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(qs[0])
	b.StartAnswers()
	if ok && rh.RCode == 0 && !rh.Truncated {
		owner := qs[0].Name
		if z.CNAME != "" {
			target := dnsmessage.MustNewName(canon(z.CNAME))
			b.CNAMEResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.CNAMEResource{CNAME: target})
			owner = target
			z = zones[canon(z.CNAME)]
		}
		for _, r := range z.Records {
			b.UnknownResource(dnsmessage.ResourceHeader{Name: owner, Type: sshfp.Type, Class: dnsmessage.ClassINET, TTL: 60},
				dnsmessage.UnknownResource{Type: sshfp.Type, Data: r.Append(nil)})
		}
	}
	resp, err := b.Finish()
	if err != nil {
		return nil
	}
	return resp
}
