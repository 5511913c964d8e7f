package packet_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/packet/packettest"
	"github.com/sshstack/sshstack/wire"
)

// zeroRand is padding that two Conns produce alike.
type zeroRand struct{}

func (zeroRand) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// wireOf writes the packets with write (one Conn, keys k, corked or not)
// and returns the bytes that reached the network.
func wireOf(t *testing.T, k packet.Keys, corked bool, write func(c *packet.Conn)) []byte {
	t.Helper()
	a, b := packettest.Pipe()
	c := packet.NewConn(a, &packet.Config{Rand: zeroRand{}})
	if err := c.SetWriteKeys(k); err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() {
		raw, _ := io.ReadAll(b)
		done <- raw
	}()
	if corked {
		c.Cork()
	}
	write(c)
	if corked {
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	a.(interface{ CloseWrite() error }).CloseWrite()
	raw := <-done
	c.Close()
	b.Close()
	return raw
}

// TestWritePacketScratch: packets written from a caller's buffer with
// WritePacketScratch put the same bytes on the wire as WritePacketSplit,
// corked and not, under the AEADs and the stream ciphers (sealed from the
// buffer: AES-GCM, chacha20-poly1305, aes-ctr and aes-cbc and 3des-cbc
// with EtM and plain MACs) and "none" (copied); the bytes after each
// packet's data are as before the call, and a buffer without room is
// written by copying.
func TestWritePacketScratch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 3*32768+1000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	offs := []int{0, 32768, 65536, 65536 + 100, 65536 + 100 + 32768, len(data)}
	head := []byte{94, 0, 0, 0, 7, 0, 0, 0, 0}
	for _, s := range []suite{{cipher.AES128GCM, ""}, {cipher.AES256GCM, ""}, {cipher.ChaCha20Poly1305, ""}, {cipher.AES128CTR, cipher.HMACSHA256ETM},
		{cipher.AES256CTR, cipher.HMACSHA256}, {cipher.AES128CBC, cipher.HMACSHA1}, {cipher.TripleDESCBC, cipher.HMACSHA512ETM}, {cipher.None, ""}, {cipher.None, cipher.HMACSHA256ETM}} {
		for _, corked := range []bool{false, true} {
			k := mustKeys(t, s, "scratch")
			got := wireOf(t, k, corked, func(c *packet.Conn) {
				buf := make([]byte, wire.ScratchRoom+len(data)+wire.ScratchRoom)
				copy(buf[wire.ScratchRoom:], data)
				for i := range len(offs) - 1 {
					off, end := wire.ScratchRoom+offs[i], wire.ScratchRoom+offs[i+1]
					tail := bytes.Clone(buf[end:])
					if err := c.WritePacketScratch(head, buf, off, end); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(buf[end:], tail) {
						t.Fatalf("packet %d: the bytes after the data changed", i)
					}
				}
				// No room before or after: copied.
				if err := c.WritePacketScratch(head, data, 0, 100); err != nil {
					t.Fatal(err)
				}
				if err := c.WritePacketScratch(head, data, len(data)-100, len(data)); err != nil {
					t.Fatal(err)
				}
			})
			want := wireOf(t, k, corked, func(c *packet.Conn) {
				for i := range len(offs) - 1 {
					c.WritePacketSplit(head, data[offs[i]:offs[i+1]])
				}
				c.WritePacketSplit(head, data[:100])
				c.WritePacketSplit(head, data[len(data)-100:])
			})
			if len(want) == 0 || !bytes.Equal(got, want) {
				t.Errorf("%s, corked %v: WritePacketScratch wrote %d bytes differing from WritePacketSplit's %d", s, corked, len(got), len(want))
			}
		}
	}
}
