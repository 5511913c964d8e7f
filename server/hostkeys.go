package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// errNotOurKey refuses a hostkeys-prove-00 request for a key the server
// does not hold.
var errNotOurKey = errors.New("server: not one of our host keys")

// notifyHostKeys tells the client every host key after authentication
// ("hostkeys-00@openssh.com", OpenSSH PROTOCOL, Section 2.5), as sshd
// does, so that a client with UpdateHostKeys can learn the ones it does
// not know (and stop trusting ones no longer listed).
func (c *Conn) notifyHostKeys(ctx context.Context) {
	var m wire.HostKeys
	for _, k := range c.srv.HostKeys {
		if _, isCert := k.PublicKey().(*hostkey.Certificate); !isCert {
			m.Keys = append(m.Keys, k.PublicKey().Marshal())
		}
	}
	if len(m.Keys) == 0 {
		return
	}
	if _, _, err := c.mux.SendRequest(ctx, wire.GlobalHostKeys, false, m.Append(nil)); err != nil {
		c.srv.log().Debug("hostkeys-00", "err", err)
	}
}

// proveHostKeys answers "hostkeys-prove-00@openssh.com": a signature by
// each requested key over the request name, the session identifier and
// the key. RSA keys sign with the negotiated rsa-sha2 algorithm, or
// rsa-sha2-512.
func (c *Conn) proveHostKeys(blobs [][]byte) ([][]byte, error) {
	sid := c.t.SessionID()
	kexAlg := c.t.Algorithms().HostKey
	var rnd io.Reader = rand.Reader
	sigs := make([][]byte, 0, len(blobs))
	for _, b := range blobs {
		i := -1
		for j, k := range c.srv.HostKeys {
			if bytes.Equal(k.PublicKey().Marshal(), b) {
				i = j
				break
			}
		}
		if i < 0 {
			return nil, errNotOurKey
		}
		k := c.srv.HostKeys[i]
		data := wire.AppendString(wire.AppendString(wire.AppendString(nil, wire.GlobalHostKeysProve), sid), b)
		algs := hostkey.SignatureAlgorithms(k.PublicKey())
		alg := algs[0] // rsa-sha2-512 for RSA
		if len(algs) > 1 && hostkey.KeyTypeForAlgorithm(kexAlg) == k.PublicKey().Type() && hostkey.SignatureFormat(kexAlg) != hostkey.RSA {
			alg = kexAlg
		}
		var sig *hostkey.Signature
		var err error
		if as, ok := k.(hostkey.AlgorithmSigner); ok {
			sig, err = as.SignWithAlgorithm(rnd, data, alg)
		} else {
			sig, err = k.Sign(rnd, data)
		}
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig.Marshal())
	}
	return sigs, nil
}
