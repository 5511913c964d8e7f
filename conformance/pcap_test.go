package conformance_test

// A loopback TCP proxy that records both directions of each connection
// it relays and writes them as a pcap file (libpcap format, link type
// Ethernet) with synthesized Ethernet, IPv4 and TCP headers: a three-way
// handshake, each run of reads in one direction as one segment with the
// right sequence and acknowledgement numbers, and FINs at the end. tshark reassembles the
// stream from it as it would from dumpcap on lo, without root,
// capabilities or an interface.

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// pcapProxy relays connections from its listener to target.
type pcapProxy struct {
	l      net.Listener
	target string
	port   uint16 // the port the pcap shows the server on: the proxy's

	mu    sync.Mutex
	flows []*pcapFlow
	wg    sync.WaitGroup
}

// pcapFlow is one relayed connection.
type pcapFlow struct {
	clientPort uint16
	mu         sync.Mutex
	segs       []pcapSeg
}

type pcapSeg struct {
	at       time.Time
	toServer bool
	data     []byte
	fin      bool
}

// maxSegment keeps a merged segment within an IPv4 packet.
const maxSegment = 60000

// add records data read in one direction. A read that follows one of the
// same direction joins its segment (up to maxSegment): a loaded machine
// splits the sender's writes into reads at arbitrary points, and tshark
// cannot decrypt an SSH packet cut across segments.
func (f *pcapFlow) add(toServer bool, data []byte, fin bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.segs); n > 0 && !fin {
		last := &f.segs[n-1]
		if last.toServer == toServer && !last.fin && len(last.data)+len(data) <= maxSegment {
			last.data = append(last.data, data...)
			return
		}
	}
	f.segs = append(f.segs, pcapSeg{time.Now(), toServer, bytes.Clone(data), fin})
}

// startPcapProxy listens on a free loopback port and relays to target
// until the test ends.
func startPcapProxy(t *testing.T, target string) *pcapProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pcapProxy{l: l, target: target, port: uint16(l.Addr().(*net.TCPAddr).Port)}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		l.Close()
		p.wg.Wait()
	})
	return p
}

func (p *pcapProxy) addr() string { return p.l.Addr().String() }

// done reports whether every connection so far has ended both ways.
func (p *pcapProxy) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.flows {
		f.mu.Lock()
		fins := 0
		for _, s := range f.segs {
			if s.fin {
				fins++
			}
		}
		f.mu.Unlock()
		if fins < 2 {
			return false
		}
	}
	return len(p.flows) > 0
}

func (p *pcapProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.relay(c)
		}()
	}
}

func (p *pcapProxy) relay(c net.Conn) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	s, err := d.DialContext(ctx, "tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	f := &pcapFlow{clientPort: uint16(c.RemoteAddr().(*net.TCPAddr).Port)}
	p.mu.Lock()
	p.flows = append(p.flows, f)
	p.mu.Unlock()
	var wg sync.WaitGroup
	pump := func(dst, src net.Conn, toServer bool) {
		defer wg.Done()
		buf := make([]byte, 256<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				f.add(toServer, buf[:n], false)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		f.add(toServer, nil, true)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	wg.Add(2)
	go pump(s, c, true)
	go pump(c, s, false)
	wg.Wait()
}

// writePcap writes every flow recorded so far to path.
func (p *pcapProxy) writePcap(t *testing.T, path string) {
	t.Helper()
	var b bytes.Buffer
	// Global header: magic, version 2.4, zone 0, sigfigs 0, snaplen, LINKTYPE_ETHERNET.
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	p.mu.Lock()
	flows := p.flows
	p.mu.Unlock()
	for _, f := range flows {
		f.mu.Lock()
		writeFlow(&b, f, p.port)
		f.mu.Unlock()
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	pcapClientIP = net.IPv4(10, 0, 0, 1).To4()
	pcapServerIP = net.IPv4(10, 0, 0, 2).To4()
)

const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10
)

func writeFlow(w io.Writer, f *pcapFlow, serverPort uint16) {
	const cISN, sISN = 1000, 5000000
	seq := [2]uint32{cISN, sISN} // next sequence number: [0] client, [1] server
	start := time.Now()
	if len(f.segs) > 0 {
		start = f.segs[0].at.Add(-time.Millisecond)
	}
	emit := func(at time.Time, toServer bool, flags byte, data []byte) {
		from, to := 0, 1
		if !toServer {
			from, to = 1, 0
		}
		var ack uint32
		if flags&tcpACK != 0 {
			ack = seq[to]
		}
		writePacket(w, at, toServer, f.clientPort, serverPort, seq[from], ack, flags, data)
		seq[from] += uint32(len(data))
		if flags&(tcpSYN|tcpFIN) != 0 {
			seq[from]++
		}
	}
	emit(start, true, tcpSYN, nil)
	emit(start, false, tcpSYN|tcpACK, nil)
	emit(start, true, tcpACK, nil)
	for _, s := range f.segs {
		if s.fin {
			emit(s.at, s.toServer, tcpFIN|tcpACK, nil)
			continue
		}
		// Segments of at most 65495 bytes, the most an IPv4 packet
		// carries and what dumpcap sees on lo (MTU 65536).
		for d := s.data; len(d) > 0; {
			n := min(len(d), 65535-40)
			emit(s.at, s.toServer, tcpPSH|tcpACK, d[:n])
			d = d[n:]
		}
	}
}

// writePacket writes one pcap record: Ethernet, IPv4 (no options, DF,
// checksum computed), TCP (no options, checksum left zero: tshark does
// not verify it by default) and the payload.
func writePacket(w io.Writer, at time.Time, toServer bool, cport, sport uint16, seq, ack uint32, flags byte, data []byte) {
	src, dst, sp, dp := pcapClientIP, pcapServerIP, cport, sport
	if !toServer {
		src, dst, sp, dp = pcapServerIP, pcapClientIP, sport, cport
	}
	pkt := make([]byte, 14+20+20+len(data))
	eth := pkt[:14]
	copy(eth[0:6], []byte{2, 0, 0, 0, 0, dst[3]})
	copy(eth[6:12], []byte{2, 0, 0, 0, 0, src[3]})
	binary.BigEndian.PutUint16(eth[12:], 0x0800)
	ip := pkt[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+len(data)))
	binary.BigEndian.PutUint16(ip[6:], 0x4000)
	ip[8] = 64
	ip[9] = 6
	copy(ip[12:16], src)
	copy(ip[16:20], dst)
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
	tcp := pkt[34:54]
	binary.BigEndian.PutUint16(tcp[0:], sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	copy(pkt[54:], data)

	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[0:], uint32(at.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(at.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
	w.Write(rec)
	w.Write(pkt)
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
