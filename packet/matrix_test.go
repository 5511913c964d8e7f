package packet_test

// Tests that prove requirements of the RFC requirement matrix
// (docs/rfc-matrix.md) the other packet tests left open: each direction's
// protection chosen on its own, and the wire layout of a protected packet
// checked byte by byte against RFC 4253, Sections 6.3 and 6.4 and
// OpenSSH PROTOCOL, Section 1.5.

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"io"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
)

// TestDirectionsIndependent: one Conn sends with aes128-ctr, hmac-sha2-256
// and zlib while it receives with chacha20-poly1305 and no compression,
// and its peer the reverse; data crosses both ways and only the
// compressed direction shrinks.
//
// Requirement: 4253-6.2-independent, 4253-6.3-independent, 4253-6.4-mac-independent, 4344-4-independent
func TestDirectionsIndependent(t *testing.T) {
	a, b := packettest.Pipe()
	ca, cb := packet.NewConn(a, nil), packet.NewConn(b, &packet.Config{Server: true})
	defer ca.Close()
	defer cb.Close()
	up := mustKeys(t, suite{cipher.AES128CTR, cipher.HMACSHA256}, "up")
	up.Compression = packet.CompressionZlib
	down := mustKeys(t, suite{cipher.ChaCha20Poly1305, ""}, "down")
	for _, err := range []error{ca.SetWriteKeys(up), cb.SetReadKeys(up), cb.SetWriteKeys(down), ca.SetReadKeys(down)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	payload := append([]byte{94}, bytes.Repeat([]byte("compressible "), 2000)...)
	for i := range 5 {
		if err := ca.WritePacket(payload); err != nil {
			t.Fatal(err)
		}
		if got, err := cb.ReadPacket(); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("up %d: %v", i, err)
		}
		if err := cb.WritePacket(payload); err != nil {
			t.Fatal(err)
		}
		if got, err := ca.ReadPacket(); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("down %d: %v", i, err)
		}
	}
	upBytes, downBytes := ca.WriteCounters().Bytes, cb.WriteCounters().Bytes
	if upBytes*4 > downBytes || downBytes < 5*uint64(len(payload)) {
		t.Errorf("wire bytes up %d (zlib), down %d (none): compression did not follow its direction", upBytes, downBytes)
	}
}

// TestWireLayout captures one protected packet per cipher x MAC and takes
// it apart as RFC 4253, Section 6 lays it out: with a plain MAC the whole
// packet, length included, is encrypted and aligned to the block size,
// and the MAC over sequence number and plaintext packet follows it in
// the clear; with an -etm MAC the length is in the clear and the MAC
// covers sequence number, length and ciphertext; AES-GCM leaves the
// length in the clear and chacha20-poly1305 encrypts it. The payload
// never appears on the wire.
//
// Requirement: 4253-6.3-encrypt-all, 4253-6.4-mac-last, 4253-6-align, 4344-4-encrypt-fields, 4344-4-block-multiple, protocol-1.5-etm
func TestWireLayout(t *testing.T) {
	payload := append([]byte{94}, bytes.Repeat([]byte("visible?"), 9)...)
	for _, s := range allSuites() {
		if s.cipher == cipher.None {
			continue
		}
		t.Run(s.String(), func(t *testing.T) {
			k := mustKeys(t, s, "layout")
			a, b := packettest.Pipe()
			c := packet.NewConn(a, nil)
			defer c.Close()
			defer b.Close()
			if err := c.SetWriteKeys(k); err != nil {
				t.Fatal(err)
			}
			// Two packets: the second, at sequence number 1, is the one
			// taken apart, so stream state and the sequence number both
			// carry over.
			for range 2 {
				if err := c.WritePacket(payload); err != nil {
					t.Fatal(err)
				}
			}
			alg, _ := cipher.LookupAlgorithm(s.cipher)
			block := max(8, alg.BlockSize)
			var mac *cipher.MAC
			if s.mac != "" && !alg.AEAD() {
				mac, _ = cipher.LookupMAC(s.mac)
			}
			clearLen := alg.AEAD() && s.cipher != cipher.ChaCha20Poly1305 || mac != nil && mac.ETM
			tail := alg.TagSize
			if mac != nil {
				tail = mac.Size
			}
			// The plaintext length is known: find each packet's wire size
			// from the padding rules by reading the whole stream.
			wire := readAll(t, b, c)
			if bytes.Contains(wire, payload[1:]) {
				t.Fatal("payload visible on the wire")
			}
			var plen1 uint32
			switch {
			case clearLen:
				plen1 = binary.BigEndian.Uint32(wire)
			case alg.AEAD(): // chacha20-poly1305: the length has its own key
				aead, err := alg.NewAEAD(k.Key, k.IV)
				if err != nil {
					t.Fatal(err)
				}
				plen1 = aead.PacketLength(0, wire[:4])
				if plen1 == binary.BigEndian.Uint32(wire) {
					t.Error("chacha20-poly1305 sent the length in the clear")
				}
			default:
				// Decrypt the first packet's first block to learn its length.
				plen1 = firstLength(t, k, alg, wire)
			}
			second := wire[4+int(plen1)+tail:]
			plen := uint32(len(second) - 4 - tail)
			enc := second[:4+plen]
			if clearLen != (binary.BigEndian.Uint32(second) == plen) {
				t.Fatalf("length field %d on the wire, packet_length %d, want it in the clear: %v", binary.BigEndian.Uint32(second), plen, clearLen)
			}
			// The length counts toward alignment unless it stays out of
			// the encryption (EtM) or has its own (AEAD).
			aligned := plen
			if !alg.AEAD() && !mac.ETM {
				aligned += 4
			}
			if aligned%uint32(block) != 0 {
				t.Errorf("aligned part %d not a multiple of %d", aligned, block)
			}
			switch {
			case alg.AEAD():
				aead, err := alg.NewAEAD(k.Key, k.IV)
				if err != nil {
					t.Fatal(err)
				}
				first := append([]byte(nil), wire[:4+int(plen1)+tail]...)
				if err := aead.Open(0, first); err != nil {
					t.Fatalf("first packet: %v", err)
				}
				pkt := append([]byte(nil), second...)
				if err := aead.Open(1, pkt); err != nil {
					t.Fatalf("second packet: %v", err)
				}
				checkBody(t, pkt[4:4+plen], payload)
			case mac.ETM:
				m := mac.New(k.MACKey)
				m.Write([]byte{0, 0, 0, 1})
				m.Write(enc)
				if !hmac.Equal(m.Sum(nil)[:mac.Size], second[4+plen:]) {
					t.Fatal("EtM MAC is not over seq || length || ciphertext")
				}
				st, _ := alg.NewStream(k.Key, k.IV, true)
				st.CryptBlocks(make([]byte, plen1), wire[4:4+plen1])
				body := make([]byte, plen)
				st.CryptBlocks(body, enc[4:])
				checkBody(t, body, payload)
			default:
				st, _ := alg.NewStream(k.Key, k.IV, true)
				st.CryptBlocks(make([]byte, 4+plen1), wire[:4+plen1])
				clear := make([]byte, 4+plen)
				st.CryptBlocks(clear, enc)
				if binary.BigEndian.Uint32(clear) != plen {
					t.Fatalf("decrypted length %d, want %d", binary.BigEndian.Uint32(clear), plen)
				}
				m := mac.New(k.MACKey)
				m.Write([]byte{0, 0, 0, 1})
				m.Write(clear)
				if !hmac.Equal(m.Sum(nil)[:mac.Size], second[4+plen:]) {
					t.Fatal("MAC is not over seq || plaintext packet, or not last")
				}
				checkBody(t, clear[4:], payload)
			}
		})
	}
}

// readAll closes c and returns everything it wrote to the pipe end b.
func readAll(t *testing.T, b io.Reader, c *packet.Conn) []byte {
	t.Helper()
	done := make(chan []byte)
	go func() {
		out, _ := io.ReadAll(b)
		done <- out
	}()
	c.Close()
	return <-done
}

// firstLength decrypts the first block of a non-EtM packet stream.
func firstLength(t *testing.T, k packet.Keys, alg *cipher.Algorithm, wire []byte) uint32 {
	t.Helper()
	st, err := alg.NewStream(k.Key, k.IV, true)
	if err != nil {
		t.Fatal(err)
	}
	blk := make([]byte, max(8, alg.BlockSize))
	st.CryptBlocks(blk, wire[:len(blk)])
	return binary.BigEndian.Uint32(blk)
}

// checkBody checks padding_length || payload || padding.
func checkBody(t *testing.T, body, payload []byte) {
	t.Helper()
	pad := int(body[0])
	if pad < 4 || 1+len(payload)+pad != len(body) || !bytes.Equal(body[1:1+len(payload)], payload) {
		t.Fatalf("body %x does not hold the payload with %d bytes of padding", body, pad)
	}
}
