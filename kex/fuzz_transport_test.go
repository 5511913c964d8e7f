package kex_test

import (
	"testing"

	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/wire"
)

// FuzzTransportPacket sends one arbitrary packet to our server Transport
// (phases 0-2) or our client Transport (phases 3-5) before the peer's
// KEXINIT, between KEXINIT and the method messages, or after the initial
// exchange, then hangs up. The Transport must fail
// or carry on, never panic or hang, and must never hand a key exchange
// message (20-49) to ReadPacket.
func FuzzTransportPacket(f *testing.F) {
	f.Add(uint8(0), (&wire.Ignore{Data: []byte("x")}).Append(nil))
	f.Add(uint8(1), (&wire.KexECDHInit{ClientPublic: make([]byte, 32)}).Append(nil))
	f.Add(uint8(2), (&wire.ExtInfo{Extensions: []wire.Extension{{Name: "a", Value: []byte("b")}}}).Append(nil))
	f.Add(uint8(2), (&wire.KexInit{KexAlgorithms: []string{kex.Curve25519SHA256}}).Append(nil))
	f.Add(uint8(2), []byte{byte(wire.MsgNewKeys)})
	f.Add(uint8(4), (&wire.KexECDHReply{HostKey: []byte("k"), ServerPublic: make([]byte, 32), Signature: []byte("s")}).Append(nil))
	f.Add(uint8(5), (&wire.ExtInfo{Extensions: []wire.Extension{{Name: wire.ExtServerSigAlgs, Value: []byte("ssh-ed25519")}}}).Append(nil))
	f.Add(uint8(2), []byte{150, 1})
	f.Add(uint8(2), (&wire.Ping{Data: []byte("p")}).Append(nil))
	f.Add(uint8(5), (&wire.Pong{Data: []byte("p")}).Append(nil))
	f.Fuzz(func(t *testing.T, phase uint8, payload []byte) {
		if len(payload) == 0 || len(payload) > 32<<10 {
			return
		}
		if phase%6 >= 3 {
			fuzzClient(t, phase%3, payload)
			return
		}
		r, ch := startServer(t, serverCfg(t))
		switch phase % 3 {
		case 0:
			r.pc.WritePacket(payload)
			r.pc.WritePacket(r.initMsg(strictClientKex, false).Append(nil))
		case 1:
			r.sendInit(r.initMsg(strictClientKex, false))
			r.readInit()
			r.pc.WritePacket(payload)
		case 2:
			r.sendInit(r.initMsg(strictClientKex, false))
			r.readInit()
			r.strict = true
			r.exchange(kex.Curve25519SHA256)
			r.pc.WritePacket(payload)
		}
		r.pc.Close()
		o := wait(t, ch)
		if o.tr == nil {
			return
		}
		for {
			p, err := o.tr.ReadPacket()
			if err != nil {
				break
			}
			if n := wire.MsgNum(p[0]); n.IsKex() || !n.Recognized() || n == wire.MsgPing || n == wire.MsgPong {
				t.Fatalf("ReadPacket returned %v", n)
			}
		}
		o.tr.Close()
	})
}

func fuzzClient(t *testing.T, phase uint8, payload []byte) {
	hk := newEd25519Key(t)
	c, _ := configs(t, kex.Curve25519SHA256)
	c.HostKeyVerifier = edVerifier{trusted: hk.blob}
	r, ch := startClient(t, c, hk)
	serverInit := r.initMsg([]string{kex.Curve25519SHA256, kex.ExtInfoServer, kex.StrictServer}, false)
	switch phase {
	case 0:
		r.pc.WritePacket(payload)
		r.pc.WritePacket(serverInit.Append(nil))
	case 1:
		r.readInit()
		r.sendInit(serverInit)
		r.pc.WritePacket(payload)
	case 2:
		r.readInit()
		r.sendInit(serverInit)
		r.strict = true
		r.exchange(kex.Curve25519SHA256)
		r.pc.WritePacket(payload)
	}
	r.pc.Close()
	o := wait(t, ch)
	if o.tr == nil {
		return
	}
	for {
		p, err := o.tr.ReadPacket()
		if err != nil {
			break
		}
		if n := wire.MsgNum(p[0]); n.IsKex() || !n.Recognized() || n == wire.MsgPing || n == wire.MsgPong {
			t.Fatalf("ReadPacket returned %v", wire.MsgNum(p[0]))
		}
	}
	o.tr.Close()
}
