package kex

import (
	"context"
	"crypto"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/sshstack/sshstack/wire"
)

func TestParseModuli(t *testing.T) {
	p := group14.P.Text(16)
	in := strings.Join([]string{
		"# comment",
		"",
		"20220714110728 2 6 100 2047 2 " + p, // kept
		"20220714110728 2 1 100 2047 2 " + p, // composite sieve only: skipped
		"20220714110728 1 6 100 2047 2 " + p, // not a safe prime: skipped
		"20220714110728 2 6 0 2047 2 " + p,   // no tries: skipped
		"20220714110728 2 6 100 2047 5 " + p, // kept, generator 5
	}, "\n")
	groups, err := ParseModuli(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].G.Int64() != 2 || groups[1].G.Int64() != 5 || groups[0].P.Cmp(group14.P) != 0 {
		t.Fatalf("got %d groups", len(groups))
	}
	for _, bad := range []string{
		"1 2 6 100 2047 2",      // six fields
		"1 2 x 100 2047 2 " + p, // not a number
		"1 2 6 100 2047 2 zz",   // not hex
		"1 2 6 100 3071 2 " + p, // size does not match
		"1 2 6 100 2047 1 " + p, // generator 1
	} {
		if _, err := ParseModuli(strings.NewReader(bad)); !errors.Is(err, ErrModuli) {
			t.Errorf("%.30q: %v, want ErrModuli", bad, err)
		}
	}
}

// TestSystemModuli parses this machine's /etc/ssh/moduli if present.
func TestSystemModuli(t *testing.T) {
	f, err := os.Open(DefaultModuliFile)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	groups, err := ParseModuli(f)
	if err != nil || len(groups) == 0 {
		t.Fatalf("%d groups, %v", len(groups), err)
	}
}

// Requirement: 4419-3-group-sizes, 4419-3-server-pick
func TestGexPick(t *testing.T) {
	m := &GroupExchange{Groups: []*Group{group14, group16, group18}}
	tests := []struct {
		min, n, max int
		want        int
		err         bool
	}{
		{2048, 3072, 8192, 4096, false}, // smallest at least n
		{2048, 2048, 8192, 2048, false},
		{2048, 8192, 8192, 8192, false},
		{1024, 1024, 1024, 2048, false}, // requests are clamped up to 2048
		{2048, 5000, 4096, 4096, false}, // n above max: the largest below
		{3000, 3000, 4000, 0, true},     // nothing in range
	}
	for _, tt := range tests {
		g, err := m.pick(nil, tt.min, tt.n, tt.max)
		if tt.err {
			if !errors.Is(err, ErrInvalidGroup) {
				t.Errorf("%d/%d/%d: %v, want ErrInvalidGroup", tt.min, tt.n, tt.max, err)
			}
			continue
		}
		if err != nil || g.P.BitLen() != tt.want {
			t.Errorf("%d/%d/%d: got %v bits, %v; want %d", tt.min, tt.n, tt.max, bitLen(g), err, tt.want)
		}
	}
}

func bitLen(g *Group) int {
	if g == nil {
		return 0
	}
	return g.P.BitLen()
}

// TestGexClientRejectsGroup: a server group outside the requested sizes,
// an even modulus or a bad generator is refused.
// Requirement: 4419-3-at-least-1024
func TestGexClientRejectsGroup(t *testing.T) {
	small := group1.P // 1024 bits < 2048
	tests := map[string]wire.KexDHGexGroup{
		"too small":     {P: small.Bytes(), G: []byte{2}},
		"even modulus":  {P: new(big.Int).Add(group14.P, big.NewInt(1)).Bytes(), G: []byte{2}},
		"generator 1":   {P: group14.P.Bytes(), G: []byte{1}},
		"generator p-1": {P: group14.P.Bytes(), G: new(big.Int).Sub(group14.P, big.NewInt(1)).Bytes()},
	}
	for name, g := range tests {
		err := clientGets(t, DHGroupExchangeSHA256, g.Append(nil))
		if !errors.Is(err, ErrInvalidGroup) {
			t.Errorf("%s: %v, want ErrInvalidGroup", name, err)
		}
	}
}

// TestGexServerRejectsRequest: inconsistent requests and the old request
// message are refused; e outside [2, p-2] is refused (docs/security.md#k8).
// Requirement: 4419-3-e-f-range
func TestGexServerRejectsRequest(t *testing.T) {
	for _, req := range []wire.KexDHGexRequest{
		{Min: 4096, N: 3072, Max: 8192},
		{Min: 2048, N: 8192, Max: 4096},
		{Min: 1024, N: 1024, Max: 1024},
	} {
		if err := serverGets(t, DHGroupExchangeSHA256, req.Append(nil)); !errors.Is(err, ErrInvalidGroup) {
			t.Errorf("%+v: %v, want ErrInvalidGroup", req, err)
		}
	}
	old := (&wire.KexDHGexRequestOld{N: 2048}).Append(nil)
	if err := serverGets(t, DHGroupExchangeSHA256, old); !errors.Is(err, ErrUnexpectedMessage) {
		t.Errorf("REQUEST_OLD: %v, want ErrUnexpectedMessage", err)
	}
	m := &GroupExchange{MethodName: DHGroupExchangeSHA256, Hash: crypto.SHA256, Groups: []*Group{group14}}
	for _, v := range badDHValues(group14.P) {
		_, sp := testParams(newTestHostKey(t))
		req := (&wire.KexDHGexRequest{Min: 2048, N: 2048, Max: 8192}).Append(nil)
		init := (&wire.KexDHGexInit{E: v.Bytes()}).Append(nil)
		_, err := m.Run(context.Background(), &scriptConn{replies: [][]byte{req, init}}, sp)
		if !errors.Is(err, ErrInvalidPublicValue) {
			t.Errorf("e=%s...: %v", short(v), err)
		}
	}
}

// TestGexClientRejectsF: f outside [2, p-2] from a group-exchange server
// is refused (docs/security.md#k8).
// Requirement: 4419-3-e-f-range
func TestGexClientRejectsF(t *testing.T) {
	m, _ := Lookup(DHGroupExchangeSHA256)
	for _, v := range badDHValues(group14.P) {
		cp, _ := testParams(newTestHostKey(t))
		cp.Verifier = &acceptAll{}
		group := (&wire.KexDHGexGroup{P: group14.P.Bytes(), G: []byte{2}}).Append(nil)
		reply := (&wire.KexDHGexReply{HostKey: []byte("k"), F: v.Bytes(), Signature: []byte("s")}).Append(nil)
		_, err := m.Run(context.Background(), &scriptConn{replies: [][]byte{group, reply}}, cp)
		if !errors.Is(err, ErrInvalidPublicValue) {
			t.Errorf("f=%s...: %v", short(v), err)
		}
	}
}
