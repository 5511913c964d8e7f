package packet_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

var etmSuite = suite{cipher.AES128CTR, cipher.HMACSHA256ETM}

// channelData returns a CHANNEL_DATA-like payload of n bytes.
func channelData(n int, fill byte) []byte {
	p := bytes.Repeat([]byte{fill}, n)
	p[0] = 94
	return p
}

// TestPairedMACWrite: packets sealed in one corked batch with
// hmac-sha2-256-etm have their MACs computed two at a time where two in a
// row have the same length, and every MAC on the wire is HMAC-SHA-256 of
// the sequence number, length and ciphertext, checked here with
// crypto/hmac: pairs, a lone packet between them, the last odd one, and
// NEWKEYS's MAC under the old key with the next batch under the new.
func TestPairedMACWrite(t *testing.T) {
	a, b := packettest.Pipe()
	c := packet.NewConn(a, nil)
	t.Cleanup(func() { c.Close(); b.Close() })
	k1, k2 := mustKeys(t, etmSuite, "first"), mustKeys(t, etmSuite, "second")
	if err := c.SetWriteKeys(k1); err != nil {
		t.Fatal(err)
	}
	sizes := []int{32768, 32768, 32768, 100, 32768, 32768, 32768, 32768, 5000}
	go func() {
		c.Cork()
		for i, n := range sizes {
			c.WritePacket(channelData(n, byte(i)))
		}
		c.WriteNewKeys(k2) // corked still: NEWKEYS is held too
		for i := range 3 {
			c.WritePacket(channelData(32768, byte(100+i)))
		}
		c.Flush()
		b.(interface{ CloseWrite() error }).CloseWrite()
		a.Close()
	}()
	raw, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	keys := []packet.Keys{k1}
	for seq := uint32(0); len(raw) > 0; seq++ {
		k := keys[len(keys)-1]
		plen := binary.BigEndian.Uint32(raw)
		pkt, mac := raw[:4+plen], raw[4+plen:4+plen+32]
		h := hmac.New(sha256.New, k.MACKey)
		h.Write(binary.BigEndian.AppendUint32(nil, seq))
		h.Write(pkt)
		if !hmac.Equal(h.Sum(nil), mac) {
			t.Fatalf("packet %d (length %d): wrong MAC", seq, plen)
		}
		raw = raw[4+plen+32:]
		if seq == uint32(len(sizes)) { // NEWKEYS
			keys = append(keys, k2)
		}
	}
	_, w := packet.PairedMACs(c)
	// 1+2, 5+6, 7+8 before NEWKEYS; 11+12 after; 3, 4, 9, NEWKEYS and
	// 13 alone.
	if w != 4 {
		t.Errorf("%d paired MAC computations, want 4", w)
	}
}

// TestPairedMACRead: a reader with a buffered run of same-length
// hmac-sha2-256-etm packets checks two MACs at a time, from a writer that
// computes each alone; a bad MAC on either packet of a pair fails the read
// of that packet (not before), and a same-length packet under new keys
// after NEWKEYS, which fails the look-ahead, reads fine once the keys are
// switched.
func TestPairedMACRead(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		a, b := packettest.Pipe()
		w, r := packet.NewConn(a, nil), packet.NewConn(b, nil)
		t.Cleanup(func() { w.Close(); r.Close() })
		packet.NoPairedMACs(w)
		k := mustKeys(t, etmSuite, "k")
		w.SetWriteKeys(k)
		r.SetReadKeys(k)
		packet.NoPairedMACs(w)
		const n = 12
		go func() {
			w.Cork()
			for i := range n {
				w.WritePacket(channelData(32768, byte(i)))
			}
			w.Flush()
		}()
		for i := range n {
			p, err := r.ReadPacket()
			if err != nil || !bytes.Equal(p, channelData(32768, byte(i))) {
				t.Fatalf("packet %d: %v", i, err)
			}
		}
		if rd, _ := packet.PairedMACs(r); rd == 0 {
			t.Error("no MACs were checked two at a time")
		}
	})
	for _, bad := range []int{0, 1} {
		t.Run("bad MAC on packet "+string(rune('0'+bad)), func(t *testing.T) {
			k := mustKeys(t, etmSuite, "k")
			s := newRawSealer(t, k)
			var in []byte
			for i := range 3 {
				pkt := s.seal(validBody(k, channelData(1000, byte(i))), -1)
				if i == bad {
					pkt[len(pkt)-1] ^= 1
				}
				in = append(in, pkt...)
			}
			r := readerFor(t, k, in)
			for i := range bad {
				if _, err := r.ReadPacket(); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
			}
			if _, err := r.ReadPacket(); !errors.Is(err, packet.ErrMAC) {
				t.Fatalf("packet %d: %v, want ErrMAC", bad, err)
			}
			if rd, _ := packet.PairedMACs(r); rd == 0 {
				t.Error("no MACs were checked two at a time")
			}
		})
	}
	t.Run("new keys", func(t *testing.T) {
		k1, k2 := mustKeys(t, etmSuite, "one"), mustKeys(t, etmSuite, "two")
		s1 := newRawSealer(t, k1)
		in := s1.seal(validBody(k1, channelData(1000, 1)), -1)
		s2 := newRawSealer(t, k2)
		s2.seq = s1.seq
		in = append(in, s2.seal(validBody(k2, channelData(1000, 2)), -1)...)
		r := readerFor(t, k1, in)
		if _, err := r.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		if err := r.SetReadKeys(k2); err != nil {
			t.Fatal(err)
		}
		if p, err := r.ReadPacket(); err != nil || !bytes.Equal(p, channelData(1000, 2)) {
			t.Fatalf("packet under the new keys: %v", err)
		}
	})
}
