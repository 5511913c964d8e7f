package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// fakeKeysign answers like ssh-keysign: it checks the request's framing
// (length, version 2, fd 3 open, one string) and replies, in the same
// framing, a "signature" whose blob is the SHA-256 of the data it got.
const fakeKeysign = `#!/usr/bin/python3
import hashlib, os, struct, sys
b = sys.stdin.buffer.read()
n, = struct.unpack("!I", b[:4])
assert n == len(b) - 4 and b[4] == 2, "framing"
fd, = struct.unpack("!I", b[5:9])
os.fstat(fd)
dl, = struct.unpack("!I", b[9:13])
data = b[13:13 + dl]
assert len(data) == dl and len(b) == 13 + dl, "data"
def s(x): return struct.pack("!I", len(x)) + x
sig = s(sys.argv[1].encode() if len(sys.argv) > 1 else b"ssh-ed25519") + s(hashlib.sha256(data).digest())
body = bytes([2]) + s(sig)
sys.stdout.buffer.write(struct.pack("!I", len(body)) + body)
`

func TestKeysignSigner(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		wiretest.MissingPeer(t, "python3 missing")
	}
	path := filepath.Join(t.TempDir(), "ssh-keysign")
	if err := os.WriteFile(path, []byte(fakeKeysign), 0o755); err != nil {
		t.Fatal(err)
	}
	key, _ := hostkey.GenerateKey(nil, hostkey.ED25519, 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	data := []byte("the hostbased request to sign")
	want := sha256.Sum256(data)
	for name, conn := range map[string]net.Conn{"socket": nc, "pipe": nil} {
		t.Run(name, func(t *testing.T) {
			ks := &keysigner{ctx: context.Background(), key: key.PublicKey(), nc: conn, path: path}
			sig, err := ks.Sign(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Format != hostkey.ED25519 || string(sig.Blob) != string(want[:]) {
				t.Errorf("signature %s %x, want the fake's digest %x", sig.Format, sig.Blob, want)
			}
		})
	}
	t.Run("wrong algorithm from the helper", func(t *testing.T) {
		ks := &keysigner{ctx: context.Background(), key: key.PublicKey(), nc: nc, path: path}
		if _, err := ks.SignWithAlgorithm(nil, data, hostkey.RSASHA256); !errors.Is(err, hostkey.ErrAlgorithmMismatch) {
			t.Errorf("err = %v, want ErrAlgorithmMismatch", err)
		}
	})
	t.Run("helper fails", func(t *testing.T) {
		ks := &keysigner{ctx: context.Background(), key: key.PublicKey(), path: "/bin/false"}
		if _, err := ks.Sign(nil, data); err == nil {
			t.Error("no error from a failing helper")
		}
	})
}

func keysignReply(sig []byte) []byte {
	body := wire.AppendString([]byte{keysignVersion}, sig)
	return append(wire.AppendUint32(nil, uint32(len(body))), body...)
}

// TestParseKeysignReply cuts a valid reply at every byte and adds one.
func TestParseKeysignReply(t *testing.T) {
	sig := (&hostkey.Signature{Format: hostkey.ED25519, Blob: make([]byte, 64)}).Marshal()
	enc := keysignReply(sig)
	got, err := parseKeysignReply(enc)
	if err != nil || got.Format != hostkey.ED25519 {
		t.Fatalf("parse: %v, %v", got, err)
	}
	for i := 0; i < len(enc); i++ {
		if _, err := parseKeysignReply(enc[:i]); err == nil {
			t.Fatalf("cut at %d accepted", i)
		}
	}
	for _, bad := range [][]byte{append(enc, 0), {0xff, 0xff, 0xff, 0xff, 2}, append([]byte{0, 0, 0, 5, 1}, 0, 0, 0, 0)} {
		if _, err := parseKeysignReply(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

func FuzzParseKeysignReply(f *testing.F) {
	f.Add(keysignReply((&hostkey.Signature{Format: hostkey.ED25519, Blob: make([]byte, 64)}).Marshal()))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseKeysignReply(b) // must not panic
	})
}

func TestHostbasedClientHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	want := "localhost." // /etc/hosts, as ssh-keysign resolves it
	if names, err := net.LookupAddr("127.0.0.1"); err != nil || len(names) == 0 {
		t.Skip("127.0.0.1 has no name here")
	} else {
		want = strings.TrimSuffix(names[0], ".") + "."
	}
	if got := HostbasedClientHost(nc); got != want {
		t.Errorf("socket: %q, want %q", got, want)
	}
	h, _ := os.Hostname()
	if got := HostbasedClientHost(nil); got != h+"." {
		t.Errorf("pipe: %q, want %q", got, h+".")
	}
}
