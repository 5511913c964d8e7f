package kex

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"math/big"

	"github.com/sshstack/sshstack/wire"
)

// A Group is a finite-field Diffie-Hellman group: a safe prime P and a
// generator G.
type Group struct {
	P, G *big.Int
}

func mustGroup(hexP string) *Group {
	p, ok := new(big.Int).SetString(hexP, 16)
	if !ok {
		panic("kex: bad built-in prime")
	}
	return &Group{P: p, G: big.NewInt(2)}
}

// Built-in groups (RFC 3526; RFC 2409 for group 1). They are also the
// group-exchange fallback when no moduli file is available, as in OpenSSH.
var (
	group1  = mustGroup(oakleyGroup2)
	group14 = mustGroup(modp2048)
	group15 = mustGroup(modp3072)
	group16 = mustGroup(modp4096)
	group17 = mustGroup(modp6144)
	group18 = mustGroup(modp8192)
)

// Group1, Group14 to Group18 return the built-in groups: Oakley Group 2
// (RFC 2409, Section 6.2; "group1" in RFC 4253, Section 8.1) and the
// 2048-, 3072-, 4096-, 6144- and 8192-bit MODP groups of RFC 3526, all
// with generator 2. Plug-in methods such as the GSS-API key exchange use them.
// The result is shared: callers must not modify it.
func Group1() *Group  { return group1 }
func Group14() *Group { return group14 } // See Group1.
func Group15() *Group { return group15 } // See Group1.
func Group16() *Group { return group16 } // See Group1.
func Group17() *Group { return group17 } // See Group1.
func Group18() *Group { return group18 } // See Group1.

// GenerateKey returns a random private exponent x and the public value
// g^x mod p for a method whose hash is h: x has twice the bits of h's
// output, at least 512 and fewer than p's.
func (g *Group) GenerateKey(rand io.Reader, h crypto.Hash) (x, pub *big.Int, err error) {
	return g.generate(rand, exponentBits(g, h))
}

// exponentBits is the size of our private exponent: twice the security
// level the method's hash offers, at least 512 bits (OpenSSH's dh_gen_key
// uses twice the cipher's key bits, at least 512).
func exponentBits(g *Group, h crypto.Hash) int {
	n := 2 * 8 * h.Size()
	if n < 512 {
		n = 512
	}
	if max := g.P.BitLen() - 1; n > max {
		n = max
	}
	return n
}

// generate returns a random private exponent x and the public value
// g^x mod p.
func (g *Group) generate(rand io.Reader, bits int) (x, pub *big.Int, err error) {
	buf := make([]byte, (bits+7)/8)
	for {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, nil, err
		}
		buf[0] &= byte(0xff >> (8*len(buf) - bits))
		x = new(big.Int).SetBytes(buf)
		if x.BitLen() > 1 { // x >= 2
			break
		}
	}
	pub = new(big.Int).Exp(g.G, x, g.P)
	return x, pub, nil
}

// CheckPublic reports an error wrapping ErrInvalidPublicValue unless
// 2 <= v <= p-2 (RFC 4253, Section 8, and a bit more: 1 and p-1 only
// generate the subgroup of order 2; docs/security.md#k8).
func (g *Group) CheckPublic(v *big.Int) error {
	pm2 := new(big.Int).Sub(g.P, big.NewInt(2))
	if v.Cmp(big.NewInt(2)) < 0 || v.Cmp(pm2) > 0 {
		return fmt.Errorf("%w: DH value outside [2, p-2]", ErrInvalidPublicValue)
	}
	return nil
}

// SharedSecret computes K = peer^x mod p after checking peer with
// CheckPublic, and refuses a degenerate K.
func (g *Group) SharedSecret(peer, x *big.Int) (*big.Int, error) {
	if err := g.CheckPublic(peer); err != nil {
		return nil, err
	}
	k := new(big.Int).Exp(peer, x, g.P)
	if k.Cmp(big.NewInt(1)) <= 0 {
		return nil, fmt.Errorf("%w: degenerate shared secret", ErrInvalidPublicValue)
	}
	return k, nil
}

// dhGroup is a diffie-hellman-groupN-* method with a fixed group
// (RFC 4253, Section 8; RFC 8268): the client sends e = g^x in
// SSH_MSG_KEXDH_INIT, the server answers with K_S, f = g^y and the
// signature of H = HASH(V_C || V_S || I_C || I_S || K_S || e || f || K).
type dhGroup struct {
	name  string
	hash  crypto.Hash
	group *Group
}

func (m *dhGroup) Name() string { return m.name }

func (m *dhGroup) Run(ctx context.Context, c Conn, p *Params) (*Result, error) {
	bits := exponentBits(m.group, m.hash)
	if p.Role == Client {
		x, e, err := m.group.generate(p.rand(), bits)
		if err != nil {
			return nil, err
		}
		init := wire.KexDHInit{E: e.Bytes()}
		if err := c.WritePacket(ctx, init.Append(nil)); err != nil {
			return nil, err
		}
		payload, err := c.ReadPacket(ctx)
		if err != nil {
			return nil, err
		}
		reply, err := parseMethodMessage(payload, wire.MsgKexDHReply, wire.ParseKexDHReply)
		if err != nil {
			return nil, err
		}
		f := new(big.Int).SetBytes(reply.F)
		k, err := m.group.SharedSecret(f, x)
		if err != nil {
			return nil, fmt.Errorf("kex: %s: %w", m.name, err)
		}
		kEnc := wire.AppendMPInt(nil, k)
		h := p.ExchangeHash(m.hash, reply.HostKey, dhFields(nil, e, f), kEnc)
		if err := p.verifyH(reply.HostKey, h, reply.Signature); err != nil {
			return nil, err
		}
		return withPrivateKey(&Result{K: kEnc, H: h, Hash: m.hash, HostKey: clone(reply.HostKey)}, p, x), nil
	}

	payload, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	init, err := parseMethodMessage(payload, wire.MsgKexDHInit, wire.ParseKexDHInit)
	if err != nil {
		return nil, err
	}
	e := new(big.Int).SetBytes(init.E)
	y, f, err := m.group.generate(p.rand(), bits)
	if err != nil {
		return nil, err
	}
	k, err := m.group.SharedSecret(e, y)
	if err != nil {
		return nil, fmt.Errorf("kex: %s: %w", m.name, err)
	}
	kEnc := wire.AppendMPInt(nil, k)
	var hostKey []byte
	if p.HostKey != nil {
		hostKey = p.HostKey.PublicKey()
	}
	h := p.ExchangeHash(m.hash, hostKey, dhFields(nil, e, f), kEnc)
	hostKey, sig, err := p.signH(h)
	if err != nil {
		return nil, err
	}
	reply := wire.KexDHReply{HostKey: hostKey, F: f.Bytes(), Signature: sig}
	if err := c.WritePacket(ctx, reply.Append(nil)); err != nil {
		return nil, err
	}
	return withPrivateKey(&Result{K: kEnc, H: h, Hash: m.hash, HostKey: clone(hostKey)}, p, y), nil
}

// withPrivateKey sets res.PrivateKey to the DH exponent when the
// transport keeps a key log.
func withPrivateKey(res *Result, p *Params, x *big.Int) *Result {
	if p.KeyLog {
		res.PrivateKey = x.Bytes()
	}
	return res
}

func dhFields(b []byte, e, f *big.Int) []byte {
	return wire.AppendMPInt(wire.AppendMPInt(b, e), f)
}

func dhMethods() []Method {
	return []Method{
		&dhGroup{DHGroup14SHA256, crypto.SHA256, group14},
		&dhGroup{DHGroup16SHA512, crypto.SHA512, group16},
		&dhGroup{DHGroup18SHA512, crypto.SHA512, group18},
		&dhGroup{DHGroup14SHA1, crypto.SHA1, group14},
		&dhGroup{DHGroup1SHA1, crypto.SHA1, group1},
	}
}
