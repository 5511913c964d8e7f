package conformance_test

// A second reader of the key log, for what tshark 4.0.17 cannot follow:
// the rekeys. keyLogReplay decrypts a recorded connection from nothing
// but the bytes on the wire and the SHARED_SECRET lines of a key log, as
// Wireshark does: it takes each KEXINIT and the ECDH values from the
// stream, looks K up by either KEXINIT cookie, computes H (RFC 4253,
// Section 8; RFC 8731), derives the keys (Section 7.2) and installs them
// at each NEWKEYS, for every key exchange in turn.

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// streamConn is a net.Conn that reads one recorded direction.
type streamConn struct{ r io.Reader }

func (c streamConn) Read(p []byte) (int, error)     { return c.r.Read(p) }
func (streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (streamConn) Close() error                     { return nil }
func (streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (streamConn) SetDeadline(time.Time) error      { return nil }
func (streamConn) SetReadDeadline(time.Time) error  { return nil }
func (streamConn) SetWriteDeadline(time.Time) error { return nil }

// replayDirection reads one direction's packets.
type replayDirection struct {
	version []byte // identification string without CR LF
	pc      *packet.Conn
	codes   []wire.MsgNum // every message after the first NEWKEYS
	data    int           // CHANNEL_DATA bytes
	eof     bool
}

func newReplayDirection(t *testing.T, stream []byte) *replayDirection {
	t.Helper()
	i := bytes.Index(stream, []byte("\r\n"))
	if i < 0 {
		t.Fatal("replay: no identification string")
	}
	return &replayDirection{version: stream[:i], pc: packet.NewConn(streamConn{bytes.NewReader(stream[i+2:])}, nil)}
}

// untilNewKeys reads up to and including this direction's next NEWKEYS
// and returns the payloads of its KEXINIT and its method message (30 or
// 31 for the ECDH methods). It records every other message.
func (d *replayDirection) untilNewKeys(t *testing.T, counting bool) (kexInit, method []byte) {
	t.Helper()
	for {
		p, err := d.pc.ReadPacket()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			d.eof = true
			return nil, nil
		}
		if err != nil {
			t.Fatalf("replay: reading: %v", err)
		}
		switch n := wire.MsgNum(p[0]); {
		case n == wire.MsgKexInit:
			kexInit = bytes.Clone(p)
		case n == wire.MsgKexECDHInit || n == wire.MsgKexECDHReply:
			method = bytes.Clone(p)
		case n == wire.MsgNewKeys:
			return kexInit, method
		default:
			if counting {
				d.codes = append(d.codes, n)
				if n == wire.MsgChannelData {
					if m, err := wire.ParseChannelData(p); err == nil {
						d.data += len(m.Data)
					}
				}
			}
		}
	}
}

// keyLogReplay decrypts a curve25519-sha256 connection with strict kex
// and one cipher (an AEAD or one with a MAC) in both directions. It
// returns both directions and the number of key exchanges it followed.
func keyLogReplay(t *testing.T, c2s, s2c []byte, secrets map[string]string, cipherName, macName string) (client, server *replayDirection, exchanges int) {
	t.Helper()
	client, server = newReplayDirection(t, c2s), newReplayDirection(t, s2c)
	alg, ok := cipher.LookupAlgorithm(cipherName)
	if !ok {
		t.Fatalf("replay: cipher %q", cipherName)
	}
	sizes := kex.KeySizes{IV: alg.IVSize, Key: alg.KeySize}
	if !alg.AEAD() {
		m, ok := cipher.LookupMAC(macName)
		if !ok {
			t.Fatalf("replay: MAC %q", macName)
		}
		sizes.MACKey = m.KeySize
	}
	var sessionID []byte
	for {
		ic, init := client.untilNewKeys(t, exchanges > 0)
		is, reply := server.untilNewKeys(t, exchanges > 0)
		if client.eof || server.eof {
			return client, server, exchanges
		}
		if ic == nil || is == nil || init == nil || reply == nil {
			t.Fatalf("replay: key exchange %d incomplete", exchanges)
		}
		k := ""
		for _, cookie := range []string{hex.EncodeToString(is[1:17]), hex.EncodeToString(ic[1:17])} {
			if s, ok := secrets[cookie]; ok {
				k = s
				break
			}
		}
		if k == "" {
			t.Fatalf("replay: key exchange %d: neither cookie is in the key log", exchanges)
		}
		kb, err := hex.DecodeString(k)
		if err != nil {
			t.Fatal(err)
		}
		qc, err := wire.ParseKexECDHInit(init)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := wire.ParseKexECDHReply(reply)
		if err != nil {
			t.Fatal(err)
		}
		p := &kex.Params{ClientVersion: client.version, ServerVersion: server.version, ClientKexInit: ic, ServerKexInit: is}
		fields := wire.AppendString(wire.AppendString(nil, qc.ClientPublic), qs.ServerPublic)
		res := &kex.Result{K: wire.AppendString(nil, kb), Hash: crypto.SHA256}
		res.H = p.ExchangeHash(crypto.SHA256, qs.HostKey, fields, res.K)
		if sessionID == nil {
			sessionID = res.H
		}
		kc, ks := res.Keys(sessionID, sizes, sizes)
		mk := func(k kex.DirectionKeys) packet.Keys {
			return packet.Keys{Cipher: cipherName, MAC: macName, IV: k.IV, Key: k.Key, MACKey: k.MACKey, ResetSeq: true}
		}
		if err := client.pc.SetReadKeys(mk(kc)); err != nil {
			t.Fatal(err)
		}
		if err := server.pc.SetReadKeys(mk(ks)); err != nil {
			t.Fatal(err)
		}
		exchanges++
	}
}

// streams returns the bytes of each direction of the proxy's only
// connection.
func (p *pcapProxy) streams(t *testing.T) (c2s, s2c []byte) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.flows) != 1 {
		t.Fatalf("%d connections recorded, want 1", len(p.flows))
	}
	f := p.flows[0]
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.segs {
		if s.toServer {
			c2s = append(c2s, s.data...)
		} else {
			s2c = append(s2c, s.data...)
		}
	}
	return c2s, s2c
}
