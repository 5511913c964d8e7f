package kex

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/wire"
)

// Group-exchange size limits in bits (RFC 4419, Section 3; OpenSSH's
// DH_GRP_MIN and DH_GRP_MAX).
const (
	GexMinBits       = 2048
	GexPreferredBits = 3072
	GexMaxBits       = 8192
)

// DefaultModuliFile is where OpenSSH keeps its group-exchange moduli.
const DefaultModuliFile = "/etc/ssh/moduli"

// GroupExchange is a diffie-hellman-group-exchange method (RFC 4419):
// the client asks for a group of Min <= size <= Max bits, preferring
// Preferred; the server picks one and both run Diffie-Hellman in it.
//
// The zero values of the size fields mean GexMinBits, GexPreferredBits
// and GexMaxBits. On the server, Groups lists the candidate groups; nil
// means the moduli in ModuliFile (DefaultModuliFile if empty), read once,
// and when that yields nothing the built-in RFC 3526 groups 14, 16 and 18.
type GroupExchange struct {
	MethodName string
	Hash       crypto.Hash

	Min, Preferred, Max int // client request, in bits

	Groups     []*Group // server candidates
	ModuliFile string

	once   sync.Once
	loaded []*Group
}

// Name returns MethodName.
func (m *GroupExchange) Name() string { return m.MethodName }

func (m *GroupExchange) sizes() (min, n, max int) {
	min, n, max = m.Min, m.Preferred, m.Max
	if min == 0 {
		min = GexMinBits
	}
	if n == 0 {
		n = GexPreferredBits
	}
	if max == 0 {
		max = GexMaxBits
	}
	return min, n, max
}

// Run runs the client or server side of the group exchange.
func (m *GroupExchange) Run(ctx context.Context, c Conn, p *Params) (*Result, error) {
	if p.Role == Client {
		return m.client(ctx, c, p)
	}
	return m.server(ctx, c, p)
}

func (m *GroupExchange) client(ctx context.Context, c Conn, p *Params) (*Result, error) {
	min, n, max := m.sizes()
	req := wire.KexDHGexRequest{Min: uint32(min), N: uint32(n), Max: uint32(max)}
	if err := c.WritePacket(ctx, req.Append(nil)); err != nil {
		return nil, err
	}
	payload, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	gm, err := parseMethodMessage(payload, wire.MsgKexDHGexGroup, wire.ParseKexDHGexGroup)
	if err != nil {
		return nil, err
	}
	g := &Group{P: new(big.Int).SetBytes(gm.P), G: new(big.Int).SetBytes(gm.G)}
	if bits := g.P.BitLen(); bits < min || bits > max || g.P.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: %d-bit modulus, asked for %d..%d", ErrInvalidGroup, bits, min, max)
	}
	if err := g.CheckPublic(g.G); err != nil {
		return nil, fmt.Errorf("%w: generator outside [2, p-2]", ErrInvalidGroup)
	}
	x, e, err := g.generate(p.rand(), exponentBits(g, m.Hash))
	if err != nil {
		return nil, err
	}
	init := wire.KexDHGexInit{E: e.Bytes()}
	if err := c.WritePacket(ctx, init.Append(nil)); err != nil {
		return nil, err
	}
	payload, err = c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	reply, err := parseMethodMessage(payload, wire.MsgKexDHGexReply, wire.ParseKexDHGexReply)
	if err != nil {
		return nil, err
	}
	f := new(big.Int).SetBytes(reply.F)
	k, err := g.SharedSecret(f, x)
	if err != nil {
		return nil, fmt.Errorf("kex: %s: %w", m.MethodName, err)
	}
	kEnc := wire.AppendMPInt(nil, k)
	h := p.ExchangeHash(m.Hash, reply.HostKey, gexFields(req, g, e, f), kEnc)
	if err := p.verifyH(reply.HostKey, h, reply.Signature); err != nil {
		return nil, err
	}
	return withPrivateKey(&Result{K: kEnc, H: h, Hash: m.Hash, HostKey: clone(reply.HostKey)}, p, x), nil
}

func (m *GroupExchange) server(ctx context.Context, c Conn, p *Params) (*Result, error) {
	payload, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	// SSH_MSG_KEX_DH_GEX_REQUEST_OLD (RFC 4419, Section 5) is refused,
	// as OpenSSH and x/crypto do.
	req, err := parseMethodMessage(payload, wire.MsgKexDHGexRequest, wire.ParseKexDHGexRequest)
	if err != nil {
		return nil, err
	}
	if req.Max < req.Min || req.N < req.Min || req.Max < req.N || req.Max < GexMinBits {
		return nil, fmt.Errorf("%w: bad group request %d/%d/%d", ErrInvalidGroup, req.Min, req.N, req.Max)
	}
	g, err := m.pick(p.rand(), int(req.Min), int(req.N), int(req.Max))
	if err != nil {
		return nil, err
	}
	gm := wire.KexDHGexGroup{P: g.P.Bytes(), G: g.G.Bytes()}
	if err := c.WritePacket(ctx, gm.Append(nil)); err != nil {
		return nil, err
	}
	payload, err = c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	init, err := parseMethodMessage(payload, wire.MsgKexDHGexInit, wire.ParseKexDHGexInit)
	if err != nil {
		return nil, err
	}
	e := new(big.Int).SetBytes(init.E)
	y, f, err := g.generate(p.rand(), exponentBits(g, m.Hash))
	if err != nil {
		return nil, err
	}
	k, err := g.SharedSecret(e, y)
	if err != nil {
		return nil, fmt.Errorf("kex: %s: %w", m.MethodName, err)
	}
	kEnc := wire.AppendMPInt(nil, k)
	var hostKey []byte
	if p.HostKey != nil {
		hostKey = p.HostKey.PublicKey()
	}
	h := p.ExchangeHash(m.Hash, hostKey, gexFields(req, g, e, f), kEnc)
	hostKey, sig, err := p.signH(h)
	if err != nil {
		return nil, err
	}
	reply := wire.KexDHGexReply{HostKey: hostKey, F: f.Bytes(), Signature: sig}
	if err := c.WritePacket(ctx, reply.Append(nil)); err != nil {
		return nil, err
	}
	return withPrivateKey(&Result{K: kEnc, H: h, Hash: m.Hash, HostKey: clone(hostKey)}, p, y), nil
}

func gexFields(req wire.KexDHGexRequest, g *Group, e, f *big.Int) []byte {
	b := wire.AppendUint32(nil, req.Min)
	b = wire.AppendUint32(b, req.N)
	b = wire.AppendUint32(b, req.Max)
	b = wire.AppendMPInt(b, g.P)
	b = wire.AppendMPInt(b, g.G)
	return dhFields(b, e, f)
}

// candidates returns the server's groups.
func (m *GroupExchange) candidates() []*Group {
	if m.Groups != nil {
		return m.Groups
	}
	m.once.Do(func() {
		path := m.ModuliFile
		if path == "" {
			path = DefaultModuliFile
		}
		if f, err := os.Open(path); err == nil {
			m.loaded, _ = ParseModuli(f)
			f.Close()
		}
		if len(m.loaded) == 0 {
			m.loaded = []*Group{group14, group16, group18}
		}
	})
	return m.loaded
}

// pick chooses a group as OpenSSH's choose_dh does: among the groups
// within [min, max] (clamped to GexMinBits..GexMaxBits), those of the
// smallest size at least n, or failing that the largest size below n;
// at random among groups of that size.
func (m *GroupExchange) pick(rnd io.Reader, lo, n, hi int) (*Group, error) {
	lo, hi = clampBits(lo), clampBits(hi)
	n = min(max(lo, n), hi)
	best := 0
	for _, g := range m.candidates() {
		bits := g.P.BitLen()
		if bits < lo || bits > hi {
			continue
		}
		switch {
		case best == 0:
			best = bits
		case best < n && bits > best:
			best = bits
		case bits >= n && bits < best:
			best = bits
		}
	}
	if best == 0 {
		return nil, fmt.Errorf("%w: no group of %d..%d bits", ErrInvalidGroup, lo, hi)
	}
	var same []*Group
	for _, g := range m.candidates() {
		if g.P.BitLen() == best {
			same = append(same, g)
		}
	}
	i, err := rand.Int(rnd, big.NewInt(int64(len(same))))
	if err != nil {
		return nil, err
	}
	return same[i.Int64()], nil
}

func clampBits(b int) int { return min(max(b, GexMinBits), GexMaxBits) }

// ErrModuli reports a malformed line in a moduli file.
var ErrModuli = errors.New("kex: malformed moduli line")

// ParseModuli reads groups in the format of OpenSSH's moduli(5):
//
//	timestamp type tests tries size generator modulus
//
// keeping safe primes (type 2) that passed at least one test besides the
// composite sieve with one or more tries, whose modulus has size+1 bits.
// Comments (#) and blank lines are skipped. A malformed line is an error
// wrapping ErrModuli; lines with other types or tests are skipped.
func ParseModuli(r io.Reader) ([]*Group, error) {
	var groups []*Group
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 8192), 64<<10)
	line := 0
	for s.Scan() {
		line++
		t := strings.TrimSpace(s.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if len(f) != 7 {
			return nil, fmt.Errorf("%w %d: %d fields", ErrModuli, line, len(f))
		}
		typ, err1 := strconv.Atoi(f[1])
		tests, err2 := strconv.Atoi(f[2])
		tries, err3 := strconv.Atoi(f[3])
		size, err4 := strconv.Atoi(f[4])
		gen, err5 := strconv.Atoi(f[5])
		p, ok := new(big.Int).SetString(f[6], 16)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil || !ok {
			return nil, fmt.Errorf("%w %d", ErrModuli, line)
		}
		const typeSafe, testComposite = 2, 0x01
		if typ != typeSafe || tests&testComposite != 0 || tests&^testComposite == 0 || tries == 0 {
			continue
		}
		if p.BitLen() != size+1 || gen < 2 || p.Bit(0) == 0 {
			return nil, fmt.Errorf("%w %d: size or generator", ErrModuli, line)
		}
		groups = append(groups, &Group{P: p, G: big.NewInt(int64(gen))})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("kex: reading moduli: %w", err)
	}
	return groups, nil
}
