package kex

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"io"

	fastmlkem "github.com/sshstack/sshstack/kex/internal/mlkem768"
	"github.com/sshstack/sshstack/kex/internal/sntrup761"
	"github.com/sshstack/sshstack/kex/internal/x25519"
	"github.com/sshstack/sshstack/wire"
)

// A kem is the common shape of the methods that exchange one
// SSH_MSG_KEX_ECDH_INIT and one SSH_MSG_KEX_ECDH_REPLY (RFC 5656,
// Section 4): ECDH on the NIST curves, curve25519 (RFC 8731) and the
// hybrid post-quantum KEMs. The client generates an ephemeral key and
// sends its public part Q_C; the server encapsulates to it and replies
// with Q_S; both hash
//
//	string V_C || string V_S || string I_C || string I_S || string K_S ||
//	string Q_C || string Q_S || K
//
// with the method's hash.
type kem struct {
	name string
	hash crypto.Hash
	// generate makes the client's ephemeral key; decap turns the
	// server's Q_S into the encoded shared secret K.
	generate func(rand io.Reader) (qc, priv []byte, decap func(qs []byte) ([]byte, error), err error)
	// encap answers Q_C with Q_S and the encoded K.
	encap func(rand io.Reader, qc []byte) (qs, k, priv []byte, err error)
	// Both also return the ephemeral private key, priv, for a key log
	// (Result.PrivateKey), or nil where the key log does not carry it
	// (see KeyLogLines).
}

func (m *kem) Name() string { return m.name }

func (m *kem) Run(ctx context.Context, c Conn, p *Params) (*Result, error) {
	if p.Role == Server {
		return m.server(ctx, c, p)
	}
	return m.client(ctx, c, p)
}

func (m *kem) client(ctx context.Context, c Conn, p *Params) (*Result, error) {
	qc, priv, decap, err := m.generate(p.rand())
	if err != nil {
		return nil, fmt.Errorf("kex: %s: generating key: %w", m.name, err)
	}
	init := wire.KexECDHInit{ClientPublic: qc}
	if err := c.WritePacket(ctx, init.Append(nil)); err != nil {
		return nil, err
	}
	payload, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	reply, err := parseMethodMessage(payload, wire.MsgKexECDHReply, wire.ParseKexECDHReply)
	if err != nil {
		return nil, err
	}
	k, err := decap(reply.ServerPublic)
	if err != nil {
		return nil, fmt.Errorf("kex: %s: %w", m.name, err)
	}
	h := p.ExchangeHash(m.hash, reply.HostKey, ecdhFields(qc, reply.ServerPublic), k)
	if err := p.verifyH(reply.HostKey, h, reply.Signature); err != nil {
		return nil, err
	}
	res := &Result{K: k, H: h, Hash: m.hash, HostKey: clone(reply.HostKey)}
	if p.KeyLog {
		res.PrivateKey = priv
	}
	return res, nil
}

func (m *kem) server(ctx context.Context, c Conn, p *Params) (*Result, error) {
	payload, err := c.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	init, err := parseMethodMessage(payload, wire.MsgKexECDHInit, wire.ParseKexECDHInit)
	if err != nil {
		return nil, err
	}
	qc := clone(init.ClientPublic)
	qs, k, priv, err := m.encap(p.rand(), qc)
	if err != nil {
		return nil, fmt.Errorf("kex: %s: %w", m.name, err)
	}
	var hostKey []byte
	if p.HostKey != nil {
		hostKey = p.HostKey.PublicKey()
	}
	h := p.ExchangeHash(m.hash, hostKey, ecdhFields(qc, qs), k)
	hostKey, sig, err := p.signH(h)
	if err != nil {
		return nil, err
	}
	reply := wire.KexECDHReply{HostKey: hostKey, ServerPublic: qs, Signature: sig}
	if err := c.WritePacket(ctx, reply.Append(nil)); err != nil {
		return nil, err
	}
	res := &Result{K: k, H: h, Hash: m.hash, HostKey: clone(hostKey)}
	if p.KeyLog {
		res.PrivateKey = priv
	}
	return res, nil
}

func ecdhFields(qc, qs []byte) []byte {
	b := make([]byte, 0, 8+len(qc)+len(qs))
	return wire.AppendString(wire.AppendString(b, qc), qs)
}

// parseMethodMessage checks the message number before parsing, so that a
// message of another kind is reported as unexpected rather than as a
// decoding error.
func parseMethodMessage[T any](payload []byte, want wire.MsgNum, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if len(payload) == 0 || wire.MsgNum(payload[0]) != want {
		got := "empty payload"
		if len(payload) > 0 {
			got = wire.MsgNum(payload[0]).String()
		}
		return zero, fmt.Errorf("kex: got %s, want message %d: %w", got, want, ErrUnexpectedMessage)
	}
	m, err := parse(payload)
	if err != nil {
		return zero, fmt.Errorf("kex: %w", err)
	}
	return m, nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// ecdhKEM builds a kem from a crypto/ecdh curve. K is the shared secret
// (the x coordinate for the NIST curves, the X25519 output for
// curve25519) encoded as an mpint.
func ecdhKEM(name string, h crypto.Hash, curve ecdh.Curve) *kem {
	if curve == ecdh.X25519() {
		return x25519KEM(name, h)
	}
	return &kem{
		name: name,
		hash: h,
		generate: func(rand io.Reader) ([]byte, []byte, func([]byte) ([]byte, error), error) {
			priv, err := curve.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			decap := func(qs []byte) ([]byte, error) {
				secret, err := ECDHSharedSecret(curve, priv, qs)
				if err != nil {
					return nil, err
				}
				return wire.AppendMPIntBytes(nil, secret), nil
			}
			// Wireshark recomputes K from the X25519 scalar only; the
			// NIST curves' private keys stay out of the key log.
			return priv.PublicKey().Bytes(), nil, decap, nil
		},
		encap: func(rand io.Reader, qc []byte) ([]byte, []byte, []byte, error) {
			priv, err := curve.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			secret, err := ECDHSharedSecret(curve, priv, qc)
			if err != nil {
				return nil, nil, nil, err
			}
			return priv.PublicKey().Bytes(), wire.AppendMPIntBytes(nil, secret), nil, nil
		},
	}
}

// x25519KEM is curve25519-sha256 (RFC 8731) with package
// internal/x25519: a fixed-base key generation, and one ladder for the
// shared secret where crypto/ecdh runs two (its private key type
// computes the public key again). The private scalar goes to the key log.
func x25519KEM(name string, h crypto.Hash) *kem {
	return &kem{
		name: name,
		hash: h,
		generate: func(rand io.Reader) ([]byte, []byte, func([]byte) ([]byte, error), error) {
			priv, pub, err := x25519.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			decap := func(qs []byte) ([]byte, error) {
				secret, err := x25519SharedSecret(priv, qs)
				if err != nil {
					return nil, err
				}
				return wire.AppendMPIntBytes(nil, secret), nil
			}
			return pub, priv, decap, nil
		},
		encap: func(rand io.Reader, qc []byte) ([]byte, []byte, []byte, error) {
			priv, pub, err := x25519.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			secret, err := x25519SharedSecret(priv, qc)
			if err != nil {
				return nil, nil, nil, err
			}
			return pub, wire.AppendMPIntBytes(nil, secret), priv, nil
		},
	}
}

// x25519SharedSecret checks the peer's value (exactly 32 bytes, RFC 8731,
// Section 3) and refuses an all-zero shared secret (a low-order point,
// docs/security.md#k7); a failure wraps ErrInvalidPublicValue.
func x25519SharedSecret(priv, peer []byte) ([]byte, error) {
	if len(peer) != x25519.Size {
		return nil, fmt.Errorf("%w: X25519 public value of %d bytes", ErrInvalidPublicValue, len(peer))
	}
	secret, err := x25519.SharedSecret(priv, peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicValue, err)
	}
	return secret, nil
}

// ECDHSharedSecret validates the peer's public value and computes the
// shared secret; a failure wraps ErrInvalidPublicValue. crypto/ecdh
// accepts only the uncompressed encoding of a point on the curve, never
// the point at infinity (RFC 5656, Section 4; docs/security.md#k6), and for
// X25519 exactly 32 bytes, failing on an all-zero result from a low-order
// point (RFC 8731, Section 3; docs/security.md#k7).
func ECDHSharedSecret(curve ecdh.Curve, priv *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := curve.NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicValue, err)
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicValue, err)
	}
	if allZero(secret) { // crypto/ecdh already refuses this; belt and braces
		return nil, fmt.Errorf("%w: all-zero shared secret", ErrInvalidPublicValue)
	}
	return secret, nil
}

func allZero(b []byte) bool {
	var acc byte
	for _, x := range b {
		acc |= x
	}
	return acc == 0
}

// A hybrid combines a post-quantum KEM with X25519: Q_C is the KEM public
// key followed by the X25519 public key, Q_S the KEM ciphertext followed
// by the server's X25519 public key, and K = HASH(kem_secret ||
// x25519_secret) encoded as a string (draft-ietf-sshm-mlkem-hybrid-kex,
// Section 2; draft-ietf-sshm-ntruprime-ssh, Section 2).
type hybrid struct {
	pkSize, ctSize int
	keygen         func(rand io.Reader) (pk []byte, decap func(ct []byte) ([]byte, error), err error)
	encap          func(rand io.Reader, pk []byte) (ct, secret []byte, err error)
}

func hybridKEM(name string, h crypto.Hash, pq hybrid) *kem {
	const xlen = x25519.Size
	combine := func(pqSecret, xSecret []byte) []byte {
		d := h.New()
		d.Write(pqSecret)
		d.Write(xSecret)
		return wire.AppendString(nil, d.Sum(nil))
	}
	return &kem{
		name: name,
		hash: h,
		generate: func(rand io.Reader) ([]byte, []byte, func([]byte) ([]byte, error), error) {
			pk, pqDecap, err := pq.keygen(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			priv, pub, err := x25519.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			qc := append(pk, pub...)
			decap := func(qs []byte) ([]byte, error) {
				if len(qs) != pq.ctSize+xlen {
					return nil, fmt.Errorf("%w: reply of %d bytes, want %d", ErrInvalidPublicValue, len(qs), pq.ctSize+xlen)
				}
				pqSecret, err := pqDecap(qs[:pq.ctSize])
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrInvalidPublicValue, err)
				}
				xSecret, err := x25519SharedSecret(priv, qs[pq.ctSize:])
				if err != nil {
					return nil, err
				}
				return combine(pqSecret, xSecret), nil
			}
			return qc, nil, decap, nil
		},
		encap: func(rand io.Reader, qc []byte) ([]byte, []byte, []byte, error) {
			if len(qc) != pq.pkSize+xlen {
				return nil, nil, nil, fmt.Errorf("%w: init of %d bytes, want %d", ErrInvalidPublicValue, len(qc), pq.pkSize+xlen)
			}
			ct, pqSecret, err := pq.encap(rand, qc[:pq.pkSize])
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%w: %v", ErrInvalidPublicValue, err)
			}
			priv, pub, err := x25519.GenerateKey(rand)
			if err != nil {
				return nil, nil, nil, err
			}
			xSecret, err := x25519SharedSecret(priv, qc[pq.pkSize:])
			if err != nil {
				return nil, nil, nil, err
			}
			qs := append(ct, pub...)
			return qs, combine(pqSecret, xSecret), nil, nil
		},
	}
}

// mlkem768 is ML-KEM-768 (FIPS 203): on CPUs where its AVX2 kernels run,
// this module's own (internal/mlkem768, decision 0041), 2.3 times
// faster per connection; elsewhere crypto/mlkem. Both draw their randomness from
// the operating system; rand is not used.
var mlkem768 = func() hybrid {
	if fastmlkem.Accelerated() {
		return mlkem768Fast
	}
	return mlkem768Std
}()

var mlkem768Std = hybrid{
	pkSize: mlkem.EncapsulationKeySize768,
	ctSize: mlkem.CiphertextSize768,
	keygen: func(io.Reader) ([]byte, func([]byte) ([]byte, error), error) {
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, nil, err
		}
		return dk.EncapsulationKey().Bytes(), dk.Decapsulate, nil
	},
	encap: func(_ io.Reader, pk []byte) ([]byte, []byte, error) {
		ek, err := mlkem.NewEncapsulationKey768(pk)
		if err != nil {
			return nil, nil, err
		}
		secret, ct := ek.Encapsulate()
		return ct, secret, nil
	},
}

var mlkem768Fast = hybrid{
	pkSize: fastmlkem.EncapsulationKeySize,
	ctSize: fastmlkem.CiphertextSize,
	keygen: func(io.Reader) ([]byte, func([]byte) ([]byte, error), error) {
		dk, err := fastmlkem.GenerateKey()
		if err != nil {
			return nil, nil, err
		}
		return dk.EncapsulationKey(), dk.Decapsulate, nil
	},
	encap: func(_ io.Reader, pk []byte) ([]byte, []byte, error) {
		secret, ct, err := fastmlkem.Encapsulate(pk)
		if err != nil {
			return nil, nil, err
		}
		return ct, secret, nil
	},
}

// sntrup761 is Streamlined NTRU Prime 761, implemented in this module.
var sntrup = hybrid{
	pkSize: sntrup761.PublicKeySize,
	ctSize: sntrup761.CiphertextSize,
	keygen: func(rand io.Reader) ([]byte, func([]byte) ([]byte, error), error) {
		pk, sk, err := sntrup761.GenerateKey(bufferedRand(rand))
		if err != nil {
			return nil, nil, err
		}
		return pk, func(ct []byte) ([]byte, error) { return sntrup761.Decapsulate(sk, ct) }, nil
	},
	encap: func(rand io.Reader, pk []byte) ([]byte, []byte, error) {
		return sntrup761.Encapsulate(bufferedRand(rand), pk)
	},
}

// bufferedRand batches sntrup761's many 4-byte reads.
func bufferedRand(r io.Reader) io.Reader { return &randBuffer{r: r} }

type randBuffer struct {
	r   io.Reader
	buf [4096]byte
	n   int // unread bytes at the end of buf
}

func (b *randBuffer) Read(p []byte) (int, error) {
	if len(p) > len(b.buf) {
		return io.ReadFull(b.r, p)
	}
	if b.n < len(p) {
		// Drop the few leftover bytes and refill.
		if _, err := io.ReadFull(b.r, b.buf[:]); err != nil {
			return 0, err
		}
		b.n = len(b.buf)
	}
	start := len(b.buf) - b.n
	copy(p, b.buf[start:start+len(p)])
	clear(b.buf[start : start+len(p)])
	b.n -= len(p)
	return len(p), nil
}

func kemMethods() []Method {
	return []Method{
		hybridKEM(MLKEM768X25519SHA256, crypto.SHA256, mlkem768),
		hybridKEM(SNTRUP761X25519SHA512, crypto.SHA512, sntrup),
		hybridKEM(SNTRUP761X25519SHA512OpenSSH, crypto.SHA512, sntrup),
		ecdhKEM(Curve25519SHA256, crypto.SHA256, ecdh.X25519()),
		ecdhKEM(Curve25519SHA256LibSSH, crypto.SHA256, ecdh.X25519()),
		ecdhKEM(ECDHSHA2NISTP256, crypto.SHA256, ecdh.P256()),
		ecdhKEM(ECDHSHA2NISTP384, crypto.SHA384, ecdh.P384()),
		ecdhKEM(ECDHSHA2NISTP521, crypto.SHA512, ecdh.P521()),
	}
}

var (
	_ = sha256.New // the hash functions must be linked in
	_ = sha512.New
)
