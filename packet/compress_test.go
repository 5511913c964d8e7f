package packet_test

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sshstack/sshstack/wire/wiretest"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

type zlibVectors struct {
	Source  string
	Packets []struct{ Plain, Compressed string }
}

func loadZlibVectors(t testing.TB) zlibVectors {
	b, err := os.ReadFile("testdata/zlib_partial_flush.json")
	if err != nil {
		t.Fatal(err)
	}
	var v zlibVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestInflateZlibPartialFlush decodes packets compressed by real zlib with
// Z_PARTIAL_FLUSH per packet, as OpenSSH sends them (vectors in testdata,
// their source recorded there). Z_PARTIAL_FLUSH can end a packet inside an
// empty block that the next packet completes.
func TestInflateZlibPartialFlush(t *testing.T) {
	v := loadZlibVectors(t)
	t.Log(v.Source)
	for _, split := range []bool{false, true} {
		var in [][]byte
		var want [][]byte
		for _, p := range v.Packets {
			c, _ := hex.DecodeString(p.Compressed)
			w, _ := hex.DecodeString(p.Plain)
			in = append(in, c)
			want = append(want, w)
		}
		z := packet.NewInflateForTest()
		for i := range in {
			got, err := z(in[i], 256<<10)
			if err != nil {
				t.Fatalf("split=%v packet %d: %v", split, i, err)
			}
			if !bytes.Equal(got, want[i]) {
				t.Fatalf("split=%v packet %d: got %d bytes, want %d", split, i, len(got), len(want[i]))
			}
		}
	}
}

// TestInflateArbitraryChunks feeds a Go-compressed stream cut at random
// points: every unit cut in half must carry over to the next chunk.
func TestInflateArbitraryChunks(t *testing.T) {
	var plain bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for plain.Len() < 200<<10 {
		if r.IntN(3) == 0 {
			for range 500 {
				plain.WriteByte(byte(r.Uint32()))
			}
		} else {
			plain.WriteString("the quick brown fox jumps over the lazy dog ")
		}
	}
	var comp bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&comp, 9)
	zw.Write(plain.Bytes())
	zw.Flush()
	stream := comp.Bytes()
	for trial := range 20 {
		z := packet.NewInflateForTest()
		var got []byte
		for rest := stream; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(40+trial*20))
			out, err := z(rest[:n], 1<<30)
			if err != nil && !errors.Is(err, packet.ErrCompression) {
				t.Fatal(err)
			}
			if err != nil {
				// An empty chunk output is reported as an error by
				// the packet layer only; the test helper returns it.
				t.Fatalf("trial %d: %v", trial, err)
			}
			got = append(got, out...)
			rest = rest[n:]
		}
		if !bytes.Equal(got, plain.Bytes()) {
			t.Fatalf("trial %d: %d bytes, want %d", trial, len(got), plain.Len())
		}
	}
}

// TestInflateLimit is docs/security.md#r7: a payload that inflates past the
// maximum packet size is an error.
func TestInflateLimit(t *testing.T) {
	var comp bytes.Buffer
	zw := zlib.NewWriter(&comp)
	zw.Write(make([]byte, 300<<10)) // 300 KiB of zeros: about 300 bytes
	zw.Flush()
	z := packet.NewInflateForTest()
	if _, err := z(comp.Bytes(), 256<<10); !errors.Is(err, packet.ErrCompression) {
		t.Fatalf("got %v, want ErrCompression", err)
	}
	// Stored blocks count too.
	comp.Reset()
	zw, _ = zlib.NewWriterLevel(&comp, zlib.NoCompression)
	zw.Write(make([]byte, 100<<10))
	zw.Flush()
	z = packet.NewInflateForTest()
	if _, err := z(comp.Bytes(), 64<<10); !errors.Is(err, packet.ErrCompression) {
		t.Fatalf("stored: got %v, want ErrCompression", err)
	}
}

// TestInflateCorrupt checks malformed streams are errors.
func TestInflateCorrupt(t *testing.T) {
	for name, in := range map[string][]byte{
		"bad header":       {0x78, 0x00},
		"preset dict":      {0x78, 0xbb, 0, 0, 0, 0},
		"reserved type":    {0x78, 0x9c, 0x07},
		"stored length":    {0x78, 0x9c, 0x00, 0x05, 0x00, 0x00, 0x00},
		"distance too far": farDistance(),
	} {
		z := packet.NewInflateForTest()
		if _, err := z(in, 1<<20); !errors.Is(err, packet.ErrCompression) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCompressionConn runs zlib and zlib@openssh.com through Conns: zlib
// compresses from the key change on; the delayed method only after
// EnableDelayedCompression on both sides.
func TestCompressionConn(t *testing.T) {
	for _, method := range []string{packet.CompressionZlib, packet.CompressionDelayed} {
		t.Run(method, func(t *testing.T) {
			a, b := packettest.Pipe()
			c, s := packet.NewConn(a, nil), packet.NewConn(b, nil)
			defer c.Close()
			defer s.Close()
			k := mustKeys(t, suite{cipher.AES128GCM, ""}, "compress")
			k.Compression = method
			if err := c.SetWriteKeys(k); err != nil {
				t.Fatal(err)
			}
			if err := s.SetReadKeys(k); err != nil {
				t.Fatal(err)
			}
			payload := append([]byte{94}, bytes.Repeat([]byte("compress me "), 2000)...)
			send := func() uint64 {
				before := c.WriteCounters().Bytes
				if err := c.WritePacket(payload); err != nil {
					t.Fatal(err)
				}
				got, err := s.ReadPacket()
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("got %d bytes, %v", len(got), err)
				}
				return c.WriteCounters().Bytes - before
			}
			n := send()
			if method == packet.CompressionDelayed {
				if n < uint64(len(payload)) {
					t.Fatalf("compressed before authentication: %d bytes", n)
				}
				c.EnableDelayedCompression()
				s.EnableDelayedCompression()
				n = send()
			}
			if n > uint64(len(payload))/10 {
				t.Errorf("not compressed: %d wire bytes for %d", n, len(payload))
			}
			for range 5 {
				send()
			}
			// A payload written in two pieces is joined and compressed.
			before := c.WriteCounters().Bytes
			if err := c.WritePacketSplit(payload[:9], payload[9:]); err != nil {
				t.Fatal(err)
			}
			if got, err := s.ReadPacket(); err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("split: got %d bytes, %v", len(got), err)
			}
			if n := c.WriteCounters().Bytes - before; n > uint64(len(payload))/10 {
				t.Errorf("split payload not compressed: %d wire bytes", n)
			}
			// A key change restarts both streams.
			if err := c.SetWriteKeys(k); err != nil {
				t.Fatal(err)
			}
			if err := s.SetReadKeys(k); err != nil {
				t.Fatal(err)
			}
			send()
		})
	}
}

// TestCompressionBomb sends, through a Conn, a compressed payload that
// inflates past the maximum packet size (docs/security.md#r7).
func TestCompressionBomb(t *testing.T) {
	k := mustKeys(t, suite{cipher.ChaCha20Poly1305, ""}, "bomb")
	k.Compression = packet.CompressionZlib
	var comp bytes.Buffer
	zw := zlib.NewWriter(&comp)
	zw.Write(make([]byte, packet.DefaultMaxPacketSize+1))
	zw.Flush()
	seal := newRawSealer(t, k)
	c := readerFor(t, k, seal.seal(validBody(k, comp.Bytes()), -1))
	if _, err := c.ReadPacket(); !errors.Is(err, packet.ErrCompression) {
		t.Fatalf("got %v, want ErrCompression", err)
	}
}

func FuzzInflate(f *testing.F) {
	v := loadZlibVectors(f)
	for _, p := range v.Packets[:3] {
		c, _ := hex.DecodeString(p.Compressed)
		f.Add(c, 3)
	}
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		z := packet.NewInflateForTest()
		if cut < 0 || cut > len(in) {
			cut = len(in) / 2
		}
		if _, err := z(in[:cut], 1<<20); err != nil {
			return
		}
		z(in[cut:], 1<<20)
	})
}

// farDistance returns a zlib stream whose first fixed-Huffman block starts
// with a match of distance 1 before any output exists (RFC 1951,
// Section 3.2.6 codes).
func farDistance() []byte {
	var out []byte
	var acc uint32
	var n uint
	put := func(v uint32, bits uint) { // LSB first
		acc |= v << n
		n += bits
		for n >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			n -= 8
		}
	}
	code := func(v uint32, bits uint) { // Huffman codes go MSB first
		for i := int(bits) - 1; i >= 0; i-- {
			put(v>>uint(i)&1, 1)
		}
	}
	out = append(out, 0x78, 0x9c)
	put(1, 1)  // BFINAL
	put(1, 2)  // BTYPE fixed
	code(1, 7) // symbol 257: length 3
	code(0, 5) // distance code 0: distance 1
	code(0, 7) // end of block
	put(0, 7)  // flush
	return out
}

// TestDeflateReadByZlib checks our compressed stream, packet by packet,
// with real zlib (Python's zlib module, an independent implementation; the
// test is skipped without python3): each packet must inflate completely on
// its own, as OpenSSH's uncompress_buffer requires.
func TestDeflateReadByZlib(t *testing.T) {
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		wiretest.MissingPeer(t, "python3 not installed")
	}
	a, b := packettest.Pipe()
	c := packet.NewConn(a, nil)
	defer c.Close()
	defer b.Close()
	k := mustKeys(t, suite{cipher.None, ""}, "zlib")
	k.Compression = packet.CompressionZlib
	if err := c.SetWriteKeys(k); err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString("import zlib,sys\nd=zlib.decompressobj()\n")
	for i, n := range []int{1, 100, 5000, 40000, 3} {
		p := bytes.Repeat([]byte{byte(i), 'a', 'b', byte(n)}, n)
		before := c.WriteCounters().Bytes
		if err := c.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, c.WriteCounters().Bytes-before)
		if _, err := io.ReadFull(b, raw); err != nil {
			t.Fatal(err)
		}
		pad := int(raw[4])
		comp := raw[5 : len(raw)-pad]
		fmt.Fprintf(&script, "assert d.decompress(bytes.fromhex(%q)) == bytes.fromhex(%q), %d\n",
			hex.EncodeToString(comp), hex.EncodeToString(p), i)
	}
	script.WriteString("print('ok')\n")
	cmd := exec.Command(py, "-")
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python zlib: %v\n%s", err, out)
	}
}

// TestDelayedCompressionAroundSuccess runs zlib@openssh.com the way a
// layered stack does: the server's reader is already blocked in ReadPacket
// (a layer above reads ahead) when another goroutine writes
// SSH_MSG_USERAUTH_SUCCESS, and the client answers with compressed data as
// soon as it decodes SUCCESS. Neither side calls EnableDelayedCompression:
// the Conns switch at the points OpenSSH PROTOCOL, Section 1.2 defines.
// Requirement: protocol-1.2-delayed
func TestDelayedCompressionAroundSuccess(t *testing.T) {
	a, b := packettest.Pipe()
	c, s := packet.NewConn(a, nil), packet.NewConn(b, &packet.Config{Server: true})
	defer c.Close()
	defer s.Close()
	k := mustKeys(t, suite{cipher.AES128GCM, ""}, "compress")
	k.Compression = packet.CompressionDelayed
	for _, set := range []func(packet.Keys) error{c.SetWriteKeys, c.SetReadKeys, s.SetWriteKeys, s.SetReadKeys} {
		if err := set(k); err != nil {
			t.Fatal(err)
		}
	}
	payload := append([]byte{94}, bytes.Repeat([]byte("compress me "), 2000)...)

	// The server's reader waits for the client's first packet after auth.
	type result struct {
		p   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		p, err := s.ReadPacket()
		got <- result{bytes.Clone(p), err}
	}()
	before := s.WriteCounters().Bytes
	if err := s.WritePacket([]byte{byte(wire.MsgUserauthSuccess)}); err != nil {
		t.Fatal(err)
	}
	if n := s.WriteCounters().Bytes - before; n < 16 {
		t.Fatalf("SUCCESS took %d wire bytes", n)
	}
	if p, err := c.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
		t.Fatalf("client read %v, %v; want USERAUTH_SUCCESS", p, err)
	}
	cBefore := c.WriteCounters().Bytes
	if err := c.WritePacket(payload); err != nil {
		t.Fatal(err)
	}
	if n := c.WriteCounters().Bytes - cBefore; n > uint64(len(payload))/10 {
		t.Errorf("client did not compress after SUCCESS: %d wire bytes for %d", n, len(payload))
	}
	r := <-got
	if r.err != nil || !bytes.Equal(r.p, payload) {
		t.Fatalf("server read %d bytes, %v", len(r.p), r.err)
	}
	// And the server compresses what it sends after SUCCESS.
	sBefore := s.WriteCounters().Bytes
	if err := s.WritePacket(payload); err != nil {
		t.Fatal(err)
	}
	if n := s.WriteCounters().Bytes - sBefore; n > uint64(len(payload))/10 {
		t.Errorf("server did not compress after SUCCESS: %d wire bytes for %d", n, len(payload))
	}
	if p, err := c.ReadPacket(); err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("client read %d bytes, %v", len(p), err)
	}
}
