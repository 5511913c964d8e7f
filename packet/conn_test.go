package packet_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// payloads of assorted sizes, message number first.
func payloads() [][]byte {
	var out [][]byte
	for _, n := range []int{1, 2, 15, 16, 17, 31, 100, 1000, 32768, 35000 - 100} {
		p := make([]byte, n)
		p[0] = 94 // CHANNEL_DATA
		for i := 1; i < n; i++ {
			p[i] = byte(i * 7)
		}
		out = append(out, p)
	}
	return out
}

// TestRoundTrip sends payloads of assorted sizes in both directions for
// every cipher x MAC and checks the counters and sequence numbers.
// Requirement: 4253-6.2-none, 4253-6.4-seq
func TestRoundTrip(t *testing.T) {
	for _, s := range allSuites() {
		t.Run(s.String(), func(t *testing.T) {
			c, srv := packettest.NewPair(t, s.cipher, s.mac)
			var wire uint64
			for i, p := range payloads() {
				if err := c.WritePacket(p); err != nil {
					t.Fatal(err)
				}
				got, err := srv.ReadPacket()
				if err != nil {
					t.Fatalf("payload %d: %v", i, err)
				}
				if !bytes.Equal(got, p) {
					t.Fatalf("payload %d: got %d bytes, want %d", i, len(got), len(p))
				}
				if err := srv.WritePacket(p); err != nil {
					t.Fatal(err)
				}
				if got, err := c.ReadPacket(); err != nil || !bytes.Equal(got, p) {
					t.Fatalf("reply %d: %v", i, err)
				}
				wire = c.WriteCounters().Bytes
			}
			n := uint64(len(payloads()))
			wc, rc := c.WriteCounters(), srv.ReadCounters()
			if wc != rc || wc.Packets != n || wc.KeyPackets != n || wc.Bytes != wire || wc.Bytes < 68850 {
				t.Errorf("counters: write %+v read %+v", wc, rc)
			}
			if c.WriteSeq() != uint32(n) || srv.ReadSeq() != uint32(n) {
				t.Errorf("seq: write %d read %d, want %d", c.WriteSeq(), srv.ReadSeq(), n)
			}
		})
	}
}

// TestPlaintextFraming checks the wire layout of an unprotected packet
// against RFC 4253, Section 6: length, padding length, payload, at least
// 4 bytes of padding, total a multiple of 8.
// Requirement: 4253-6-padding-min, 4253-6-align
// Requirement: 4253-6-mac-none-first
func TestPlaintextFraming(t *testing.T) {
	a, b := packettest.Pipe()
	c := packet.NewConn(a, nil)
	defer c.Close()
	defer b.Close()
	for n := 1; n <= 40; n++ {
		if err := c.WritePacket(bytes.Repeat([]byte{5}, n)); err != nil {
			t.Fatal(err)
		}
		want := 4 + 1 + n + 4
		want += (8 - want%8) % 8
		got := make([]byte, want)
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatal(err)
		}
		plen := int(got[0])<<24 | int(got[1])<<16 | int(got[2])<<8 | int(got[3])
		pad := int(got[4])
		if plen != want-4 || pad < 4 || pad >= 4+8 || 1+n+pad != plen || got[5] != 5 {
			t.Fatalf("payload %d: %x", n, got)
		}
	}
}

// TestStickyError checks that the first fatal error is returned by every
// later call, and that Close is idempotent.
func TestStickyError(t *testing.T) {
	k := mustKeys(t, suite{cipher.AES128GCM, ""}, "sticky")
	s := newRawSealer(t, k)
	pkt := s.seal(validBody(k, []byte{2, 0, 0, 0, 0}), -1)
	pkt[10] ^= 1
	c := readerFor(t, k, pkt)
	_, err := c.ReadPacket()
	if !errors.Is(err, packet.ErrMAC) {
		t.Fatalf("ReadPacket = %v, want ErrMAC", err)
	}
	if _, err2 := c.ReadPacket(); !errors.Is(err2, packet.ErrMAC) {
		t.Errorf("second ReadPacket = %v", err2)
	}
	if err2 := c.WritePacket([]byte{2}); !errors.Is(err2, packet.ErrMAC) {
		t.Errorf("WritePacket after failure = %v", err2)
	}
	if !errors.Is(c.Err(), packet.ErrMAC) {
		t.Errorf("Err = %v", c.Err())
	}
	c.Close()
	c.Close()
	if !errors.Is(c.Err(), packet.ErrMAC) {
		t.Errorf("Close replaced the error: %v", c.Err())
	}
}

// TestMACErrorDisconnect checks that a MAC failure sends DISCONNECT with
// MAC_ERROR (reason 5) under the current send keys before closing
// (docs/security.md#p5).
// Requirement: 4253-11.1-nothing-after, 4253-11.1-disconnect-send
func TestMACErrorDisconnect(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		if s.cipher == cipher.None {
			continue
		}
		t.Run(s.String(), func(t *testing.T) {
			a, b := packettest.Pipe()
			defer b.Close()
			reader := packet.NewConn(a, nil)
			defer reader.Close()
			good := mustKeys(t, s, "agreed")
			if err := reader.SetReadKeys(good); err != nil {
				t.Fatal(err)
			}
			sendKeys := mustKeys(t, s, "reply keys")
			if err := reader.SetWriteKeys(sendKeys); err != nil {
				t.Fatal(err)
			}
			pkt := newRawSealer(t, good).seal(validBody(good, []byte{94, 1, 2, 3}), -1)
			pkt[len(pkt)-1] ^= 1 // last byte of the MAC or tag
			b.Write(pkt)
			if _, err := reader.ReadPacket(); !errors.Is(err, packet.ErrMAC) {
				t.Fatalf("ReadPacket = %v, want ErrMAC", err)
			}
			peer := packet.NewConn(b, nil)
			if err := peer.SetReadKeys(sendKeys); err != nil {
				t.Fatal(err)
			}
			p, err := peer.ReadPacket()
			if err != nil {
				t.Fatalf("reading DISCONNECT: %v", err)
			}
			d, err := wire.ParseDisconnect(p)
			if err != nil || d.Reason != wire.MACError {
				t.Fatalf("got %x (%v), want DISCONNECT MAC_ERROR", p, err)
			}
			if _, err := peer.ReadPacket(); !errors.Is(err, io.EOF) {
				t.Errorf("after DISCONNECT: %v, want EOF (closed)", err)
			}
		})
	}
}

// TestLengthLimits is docs/security.md#p1: valid lengths up to the maximum are
// accepted; larger ones are rejected right after the length is read, with
// the read buffer still at its initial size (<= 64 KiB).
// Requirement: 4253-6.1-35000, 4253-6.1-length-check
// Requirement: 4253-6.1-longer
func TestLengthLimits(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "limits")
			a, _ := cipher.LookupAlgorithm(k.Cipher)
			block := max(8, a.BlockSize)
			lenInside := !a.AEAD() && (k.MAC == "" || !macETM(k.MAC))
			// Largest aligned packet_length <= limit.
			largest := func(limit int) int {
				n := limit
				for (n+b2i(lenInside)*4)%block != 0 {
					n--
				}
				return n
			}
			for _, plen := range []int{largest(35000), largest(packet.DefaultMaxPacketSize)} {
				seal := newRawSealer(t, k)
				pad := 4 + (plen-1-4)%block // any padding that leaves plen
				payload := make([]byte, plen-1-pad)
				payload[0] = 94
				c := readerFor(t, k, seal.seal(body(payload, pad), -1))
				got, err := c.ReadPacket()
				if err != nil || len(got) != len(payload) {
					t.Fatalf("packet_length %d: %d bytes, %v", plen, len(got), err)
				}
			}
			for _, plen := range []int64{packet.DefaultMaxPacketSize + 8, packet.DefaultMaxPacketSize + 16,
				100 << 20, 0xFFFFFFFF, 0, 4} {
				seal := newRawSealer(t, k)
				// Only the first 64 bytes follow the length: the reader
				// must not wait for (or allocate) the rest.
				pkt := seal.seal(validBody(k, []byte{94}), plen)
				if s.cipher == cipher.ChaCha20Poly1305 {
					pkt = chachaLength(t, k, uint32(plen))
				}
				c := readerFor(t, k, pkt)
				_, err := c.ReadPacket()
				if !errors.Is(err, packet.ErrLength) {
					t.Errorf("packet_length %d: %v, want ErrLength", plen, err)
				}
				if n := packet.ReadBufferCap(c); n > 64<<10 {
					t.Errorf("packet_length %d: read buffer grew to %d", plen, n)
				}
			}
		})
	}
}

// TestLengthLimitConfig checks the configurable maximum and its floor.
// Requirement: 4253-6.1-longer
func TestLengthLimitConfig(t *testing.T) {
	for _, tt := range []struct{ set, want int }{{0, 256 << 10}, {1000, 35000}, {1 << 20, 1 << 20}} {
		a, b := packettest.Pipe()
		c := packet.NewConn(a, &packet.Config{MaxPacketSize: tt.set})
		if got := c.MaxPacketSize(); got != tt.want {
			t.Errorf("MaxPacketSize(%d) = %d, want %d", tt.set, got, tt.want)
		}
		// Writing a payload past the maximum is refused and not fatal.
		if err := c.WritePacket(make([]byte, tt.want)); !errors.Is(err, packet.ErrPayloadSize) {
			t.Errorf("oversized write: %v", err)
		}
		if err := c.WritePacket(nil); !errors.Is(err, packet.ErrPayloadSize) {
			t.Errorf("empty write: %v", err)
		}
		if err := c.WritePacket([]byte{2}); err != nil {
			t.Errorf("write after refused write: %v", err)
		}
		c.Close()
		b.Close()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func macETM(name string) bool {
	m, _ := cipher.LookupMAC(name)
	return m.ETM
}

// chachaLength returns a chacha20-poly1305 packet start whose encrypted
// length decrypts to plen under k at sequence number 0, with 64 bytes of
// garbage after it.
func chachaLength(t *testing.T, k packet.Keys, plen uint32) []byte {
	a, _ := cipher.LookupAlgorithm(k.Cipher)
	s, _ := a.NewAEAD(k.Key, k.IV)
	// The length is a keystream XOR: encrypt 4 zero bytes to learn it.
	pkt := make([]byte, 4+16+16)
	s.Seal(0, pkt) // encrypts length 0 with K_1
	ks := s.PacketLength(0, []byte{0, 0, 0, 0})
	v := ks ^ plen
	out := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	if got := s.PacketLength(0, out); got != plen {
		t.Fatalf("crafted length %d, want %d", got, plen)
	}
	return append(out, make([]byte, 64)...)
}

// TestMisaligned is docs/security.md#p2: packet_length (+4 outside EtM and
// AEAD) not a multiple of the block size is rejected.
// Requirement: 4253-6-align, 4344-4-block-multiple
func TestMisaligned(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "align")
			a, _ := cipher.LookupAlgorithm(k.Cipher)
			block := max(8, a.BlockSize)
			lenInside := !a.AEAD() && (k.MAC == "" || !macETM(k.MAC))
			for _, extra := range []int{1, 4, block - 1} {
				good := alignedBody(bytes.Repeat([]byte{94}, 40), block, lenInside)
				bad := append(good, make([]byte, extra)...)
				bad[0] += byte(extra)
				seal := newRawSealer(t, k)
				c := readerFor(t, k, seal.seal(bad, -1))
				if _, err := c.ReadPacket(); !errors.Is(err, packet.ErrLength) {
					t.Errorf("%d extra bytes: %v, want ErrLength", extra, err)
				}
			}
			// 35001 (OpenSSH closes it too).
			seal := newRawSealer(t, k)
			c := readerFor(t, k, seal.seal(body(make([]byte, 35001-1-10), 10), -1))
			if _, err := c.ReadPacket(); !errors.Is(err, packet.ErrLength) {
				t.Errorf("35001: %v, want ErrLength", err)
			}
		})
	}
}

// TestPadding is docs/security.md#p3 and #p4: padding_length below 4 or leaving
// no payload, and AEAD or EtM packets whose authenticated plaintext is
// empty or shorter than 1+padding, are errors, never index panics. The
// packets carry valid MACs, so the padding check itself is exercised.
// Requirement: 4253-6-padding-min
func TestPadding(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "padding")
			a, _ := cipher.LookupAlgorithm(k.Cipher)
			block := max(8, a.BlockSize)
			lenInside := !a.AEAD() && (k.MAC == "" || !macETM(k.MAC))
			size := 2 * block // packet_length
			if lenInside {
				size -= 4
			}
			tests := []struct {
				name string
				body []byte
				want error
			}{
				{"padding 3", func() []byte { b := make([]byte, size); b[0] = 3; return b }(), packet.ErrPadding},
				{"padding 0", make([]byte, size), packet.ErrPadding},
				{"padding = packet_length-1", func() []byte { b := make([]byte, size); b[0] = byte(size - 1); return b }(), packet.ErrPadding},
				{"padding = packet_length", func() []byte { b := make([]byte, size); b[0] = byte(size); return b }(), packet.ErrPadding},
				{"padding 255", func() []byte { b := make([]byte, size); b[0] = 255; return b }(), packet.ErrPadding},
				{"empty plaintext", nil, packet.ErrLength},
				{"one byte", []byte{0}, packet.ErrLength},
			}
			for _, tt := range tests {
				seal := newRawSealer(t, k)
				c := readerFor(t, k, seal.seal(tt.body, -1))
				if _, err := c.ReadPacket(); !errors.Is(err, tt.want) {
					t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
				}
			}
		})
	}
}

// TestBitFlipMatrix is docs/security.md#p5 (OpenSSH regress/integrity.sh): for
// every cipher x MAC, three packets are protected; flipping one byte at any
// offset must make the read fail with ErrMAC or a length error (or a
// truncated stream, when a corrupted length claims more bytes than
// follow), and the packets before the corrupted one are delivered intact
// while the corrupted one and later ones are never delivered.
// Requirement: chacha20poly1305-mac-first
func TestBitFlipMatrix(t *testing.T) {
	for _, s := range allSuites() {
		if s.cipher == cipher.None && s.mac == "" {
			continue // no integrity to test
		}
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "bitflip")
			a, b := packettest.Pipe()
			w := packet.NewConn(a, nil)
			defer w.Close()
			if err := w.SetWriteKeys(k); err != nil {
				t.Fatal(err)
			}
			msgs := [][]byte{{94, 1}, bytes.Repeat([]byte{94, 2}, 20), bytes.Repeat([]byte{94, 3}, 33)}
			var ends []int
			for _, m := range msgs {
				if err := w.WritePacket(m); err != nil {
					t.Fatal(err)
				}
				ends = append(ends, int(w.WriteCounters().Bytes))
			}
			stream := make([]byte, ends[len(ends)-1])
			if _, err := io.ReadFull(b, stream); err != nil {
				t.Fatal(err)
			}
			for off := range stream {
				bad := bytes.Clone(stream)
				bad[off] ^= 0x5a
				r := readerFor(t, k, bad)
				for i, m := range msgs {
					got, err := r.ReadPacket()
					if off >= ends[i] {
						if err != nil || !bytes.Equal(got, m) {
							t.Fatalf("offset %d: packet %d before the flip: %v", off, i, err)
						}
						continue
					}
					if err == nil {
						t.Fatalf("offset %d: packet %d delivered despite the flip: %x", off, i, got)
					}
					if !errors.Is(err, packet.ErrMAC) && !errors.Is(err, packet.ErrLength) &&
						!errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("offset %d: unexpected error %v", off, err)
					}
					break
				}
			}
		})
	}
}

// TestSequenceWrap is docs/security.md#p7: outside the initial kex the sequence
// number wraps silently from 2^32-1 to 0 (the MAC or nonce then uses 0);
// during it, wrapping is fatal in either direction.
// Requirement: 4253-6.4-seq, chacha20poly1305-no-reuse
func TestSequenceWrap(t *testing.T) {
	for _, s := range []suite{{cipher.ChaCha20Poly1305, ""}, {cipher.AES128CTR, cipher.HMACSHA256ETM}} {
		t.Run(s.String(), func(t *testing.T) {
			c, srv := packettest.NewPair(t, s.cipher, s.mac)
			packet.SetSeqForTest(c, 0, 0xFFFFFFFF)
			packet.SetSeqForTest(srv, 0xFFFFFFFF, 0)
			for i := range 3 {
				if err := c.WritePacket([]byte{2, byte(i)}); err != nil {
					t.Fatal(err)
				}
				if _, err := srv.ReadPacket(); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
			}
			if c.WriteSeq() != 2 || srv.ReadSeq() != 2 {
				t.Errorf("after wrap: write %d read %d, want 2", c.WriteSeq(), srv.ReadSeq())
			}

			c, _ = packettest.NewPair(t, s.cipher, s.mac)
			c.SetInitialKex(true)
			packet.SetSeqForTest(c, 0, 0xFFFFFFFF)
			if err := c.WritePacket([]byte{2}); !errors.Is(err, packet.ErrSeqWrap) {
				t.Errorf("write wrap during initial kex: %v", err)
			}
			c, srv = packettest.NewPair(t, s.cipher, s.mac)
			srv.SetInitialKex(true)
			packet.SetSeqForTest(c, 0, 0xFFFFFFFF)
			packet.SetSeqForTest(srv, 0xFFFFFFFF, 0)
			if err := c.WritePacket([]byte{2}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.ReadPacket(); !errors.Is(err, packet.ErrSeqWrap) {
				t.Errorf("read wrap during initial kex: %v", err)
			}
			c.SetInitialKex(false)
		})
	}
}

// TestStrictReset checks the strict-kex reset (OpenSSH PROTOCOL 1.9,
// docs/security.md#p7): Keys.ResetSeq and ResetReadSeq/ResetWriteSeq restart
// the numbers at 0; a reader that does not reset fails the MAC.
// Requirement: protocol-1.10-reset-seq
func TestStrictReset(t *testing.T) {
	for _, s := range []suite{{cipher.ChaCha20Poly1305, ""}, {cipher.AES256CTR, cipher.HMACSHA512}} {
		t.Run(s.String(), func(t *testing.T) {
			c, srv := packettest.NewPair(t, s.cipher, s.mac)
			for range 5 {
				c.WritePacket([]byte{2})
				srv.ReadPacket()
			}
			k := mustKeys(t, s, "rekeyed")
			k.ResetSeq = true
			if err := c.WriteNewKeys(k); err != nil {
				t.Fatal(err)
			}
			if p, err := srv.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgNewKeys {
				t.Fatalf("NEWKEYS: %x %v", p, err)
			}
			if c.WriteSeq() != 0 || srv.ReadSeq() != 6 {
				t.Fatalf("seq after NEWKEYS: write %d read %d", c.WriteSeq(), srv.ReadSeq())
			}
			if err := srv.SetReadKeys(k); err != nil {
				t.Fatal(err)
			}
			if srv.ReadSeq() != 0 {
				t.Fatalf("ReadSeq after reset = %d", srv.ReadSeq())
			}
			if rc := srv.ReadCounters(); rc.KeyPackets != 0 || rc.Packets != 6 {
				t.Errorf("counters after key change: %+v", rc)
			}
			c.WritePacket([]byte{94, 9})
			if p, err := srv.ReadPacket(); err != nil || p[1] != 9 {
				t.Fatalf("after strict reset: %v", err)
			}
			c.ResetWriteSeq()
			srv.ResetReadSeq()
			c.WritePacket([]byte{94, 10})
			if _, err := srv.ReadPacket(); err != nil {
				t.Fatalf("after explicit reset: %v", err)
			}
			// Reset on one side only: the MAC (or, for chacha20, the
			// length key stream) no longer matches.
			c.ResetWriteSeq()
			c.WritePacket([]byte{94, 11})
			if _, err := srv.ReadPacket(); !errors.Is(err, packet.ErrMAC) && !errors.Is(err, packet.ErrLength) {
				t.Errorf("one-sided reset: %v, want ErrMAC or ErrLength", err)
			}
		})
	}
}

// TestBadKeys checks that unusable keys are refused without changing the
// Conn.
func TestBadKeys(t *testing.T) {
	c, srv := packettest.NewPair(t, cipher.AES128GCM, "")
	good := mustKeys(t, suite{cipher.AES128CTR, cipher.HMACSHA256}, "x")
	tests := map[string]packet.Keys{
		"unknown cipher": {Cipher: "rot13"},
		"no MAC":         {Cipher: cipher.AES128CTR, Key: good.Key, IV: good.IV},
		"unknown MAC":    {Cipher: cipher.AES128CTR, Key: good.Key, IV: good.IV, MAC: "crc32", MACKey: good.MACKey},
		"short key":      {Cipher: cipher.AES128CTR, Key: good.Key[:15], IV: good.IV, MAC: good.MAC, MACKey: good.MACKey},
		"short MAC key":  {Cipher: cipher.AES128CTR, Key: good.Key, IV: good.IV, MAC: good.MAC, MACKey: good.MACKey[:31]},
		"compression":    {Cipher: cipher.None, Compression: "lz4"},
	}
	for name, k := range tests {
		if err := c.SetWriteKeys(k); !errors.Is(err, packet.ErrAlgorithm) {
			t.Errorf("%s: SetWriteKeys = %v", name, err)
		}
		if err := c.WriteNewKeys(k); !errors.Is(err, packet.ErrAlgorithm) {
			t.Errorf("%s: WriteNewKeys = %v", name, err)
		}
		if err := srv.SetReadKeys(k); !errors.Is(err, packet.ErrAlgorithm) {
			t.Errorf("%s: SetReadKeys = %v", name, err)
		}
	}
	if err := c.WritePacket([]byte{2}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ReadPacket(); err != nil {
		t.Fatalf("Conn changed by refused keys: %v", err)
	}
}

// TestSessionID checks the Transport's SessionID bookkeeping.
func TestSessionID(t *testing.T) {
	c, _ := packettest.NewPair(t, cipher.None, "")
	if c.SessionID() != nil {
		t.Fatal("SessionID before kex")
	}
	id := []byte{1, 2, 3}
	c.SetSessionID(id)
	id[0] = 9
	if got := c.SessionID(); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("SessionID = %x", got)
	}
}

// TestTruncatedStream cuts a valid stream at every byte: the reader
// returns the complete packets, then an error, never a partial payload.
func TestTruncatedStream(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "cut")
			seal := newRawSealer(t, k)
			a, _ := cipher.LookupAlgorithm(k.Cipher)
			lenInside := !a.AEAD() && (k.MAC == "" || !macETM(k.MAC))
			pkt := seal.seal(alignedBody([]byte{94, 1, 2, 3, 4}, max(8, a.BlockSize), lenInside), -1)
			for n := range len(pkt) {
				c := readerFor(t, k, pkt[:n])
				_, err := c.ReadPacket()
				if err == nil {
					t.Fatalf("cut at %d: no error", n)
				}
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("cut at %d: %v", n, err)
				}
			}
		})
	}
}

func ExampleConn() {
	a, b := packettest.Pipe()
	client, server := packet.NewConn(a, nil), packet.NewConn(b, &packet.Config{Server: true})
	defer client.Close()
	defer server.Close()
	client.WritePacket([]byte{byte(wire.MsgIgnore), 0, 0, 0, 0})
	p, _ := server.ReadPacket()
	fmt.Println(wire.MsgNum(p[0]))
	// Output: IGNORE
}

// TestKeepPayload: after KeepPayload, the payload the last ReadPacket
// returned survives later reads, which would otherwise reuse its memory,
// with and without compression (the payload then lives in the inflate
// window).
func TestKeepPayload(t *testing.T) {
	for _, method := range []string{packet.CompressionNone, packet.CompressionZlib} {
		t.Run(method, func(t *testing.T) {
			a, b := packettest.Pipe()
			c, s := packet.NewConn(a, nil), packet.NewConn(b, nil)
			defer c.Close()
			defer s.Close()
			k := mustKeys(t, suite{cipher.AES128GCM, ""}, "keep")
			k.Compression = method
			if err := c.SetWriteKeys(k); err != nil {
				t.Fatal(err)
			}
			if err := s.SetReadKeys(k); err != nil {
				t.Fatal(err)
			}
			msg := func(i byte) []byte { return append([]byte{94}, bytes.Repeat([]byte{i}, 3000)...) }
			for i := range byte(20) {
				if err := c.WritePacket(msg(i)); err != nil {
					t.Fatal(err)
				}
			}
			var kept [][]byte
			for i := range byte(20) {
				p, err := s.ReadPacket()
				if err != nil || !bytes.Equal(p, msg(i)) {
					t.Fatalf("packet %d: %v", i, err)
				}
				s.KeepPayload()
				kept = append(kept, p)
			}
			for i, p := range kept {
				if !bytes.Equal(p, msg(byte(i))) {
					t.Errorf("kept payload %d was overwritten", i)
				}
			}
		})
	}
}

// TestBuffered: Buffered is true exactly when the next packet is whole in
// the read buffer (and ReadPacket then returns it), false when a byte of
// it is missing, and false whenever the length is encrypted in the first
// block (a stream cipher without EtM), since telling would mean
// decrypting.
func TestBuffered(t *testing.T) {
	for _, s := range oneSuitePerMode() {
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "buffered")
			a, _ := cipher.LookupAlgorithm(k.Cipher)
			lenInside := !a.AEAD() && (k.MAC == "" || !macETM(k.MAC))
			tellable := a.AEAD() || k.Cipher == cipher.None || macETM(k.MAC)
			seal := newRawSealer(t, k)
			first := seal.seal(alignedBody([]byte{94, 1}, max(8, a.BlockSize), lenInside), -1)
			second := seal.seal(alignedBody([]byte{94, 2, 3}, max(8, a.BlockSize), lenInside), -1)
			for n := 0; n <= len(second); n++ {
				c := readerFor(t, k, append(append([]byte(nil), first...), second[:n]...))
				if p, err := c.ReadPacket(); err != nil || !bytes.Equal(p, []byte{94, 1}) {
					t.Fatalf("cut at %d: first packet %x, %v", n, p, err)
				}
				want := tellable && n == len(second)
				if got := c.Buffered(); got != want {
					t.Fatalf("cut at %d of %d: Buffered() = %v, want %v", n, len(second), got, want)
				}
				if want {
					if p, err := c.ReadPacket(); err != nil || !bytes.Equal(p, []byte{94, 2, 3}) {
						t.Fatalf("second packet %x, %v", p, err)
					}
					if c.Buffered() {
						t.Fatal("Buffered() after the last packet")
					}
				}
			}
		})
	}
}
