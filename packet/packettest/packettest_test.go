package packettest_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet/packettest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPipe(t *testing.T) {
	a, b := packettest.Pipe()
	defer a.Close()
	// Writes never wait for the reader.
	for range 100 {
		if _, err := a.Write(bytes.Repeat([]byte{1}, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := io.ReadAll(io.LimitReader(b, 100000))
	if err != nil || len(got) != 100000 {
		t.Fatalf("read %d, %v", len(got), err)
	}
	// Read deadline.
	b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	b.SetReadDeadline(time.Time{})
	// CloseWrite: the peer drains, then EOF; the other direction works.
	a.Write([]byte("tail"))
	a.(interface{ CloseWrite() error }).CloseWrite()
	if got, err := io.ReadAll(b); err != nil || string(got) != "tail" {
		t.Fatalf("after CloseWrite: %q, %v", got, err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after CloseWrite: %v", err)
	}
	b.Write([]byte("back"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(a, buf); err != nil || string(buf) != "back" {
		t.Fatalf("reverse direction: %q, %v", buf, err)
	}
	// Close unblocks a waiting reader.
	done := make(chan error, 1)
	go func() {
		_, err := a.Read(buf)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	b.Close()
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("read after peer Close: %v", err)
	}
}

func TestNewPair(t *testing.T) {
	c, s := packettest.NewPair(t, cipher.ChaCha20Poly1305, "")
	if err := c.WritePacket([]byte{94, 1}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.ReadPacket(); err != nil || !bytes.Equal(p, []byte{94, 1}) {
		t.Fatalf("%x, %v", p, err)
	}
}

// TestSwitchNetPipe uses Switch over a synchronous net.Pipe, where the
// writer needs its own goroutine.
func TestSwitchNetPipe(t *testing.T) {
	a, b := net.Pipe()
	c, s := packettest.Switch(t, a, b, cipher.AES128CTR, cipher.HMACSHA256ETM)
	done := make(chan error, 1)
	go func() { done <- c.WritePacket([]byte{94, 2, 3}) }()
	p, err := s.ReadPacket()
	if err != nil || !bytes.Equal(p, []byte{94, 2, 3}) {
		t.Fatalf("%x, %v", p, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestKeys(t *testing.T) {
	k1, err := packettest.Keys(cipher.AES256CTR, cipher.HMACSHA512, "x")
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := packettest.Keys(cipher.AES256CTR, cipher.HMACSHA512, "x")
	if len(k1.Key) != 32 || len(k1.IV) != 16 || len(k1.MACKey) != 64 || !bytes.Equal(k1.Key, k2.Key) {
		t.Errorf("keys %+v", k1)
	}
	if _, err := packettest.Keys("rot13", "", "x"); err == nil {
		t.Error("unknown cipher accepted")
	}
}
