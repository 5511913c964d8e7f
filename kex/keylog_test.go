package kex

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// tapConn is a memConn that keeps a copy of every packet it writes.
type tapConn struct {
	*memConn
	mu      sync.Mutex
	written [][]byte
}

func (c *tapConn) WritePacket(ctx context.Context, p []byte) error {
	c.mu.Lock()
	c.written = append(c.written, bytes.Clone(p))
	c.mu.Unlock()
	return c.memConn.WritePacket(ctx, p)
}

// sent returns the first packet c wrote with message number n.
func (c *tapConn) sent(n wire.MsgNum) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.written {
		if len(p) > 0 && wire.MsgNum(p[0]) == n {
			return p
		}
	}
	return nil
}

// wiresharkEntry is one key log line as Wireshark's SSH dissector reads
// it (epan/dissectors/packet-ssh.c, ssh_keylog_process_line): three
// fields "cookie type key", or two "cookie key" read as type
// PRIVATE_KEY. Wireshark 4.0 knows only the two-field form and drops a
// line whose key is not all hex.
type wiresharkEntry struct {
	cookie, typ string
	key         []byte
}

func parseWiresharkLine(t *testing.T, line string) wiresharkEntry {
	t.Helper()
	f := strings.Split(line, " ")
	var e wiresharkEntry
	var key string
	switch len(f) {
	case 3:
		e.cookie, e.typ, key = f[0], f[1], f[2]
	case 2:
		e.cookie, e.typ, key = f[0], "PRIVATE_KEY", f[1]
	default:
		t.Fatalf("key log line %q: %d fields", line, len(f))
	}
	if len(e.cookie) != 32 {
		t.Fatalf("cookie %q is not 32 hex digits", e.cookie)
	}
	k, err := hex.DecodeString(key)
	if err != nil || len(k) == 0 {
		t.Fatalf("key log line %q: key not hex: %v", line, err)
	}
	e.key = k
	return e
}

// wiresharkK is how the dissector turns a SHARED_SECRET value into the K
// it hashes: the bytes as an mpint magnitude, a zero byte put in front
// when the top bit is set, then encoded as an RFC 4251 string.
func wiresharkK(v []byte) []byte {
	if v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return wire.AppendString(nil, v)
}

// privateKeyMethods are the methods whose ephemeral private key goes in
// the key log: those Wireshark recomputes K for.
var privateKeyMethods = map[string]bool{
	Curve25519SHA256: true, Curve25519SHA256LibSSH: true,
	DHGroup1SHA1: true, DHGroup14SHA1: true, DHGroup14SHA256: true, DHGroup16SHA512: true, DHGroup18SHA512: true,
	DHGroupExchangeSHA1: true, DHGroupExchangeSHA256: true,
}

// TestKeyLogLines runs both sides of every method with Params.KeyLog and
// checks each side's key log lines: one SHARED_SECRET line whose value
// both sides agree on and from which Wireshark's derivation gives the
// same session keys as ours (the logged secret is the K that derived
// them), and, for the methods Wireshark 4.0 can recompute K for, a
// private-key line from which the peer's public value gives that K.
func TestKeyLogLines(t *testing.T) {
	hk := newTestHostKey(t)
	cookies := [2][]byte{bytes.Repeat([]byte{0xc1}, 16), bytes.Repeat([]byte{0x5e}, 16)}
	for _, name := range Methods() {
		m, _ := Lookup(name)
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == DHGroup18SHA512 {
				t.Skip("slow in -short")
			}
			ctx := context.Background()
			a0, b0 := memPipe()
			a, b := &tapConn{memConn: a0}, &tapConn{memConn: b0}
			cp, sp := testParams(hk)
			cp.KeyLog, sp.KeyLog = true, true
			var sr *Result
			var serr error
			var wg sync.WaitGroup
			wg.Go(func() {
				if sr, serr = m.Run(ctx, b, sp); serr != nil {
					close(b0.out)
				}
			})
			cr, cerr := m.Run(ctx, a, cp)
			if cerr != nil {
				close(a0.out)
			}
			wg.Wait()
			if cerr != nil || serr != nil {
				t.Fatalf("client: %v; server: %v", cerr, serr)
			}

			var shared [2][]byte
			for i, res := range []*Result{cr, sr} {
				lines := strings.Split(strings.TrimSuffix(string(KeyLogLines(cookies[i], res)), "\n"), "\n")
				want := 1
				if privateKeyMethods[name] {
					want = 2
				}
				if len(lines) != want {
					t.Fatalf("side %d: %d lines, want %d:\n%s", i, len(lines), want, strings.Join(lines, "\n"))
				}
				last := parseWiresharkLine(t, lines[len(lines)-1])
				if last.typ != "SHARED_SECRET" || last.cookie != hex.EncodeToString(cookies[i]) {
					t.Fatalf("side %d: last line %q", i, lines[len(lines)-1])
				}
				shared[i] = last.key
				if want == 2 {
					e := parseWiresharkLine(t, lines[0])
					if e.typ != "PRIVATE_KEY" || e.cookie != last.cookie {
						t.Fatalf("side %d: first line %q", i, lines[0])
					}
					if got := recomputeK(t, name, i == 0, e.key, a, b); !bytes.Equal(got, res.K) {
						t.Errorf("side %d: K from the logged private key\n%x, want\n%x", i, got, res.K)
					}
				}
			}
			if !bytes.Equal(shared[0], shared[1]) {
				t.Fatal("client and server log different shared secrets")
			}
			// The logged value is K without its length, in both encodings.
			if !bytes.Equal(wire.AppendString(nil, shared[0]), cr.K) {
				t.Fatalf("logged %x, K is %x", shared[0], cr.K)
			}
			sizes := KeySizes{IV: 16, Key: 32, MACKey: 32}
			wantC, wantS := cr.Keys(cr.H, sizes, sizes)
			ws := &Result{K: wiresharkK(shared[0]), H: cr.H, Hash: cr.Hash}
			gotC, gotS := ws.Keys(cr.H, sizes, sizes)
			hybridK := name == MLKEM768X25519SHA256 || strings.HasPrefix(name, "sntrup761x25519")
			same := bytes.Equal(gotC.Key, wantC.Key) && bytes.Equal(gotS.Key, wantS.Key) && bytes.Equal(gotC.MACKey, wantC.MACKey)
			switch {
			case !hybridK && !same:
				t.Error("Wireshark's derivation from the logged secret gives other keys")
			case hybridK && shared[0][0]&0x80 == 0 && !same:
				// A string K whose top bit is clear hashes like the mpint
				// Wireshark makes of it.
				t.Error("Wireshark's derivation from the logged secret gives other keys")
			}
		})
	}
}

// recomputeK does what Wireshark does with a private-key line: combine
// the logged private key of one side with the public value the other side
// sent, and encode the result as the mpint K.
func recomputeK(t *testing.T, name string, client bool, priv []byte, c, s *tapConn) []byte {
	t.Helper()
	switch name {
	case Curve25519SHA256, Curve25519SHA256LibSSH:
		var peer []byte
		if client {
			r, err := wire.ParseKexECDHReply(s.sent(wire.MsgKexECDHReply))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.ServerPublic
		} else {
			r, err := wire.ParseKexECDHInit(c.sent(wire.MsgKexECDHInit))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.ClientPublic
		}
		k, err := ecdh.X25519().NewPrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ecdh.X25519().NewPublicKey(peer)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := k.ECDH(pub)
		if err != nil {
			t.Fatal(err)
		}
		return wire.AppendMPIntBytes(nil, secret)
	case DHGroupExchangeSHA1, DHGroupExchangeSHA256:
		g, err := wire.ParseKexDHGexGroup(s.sent(wire.MsgKexDHGexGroup))
		if err != nil {
			t.Fatal(err)
		}
		var peer []byte
		if client {
			r, err := wire.ParseKexDHGexReply(s.sent(wire.MsgKexDHGexReply))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.F
		} else {
			r, err := wire.ParseKexDHGexInit(c.sent(wire.MsgKexDHGexInit))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.E
		}
		return modExp(peer, priv, g.P)
	default: // a fixed group
		m, _ := Lookup(name)
		var peer []byte
		if client {
			r, err := wire.ParseKexDHReply(s.sent(wire.MsgKexDHReply))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.F
		} else {
			r, err := wire.ParseKexDHInit(c.sent(wire.MsgKexDHInit))
			if err != nil {
				t.Fatal(err)
			}
			peer = r.E
		}
		return modExp(peer, priv, m.(*dhGroup).group.P.Bytes())
	}
}

func modExp(base, exp, mod []byte) []byte {
	v := new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), new(big.Int).SetBytes(mod))
	return wire.AppendMPInt(nil, v)
}

// TestKeyLogOffByDefault: without Params.KeyLog no method returns its
// private key.
func TestKeyLogOffByDefault(t *testing.T) {
	hk := newTestHostKey(t)
	for _, name := range []string{Curve25519SHA256, DHGroup14SHA256, DHGroupExchangeSHA256} {
		m, _ := Lookup(name)
		cr, sr, cerr, serr := runPair(t, m, hk)
		if cerr != nil || serr != nil {
			t.Fatalf("%s: client: %v; server: %v", name, cerr, serr)
		}
		if cr.PrivateKey != nil || sr.PrivateKey != nil {
			t.Errorf("%s: private key returned without Params.KeyLog", name)
		}
		if n := bytes.Count(KeyLogLines(make([]byte, 16), cr), []byte("\n")); n != 1 {
			t.Errorf("%s: %d key log lines without Params.KeyLog, want 1", name, n)
		}
	}
}

// TestKeyLogLinesVector pins the exact lines for known values. The
// curve25519 case is RFC 7748, Section 6.1: Alice's private key, and the
// shared secret she computes with Bob's public key, which RFC 8731,
// Section 3.1 encodes as an mpint; its top bit is clear, so the logged
// value is the 32 bytes. An mpint whose top bit is set keeps its zero
// byte; a hybrid's string K is logged as its bytes, zero byte or not.
// Requirement: 8731-3.1-k-mpint
func TestKeyLogLinesVector(t *testing.T) {
	mustHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cookie := mustHex("00112233445566778899aabbccddeeff")
	alice := mustHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	shared := mustHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
	high := mustHex("ff00000000000000000000000000000000000000000000000000000000000001")
	tests := []struct {
		name string
		res  Result
		want string
	}{
		{"curve25519 RFC 7748", Result{K: wire.AppendMPIntBytes(nil, shared), PrivateKey: alice},
			"00112233445566778899aabbccddeeff 77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a\n" +
				"00112233445566778899aabbccddeeff SHARED_SECRET 4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742\n"},
		{"mpint with the top bit set", Result{K: wire.AppendMPIntBytes(nil, high)},
			"00112233445566778899aabbccddeeff SHARED_SECRET 00ff00000000000000000000000000000000000000000000000000000000000001\n"},
		{"hybrid string K", Result{K: wire.AppendString(nil, high)},
			"00112233445566778899aabbccddeeff SHARED_SECRET ff00000000000000000000000000000000000000000000000000000000000001\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(KeyLogLines(cookie, &tt.res)); got != tt.want {
				t.Errorf("KeyLogLines:\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	// The vector itself: Alice's key and Bob's public key give shared.
	a, _ := ecdh.X25519().NewPrivateKey(alice)
	bob, _ := ecdh.X25519().NewPublicKey(mustHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
	if s, err := a.ECDH(bob); err != nil || !bytes.Equal(s, shared) {
		t.Fatalf("RFC 7748 vector: %x, %v", s, err)
	}
}
