package keyagent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
)

// FuzzReadFrame: any byte stream splits into frames no larger than
// MaxMessage, each as long as its prefix says, or stops at an error.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 11})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add(append(frame([]byte{11}), frame([]byte{19})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		var buf []byte
		for {
			fr, err := readFrame(r, buf)
			if err != nil {
				if len(fr) != 0 {
					t.Fatalf("error %v with a %d-byte frame", err, len(fr))
				}
				return
			}
			n := binary.BigEndian.Uint32(fr)
			if n == 0 || n > MaxMessage || int(n)+4 != len(fr) {
				t.Fatalf("frame of %d bytes with prefix %d", len(fr), n)
			}
			buf = fr
		}
	})
}

// FuzzSessionBind: what parses re-encodes to the same bytes.
func FuzzSessionBind(f *testing.F) {
	host, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	sid := []byte("0123456789abcdef0123456789abcdef")
	sig, _ := host.Sign(rand.Reader, sid)
	f.Add((&SessionBind{HostKey: host.PublicKey().Marshal(), SessionID: sid, Signature: sig.Marshal(), Forwarding: true}).Append(nil))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseSessionBind(b)
		if err != nil {
			return
		}
		m.Verify() // must not panic
		m2, err := ParseSessionBind(m.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		if m.Forwarding != m2.Forwarding || !bytes.Equal(m.HostKey, m2.HostKey) ||
			!bytes.Equal(m.SessionID, m2.SessionID) || !bytes.Equal(m.Signature, m2.Signature) {
			t.Fatalf("round trip:\n%s", cmp.Diff(m, m2))
		}
	})
}

// fuzzConn is a client that sends b and discards the replies.
type fuzzConn struct{ r io.Reader }

func (c *fuzzConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *fuzzConn) Close() error                { return nil }

// FuzzServe feeds a whole client byte stream to a server holding keys:
// every request decoder behind ServeConn (x/crypto's and this package's)
// must answer or end the connection, never panic or hang.
func FuzzServe(f *testing.F) {
	tk := newKeys(f)
	host, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	sid := []byte("0123456789abcdef0123456789abcdef")
	sig, _ := host.Sign(rand.Reader, sid)
	bind := (&SessionBind{HostKey: host.PublicKey().Marshal(), SessionID: sid, Signature: sig.Marshal()}).Append(nil)
	ext := append([]byte{27}, frame([]byte(SessionBindExtension))[:]...)
	f.Add(frame([]byte{11}))
	f.Add(frame(append(ext, bind...)))
	sign := append([]byte{13}, frame(pubOf(f, tk.ed).Marshal())...)
	sign = append(sign, frame([]byte("data"))...)
	f.Add(frame(append(sign, 0, 0, 0, 4)))
	f.Add(frame(append([]byte{22}, frame([]byte("pw"))...)))
	f.Add(frame([]byte{19}))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := NewKeyring(nil)
		defer k.Close()
		k.Add(agent.AddedKey{PrivateKey: tk.ed, Comment: "ed"})
		k.Add(agent.AddedKey{PrivateKey: tk.ed, Certificate: tk.cert})
		s := &Server{Keyring: k}
		err := s.ServeConn(context.Background(), &fuzzConn{r: bytes.NewReader(b)})
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrEmptyMessage) &&
			!errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("ServeConn: %v", err)
		}
	})
}
