package kex

import (
	"context"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

// fuzzMethods are the methods the fuzz targets drive: every registered
// one except the slowest fixed group.
func fuzzMethods() []string {
	var names []string
	for _, n := range Methods() {
		if n != DHGroup18SHA512 {
			names = append(names, n)
		}
	}
	return names
}

// FuzzServerMessage feeds an arbitrary first client message (and, for
// group exchange, an arbitrary second one) to the server side of every
// method: an error or success, never a panic.
func FuzzServerMessage(f *testing.F) {
	f.Add(uint8(0), ecdhInit(make([]byte, 32)), []byte(nil))
	f.Add(uint8(1), (&wire.KexDHInit{E: []byte{5}}).Append(nil), []byte(nil))
	f.Add(uint8(2), (&wire.KexDHGexRequest{Min: 2048, N: 2048, Max: 8192}).Append(nil), (&wire.KexDHGexInit{E: []byte{7}}).Append(nil))
	hk := newTestHostKey(f)
	names := fuzzMethods()
	f.Fuzz(func(t *testing.T, which uint8, first, second []byte) {
		m, _ := Lookup(names[int(which)%len(names)])
		_, sp := testParams(hk)
		m.Run(context.Background(), &scriptConn{replies: [][]byte{first, second}}, sp)
	})
}

// FuzzClientMessage feeds arbitrary server replies to the client side of
// every method. The verifier accepts anything, so that the parsing and
// validation paths past the signature check are reached too.
func FuzzClientMessage(f *testing.F) {
	f.Add(uint8(0), ecdhReply(make([]byte, 32)), []byte(nil))
	f.Add(uint8(1), (&wire.KexDHReply{HostKey: []byte("k"), F: []byte{5}, Signature: []byte("s")}).Append(nil), []byte(nil))
	f.Add(uint8(2), (&wire.KexDHGexGroup{P: group14.P.Bytes(), G: []byte{2}}).Append(nil),
		(&wire.KexDHGexReply{HostKey: []byte("k"), F: []byte{5}, Signature: []byte("s")}).Append(nil))
	names := fuzzMethods()
	f.Fuzz(func(t *testing.T, which uint8, first, second []byte) {
		m, _ := Lookup(names[int(which)%len(names)])
		cp, _ := testParams(nil)
		cp.Verifier = &acceptAll{}
		m.Run(context.Background(), &scriptConn{replies: [][]byte{first, second}}, cp)
	})
}

// FuzzParseModuli: arbitrary moduli files never panic.
func FuzzParseModuli(f *testing.F) {
	f.Add([]byte("20220714110728 2 6 100 2047 2 " + group14.P.Text(16) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseModuli(bytesReader(b))
	})
}
