package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// errNotOurKey refuses a hostkeys-prove-00 request for a key the server
// does not hold.
var errNotOurKey = errors.New("server: not one of our host keys")

// hostKeysPayload is the "hostkeys-00@openssh.com" request (OpenSSH
// PROTOCOL, Section 2.5) that tells the client every host key, or nil
// when there is none to tell (certificates are left out, as sshd does).
// It goes right after USERAUTH_SUCCESS, in the same write
// (userauth.ConnInfo.AfterSuccess), as sshd sends it first thing after
// authentication, so that a client with UpdateHostKeys can learn the
// ones it does not know (and stop trusting ones no longer listed). It
// asks for no reply, so the connection layer need not be running yet.
func (s *Server) hostKeysPayload() []byte {
	var m wire.HostKeys
	for _, k := range s.HostKeys {
		if _, isCert := k.PublicKey().(*hostkey.Certificate); !isCert {
			m.Keys = append(m.Keys, k.PublicKey().Marshal())
		}
	}
	if len(m.Keys) == 0 {
		return nil
	}
	r := wire.GlobalRequest{Name: wire.GlobalHostKeys, Data: m.Append(nil)}
	return r.Append(nil)
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
