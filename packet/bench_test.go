package packet_test

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 raw primitive for comparison

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// benchPayload is one full channel packet (RFC 4254, Section 5.2 default
// maximum of x/crypto/ssh and OpenSSH).
const benchPayload = 32 << 10

// benchSuites are the suites reported next to their raw primitives.
var benchSuites = []suite{
	{cipher.AES128GCM, ""},
	{cipher.AES256GCM, ""},
	{cipher.ChaCha20Poly1305, ""},
	{cipher.AES128CTR, cipher.HMACSHA256ETM},
	{cipher.AES256CTR, cipher.HMACSHA512ETM},
	{cipher.AES128CTR, cipher.HMACSHA256},
	{cipher.None, ""},
}

// sinkConn is a net.Conn that discards writes and serves reads from a
// byte slice, like a socket with everything already in its buffer.
type sinkConn struct {
	net.Conn // nil; only the methods below are used
	in       []byte
}

func (s *sinkConn) Write(p []byte) (int, error) { return len(p), nil }
func (s *sinkConn) Read(p []byte) (int, error) {
	if len(s.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}
func (s *sinkConn) Close() error                       { return nil }
func (s *sinkConn) SetDeadline(t time.Time) error      { return nil }
func (s *sinkConn) SetWriteDeadline(t time.Time) error { return nil }

// BenchmarkWrite measures WritePacket of a 32 KiB payload: copy into the
// Conn's buffer, padding, MAC or tag, encryption, one Write.
func BenchmarkWrite(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.String(), func(b *testing.B) {
			c := packet.NewConn(&sinkConn{}, nil)
			if err := c.SetWriteKeys(mustKeys(b, s, "bench")); err != nil {
				b.Fatal(err)
			}
			p := make([]byte, benchPayload)
			p[0] = 94
			b.SetBytes(benchPayload)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.WritePacket(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteBatch measures batches of eight 32 KiB channel packets
// written corked, as kex writes channel data: "split" copies each payload
// into the packet buffer and seals it there (WritePacketSplit), "scratch"
// seals it from the caller's buffer (WritePacketScratch, decision 0039);
// with hmac-sha2-256-etm both compute the MACs two at a time (decision
// 0037).
func BenchmarkWriteBatch(b *testing.B) {
	const n, size = 8, benchPayload - 9
	head := []byte{94, 0, 0, 0, 0, 0, 0, 0x7f, 0xf7}
	for _, s := range benchSuites {
		for _, mode := range []string{"split", "scratch"} {
			b.Run(s.String()+"/"+mode, func(b *testing.B) {
				c := packet.NewConn(&sinkConn{}, nil)
				if err := c.SetWriteKeys(mustKeys(b, s, "bench")); err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, wire.ScratchRoom+n*size+wire.ScratchRoom)
				b.SetBytes(n * size)
				b.ReportAllocs()
				for b.Loop() {
					c.Cork()
					for i := range n {
						off := wire.ScratchRoom + i*size
						var err error
						if mode == "split" {
							err = c.WritePacketSplit(head, buf[off:off+size])
						} else {
							err = c.WritePacketScratch(head, buf, off, off+size)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					if err := c.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRead measures ReadPacket of 32 KiB payloads: buffered read of
// the packet (a copy, as from a socket), length check, MAC or tag check,
// decryption. A batch of packets is sealed once and replayed with the
// receive keys reset, so the sequence numbers and cipher state match.
func BenchmarkRead(b *testing.B) {
	const batch = 64
	for _, s := range benchSuites {
		b.Run(s.String(), func(b *testing.B) {
			k := mustKeys(b, s, "bench")
			k.ResetSeq = true
			feed := &sinkConn{}
			w := packet.NewConn(&captureConn{sinkConn: feed}, nil)
			if err := w.SetWriteKeys(k); err != nil {
				b.Fatal(err)
			}
			p := make([]byte, benchPayload)
			p[0] = 94
			for range batch {
				w.WritePacket(p)
			}
			stream := feed.in
			c := packet.NewConn(feed, nil)
			b.SetBytes(benchPayload)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%batch == 0 {
					feed.in = stream
					if err := c.SetReadKeys(k); err != nil {
						b.Fatal(err)
					}
				}
				i++
				if _, err := c.ReadPacket(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// captureConn appends writes to the sinkConn's input.
type captureConn struct{ *sinkConn }

func (c *captureConn) Write(p []byte) (int, error) {
	c.in = append(c.in, p...)
	return len(p), nil
}

// BenchmarkRaw measures the bare primitives on the same 32 KiB, in place,
// without framing, as the baseline for BenchmarkWrite and BenchmarkRead:
// the standard library's AES-GCM Seal and Open, x/crypto's ChaCha20 plus
// Poly1305 (two passes, as the OpenSSH construction needs), and AES-CTR
// plus HMAC.
func BenchmarkRaw(b *testing.B) {
	buf := make([]byte, benchPayload+64)
	data := buf[:benchPayload]
	nonce := make([]byte, 12)
	aad := make([]byte, 4)
	for _, size := range []int{16, 32} {
		blk, _ := aes.NewCipher(make([]byte, size))
		g, _ := stdcipher.NewGCM(blk)
		name := map[int]string{16: cipher.AES128GCM, 32: cipher.AES256GCM}[size]
		b.Run(name+"/seal", func(b *testing.B) {
			b.SetBytes(benchPayload)
			for b.Loop() {
				g.Seal(data[:0], nonce, data, aad)
			}
		})
		sealed := g.Seal(nil, nonce, data, aad)
		plain := make([]byte, 0, benchPayload)
		b.Run(name+"/open", func(b *testing.B) {
			b.SetBytes(benchPayload)
			for b.Loop() {
				if _, err := g.Open(plain, nonce, sealed, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run(cipher.ChaCha20Poly1305, func(b *testing.B) {
		key := make([]byte, 32)
		b.SetBytes(benchPayload)
		var tag [16]byte
		var pk [32]byte
		for b.Loop() {
			s, _ := chacha20.NewUnauthenticatedCipher(key, nonce)
			s.SetCounter(1)
			s.XORKeyStream(data, data)
			poly1305.Sum(&tag, data, &pk)
		}
	})
	for _, m := range []struct {
		name string
		size int
	}{{cipher.AES128CTR + "+" + cipher.HMACSHA256ETM, 16}, {cipher.AES256CTR + "+" + cipher.HMACSHA512ETM, 32}} {
		b.Run(m.name, func(b *testing.B) {
			blk, _ := aes.NewCipher(make([]byte, m.size))
			ctr := stdcipher.NewCTR(blk, make([]byte, 16))
			h := hmac.New(sha256.New, make([]byte, 32))
			if m.size == 32 {
				mm, _ := cipher.LookupMAC(cipher.HMACSHA512ETM)
				h = mm.New(make([]byte, 64))
			}
			sum := make([]byte, 0, 64)
			b.SetBytes(benchPayload)
			for b.Loop() {
				ctr.XORKeyStream(data, data)
				h.Reset()
				h.Write(data)
				sum = h.Sum(sum[:0])
			}
		})
	}
}

// rawOps returns the bare primitive work of one 32 KiB packet for s,
// sealing and opening, for BenchmarkVsRaw.
func rawOps(s suite) (seal, open func()) {
	data := make([]byte, benchPayload, benchPayload+16) // room for the tag: Seal stays in place
	out := make([]byte, 0, benchPayload+16)
	nonce, aad := make([]byte, 12), make([]byte, 4)
	switch s.cipher {
	case cipher.AES128GCM, cipher.AES256GCM:
		a, _ := cipher.LookupAlgorithm(s.cipher)
		blk, _ := aes.NewCipher(make([]byte, a.KeySize))
		g, _ := stdcipher.NewGCM(blk)
		sealed := g.Seal(nil, nonce, data, aad)
		return func() { g.Seal(data[:0], nonce, data, aad) },
			func() {
				if _, err := g.Open(out[:0], nonce, sealed, aad); err != nil {
					panic(err)
				}
			}
	case cipher.ChaCha20Poly1305:
		key := make([]byte, 32)
		var tag [16]byte
		var pk [32]byte
		f := func() {
			c, _ := chacha20.NewUnauthenticatedCipher(key, nonce)
			c.XORKeyStream(pk[:], pk[:])
			c.SetCounter(1)
			c.XORKeyStream(data, data)
			poly1305.Sum(&tag, data, &pk)
		}
		return f, f
	}
	a, _ := cipher.LookupAlgorithm(s.cipher)
	m, _ := cipher.LookupMAC(s.mac)
	st, _ := a.NewStream(make([]byte, a.KeySize), make([]byte, a.IVSize), false)
	h := m.New(make([]byte, m.KeySize))
	f := func() {
		st.CryptBlocks(data, data)
		h.Reset()
		h.Write(data)
		out = h.Sum(out[:0])
	}
	return f, f
}

// BenchmarkVsRaw alternates, in every iteration, one packet through the
// packet layer and the bare primitive on the same 32 KiB, timing each, so
// that both see the same machine load. It reports the packet layer's
// throughput (pkt-MB/s), the primitive's (raw-MB/s) and the ratio
// (%raw), for write (WritePacket vs seal) and read (ReadPacket vs open).
func BenchmarkVsRaw(b *testing.B) {
	for _, s := range benchSuites[:len(benchSuites)-1] { // not "none"
		for _, dir := range []string{"write", "read"} {
			b.Run(s.String()+"/"+dir, func(b *testing.B) {
				k := mustKeys(b, s, "bench")
				k.ResetSeq = true
				p := make([]byte, benchPayload)
				p[0] = 94
				seal, open := rawOps(s)
				var op func()
				raw := seal
				if dir == "write" {
					c := packet.NewConn(&sinkConn{}, nil)
					c.SetWriteKeys(k)
					op = func() { c.WritePacket(p) }
				} else {
					raw = open
					const batch = 64
					feed := &sinkConn{}
					w := packet.NewConn(&captureConn{sinkConn: feed}, nil)
					w.SetWriteKeys(k)
					for range batch {
						w.WritePacket(p)
					}
					stream := feed.in
					c := packet.NewConn(feed, nil)
					i := 0
					op = func() {
						if i%batch == 0 {
							feed.in = stream
							c.SetReadKeys(k)
						}
						i++
						if _, err := c.ReadPacket(); err != nil {
							b.Fatal(err)
						}
					}
				}
				var tp, tr time.Duration
				for b.Loop() {
					t0 := time.Now()
					op()
					t1 := time.Now()
					raw()
					t2 := time.Now()
					tp += t1.Sub(t0)
					tr += t2.Sub(t1)
				}
				mb := float64(b.N) * benchPayload / 1e6
				b.ReportMetric(mb/tp.Seconds(), "pkt-MB/s")
				b.ReportMetric(mb/tr.Seconds(), "raw-MB/s")
				b.ReportMetric(100*tr.Seconds()/tp.Seconds(), "%raw")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkPipe writes and reads each 32 KiB packet through a connected
// pair over packettest.Pipe, an in-memory pipe (one write and one read per
// iteration, in one goroutine).
func BenchmarkPipe(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.String(), func(b *testing.B) {
			c, srv := packettest.NewPair(b, s.cipher, s.mac)
			p := make([]byte, benchPayload)
			p[0] = 94
			b.SetBytes(benchPayload)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.WritePacket(p); err != nil {
					b.Fatal(err)
				}
				if _, err := srv.ReadPacket(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
