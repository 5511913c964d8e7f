package kex

import (
	"crypto"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// ExchangeHash returns the exchange hash H (RFC 4253, Section 8; the same
// construction in RFC 4419, RFC 5656, RFC 8731 and the hybrid drafts):
//
//	HASH(string V_C || string V_S || string I_C || string I_S ||
//	     string K_S || fields || K)
//
// hostKey is K_S (nil encodes as an empty string, as the GSS-API methods
// with the "null" host key require), fields are the method-specific
// values already encoded (for ECDH "string Q_C || string Q_S", for
// group exchange "uint32 min || uint32 n || uint32 max || mpint p ||
// mpint g || mpint e || mpint f"), and k is the encoded shared secret.
func (p *Params) ExchangeHash(h crypto.Hash, hostKey, fields, k []byte) []byte {
	d := h.New()
	writeString(d, p.ClientVersion)
	writeString(d, p.ServerVersion)
	writeString(d, p.ClientKexInit)
	writeString(d, p.ServerKexInit)
	writeString(d, hostKey)
	d.Write(fields)
	d.Write(k)
	return d.Sum(nil)
}

func writeString(d hash.Hash, s []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s)))
	d.Write(n[:])
	d.Write(s)
}

func (p *Params) rand() io.Reader {
	if p.Rand != nil {
		return p.Rand
	}
	return rand.Reader
}

// signH signs the exchange hash with the server's host key.
func (p *Params) signH(h []byte) (hostKey, sig []byte, err error) {
	if p.HostKey == nil {
		return nil, nil, fmt.Errorf("kex: no host key for %s", p.HostKeyAlgorithm)
	}
	sig, err = p.HostKey.Sign(p.rand(), p.HostKeyAlgorithm, h)
	if err != nil {
		return nil, nil, fmt.Errorf("kex: signing the exchange hash: %w", err)
	}
	return p.HostKey.PublicKey(), sig, nil
}

// verifyH checks the server's signature of the exchange hash.
func (p *Params) verifyH(hostKey, h, sig []byte) error {
	if p.Verifier == nil {
		return fmt.Errorf("%w: no host key verifier", ErrHostKey)
	}
	if err := p.Verifier.VerifyHostKey(p.HostKeyAlgorithm, hostKey, h, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrHostKey, err)
	}
	return nil
}

// Key letters of RFC 4253, Section 7.2.
const (
	IVClientToServer     = 'A'
	IVServerToClient     = 'B'
	KeyClientToServer    = 'C'
	KeyServerToClient    = 'D'
	MACKeyClientToServer = 'E'
	MACKeyServerToClient = 'F'
)

// DeriveKey returns n bytes of key material for the given letter
// ('A'-'F') by RFC 4253, Section 7.2:
//
//	K1 = HASH(K || H || letter || session_id)
//	K2 = HASH(K || H || K1)
//	K3 = HASH(K || H || K1 || K2) ...
//
// and the key is the first n bytes of K1 || K2 || ... . k is the encoded
// shared secret (Result.K).
func DeriveKey(h crypto.Hash, k, exchangeHash, sessionID []byte, letter byte, n int) []byte {
	out := make([]byte, 0, n+h.Size())
	d := h.New()
	d.Write(k)
	d.Write(exchangeHash)
	d.Write([]byte{letter})
	d.Write(sessionID)
	out = d.Sum(out)
	for len(out) < n {
		d.Reset()
		d.Write(k)
		d.Write(exchangeHash)
		d.Write(out)
		out = d.Sum(out)
	}
	return out[:n:n]
}

// DirectionKeys is the key material for one direction of the connection.
type DirectionKeys struct {
	IV, Key, MACKey []byte
}

// Keys derives the IVs, encryption keys and integrity keys of both
// directions (RFC 4253, Section 7.2) for the given sizes in bytes.
// sessionID is the exchange hash of the first key exchange.
func (r *Result) Keys(sessionID []byte, c2s, s2c KeySizes) (clientToServer, serverToClient DirectionKeys) {
	d := func(letter byte, n int) []byte {
		if n == 0 {
			return nil
		}
		return DeriveKey(r.Hash, r.K, r.H, sessionID, letter, n)
	}
	clientToServer = DirectionKeys{
		IV:     d(IVClientToServer, c2s.IV),
		Key:    d(KeyClientToServer, c2s.Key),
		MACKey: d(MACKeyClientToServer, c2s.MACKey),
	}
	serverToClient = DirectionKeys{
		IV:     d(IVServerToClient, s2c.IV),
		Key:    d(KeyServerToClient, s2c.Key),
		MACKey: d(MACKeyServerToClient, s2c.MACKey),
	}
	return clientToServer, serverToClient
}

// KeySizes says how many bytes of each key one direction needs.
type KeySizes struct {
	IV, Key, MACKey int
}
