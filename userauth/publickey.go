package userauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// MethodPublicKeyHostbound is OpenSSH's host-bound publickey method
// (OpenSSH PROTOCOL, Section 2.5): a publickey request whose signature
// also covers the server's host key, so it cannot be forwarded to
// another server. Servers list it as "publickey" among the methods that
// can continue.
const MethodPublicKeyHostbound = "publickey-hostbound-v00@openssh.com"

// PrivateKey is the "publickey" method with one key (RFC 4252,
// Section 7): paramiko's PrivateKey, InMemoryPrivateKey and
// OnDiskPrivateKey in one type, made by InMemoryPrivateKey,
// OnDiskPrivateKey and agentauth.Sources. With Query set, or when the signer
// is not loaded yet (an encrypted key file), the key is first offered
// without a signature and signed only after USERAUTH_PK_OK.
type PrivateKey struct {
	// Query offers the key and signs only after the server accepts it;
	// set it for keys that are expensive to use (agents, hardware).
	Query bool

	// Label names the source in an AuthResult, for example the file.
	Label string

	// Algorithms, if not nil, are the public-key algorithms the source
	// may use (OpenSSH's PubkeyAcceptedAlgorithms, certificate
	// algorithms included). A key none of whose algorithms is listed is
	// not offered: the attempt ends with ErrAlgorithmNotAccepted.
	Algorithms []string

	signer hostkey.Signer
	// load returns the public key and a function that returns the
	// signer, for keys loaded lazily; nil if signer is set.
	load func(ctx context.Context) (hostkey.PublicKey, func(context.Context) (hostkey.Signer, error), error)
}

var _ Method = (*PrivateKey)(nil)

// InMemoryPrivateKey returns a source for a signer the caller holds, for
// example a *hostkey.CryptoSigner or a *hostkey.CertSigner (a
// certificate as user key).
func InMemoryPrivateKey(s hostkey.Signer) *PrivateKey { return &PrivateKey{signer: s} }

// OnDiskPrivateKey returns a source for the private key file at path
// (any format hostkey.ParsePrivateKey reads), read when the source runs.
// An encrypted openssh-key-v1 file is offered by its public key first,
// and passphrase is asked only after the server accepts the key; a nil
// passphrase leaves such a key unusable. If certFile is not empty, the
// certificate in it (a "-cert.pub" file) is presented as the user key.
func OnDiskPrivateKey(path, certFile string, passphrase func(ctx context.Context, path string) ([]byte, error)) *PrivateKey {
	pk := &PrivateKey{Label: path}
	pk.load = func(ctx context.Context) (hostkey.PublicKey, func(context.Context) (hostkey.Signer, error), error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("userauth: reading key: %w", err)
		}
		var cert *hostkey.Certificate
		if certFile != "" {
			cert, err = readCert(certFile)
			if err != nil {
				return nil, nil, err
			}
		}
		wrap := func(s hostkey.Signer) (hostkey.Signer, error) {
			if cert == nil {
				return s, nil
			}
			return hostkey.NewCertSigner(cert, s)
		}
		s, err := hostkey.ParsePrivateKey(data, nil)
		var missing *hostkey.PassphraseMissingError
		switch {
		case err == nil:
			ws, err := wrap(s)
			if err != nil {
				return nil, nil, err
			}
			return ws.PublicKey(), func(context.Context) (hostkey.Signer, error) { return ws, nil }, nil
		case errors.As(err, &missing) && missing.PublicKey != nil:
			pub := missing.PublicKey
			if cert != nil {
				if !hostkey.Equal(cert.Key, pub) {
					return nil, nil, fmt.Errorf("userauth: %s: certificate is for another key: %w", certFile, hostkey.ErrInvalidKey)
				}
				pub = cert
			}
			return pub, func(ctx context.Context) (hostkey.Signer, error) {
				if passphrase == nil {
					return nil, fmt.Errorf("userauth: %s: %w", path, err)
				}
				pp, err := passphrase(ctx, path)
				if err != nil {
					return nil, fmt.Errorf("userauth: passphrase for %s: %w", path, err)
				}
				s, err := hostkey.ParsePrivateKey(data, pp)
				clear(pp)
				if err != nil {
					return nil, fmt.Errorf("userauth: %s: %w", path, err)
				}
				return wrap(s)
			}, nil
		default:
			return nil, nil, fmt.Errorf("userauth: %s: %w", path, err)
		}
	}
	return pk
}

func readCert(file string) (*hostkey.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("userauth: reading certificate: %w", err)
	}
	pub, _, err := hostkey.ParsePublicKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("userauth: %s: %w", file, err)
	}
	cert, ok := pub.(*hostkey.Certificate)
	if !ok {
		return nil, fmt.Errorf("userauth: %s holds no certificate: %w", file, hostkey.ErrInvalidKey)
	}
	return cert, nil
}

func (k *PrivateKey) Name() string { return wire.MethodPublicKey }

func (k *PrivateKey) String() string {
	if k.Label != "" {
		return "publickey " + k.Label
	}
	if k.signer != nil {
		pub := k.signer.PublicKey()
		return "publickey " + pub.Type() + " " + hostkey.FingerprintSHA256(pub)
	}
	return "publickey"
}

// Authenticate offers the key (RFC 4252, Section 7) with the signature
// algorithm chosen from the server's server-sig-algs (RFC 8332,
// Section 3.2), bound to the host key when the server offered
// publickey-hostbound@openssh.com.
func (k *PrivateKey) Authenticate(ctx context.Context, c *ClientConn) error {
	var pub hostkey.PublicKey
	getSigner := func(context.Context) (hostkey.Signer, error) { return k.signer, nil }
	query := k.Query
	switch {
	case k.signer != nil:
		pub = k.signer.PublicKey()
	case k.load != nil:
		var err error
		if pub, getSigner, err = k.load(ctx); err != nil {
			return err
		}
		query = true
	default:
		return errors.New("userauth: publickey source without a key")
	}
	alg := chooseAlgorithm(pub, c.ServerSigAlgs(), k.Algorithms)
	if alg == "" {
		return fmt.Errorf("userauth: %s key: %w", pub.Type(), ErrAlgorithmNotAccepted)
	}
	pk := pkRequest{method: wire.MethodPublicKey, alg: alg, blob: pub.Marshal()}
	if c.Hostbound() && c.HostKey() != nil {
		pk.method, pk.hostKey = MethodPublicKeyHostbound, c.HostKey()
	}
	if query {
		if err := c.Request(pk.request()); err != nil {
			return err
		}
		p, err := c.Next(ctx)
		if err != nil {
			return err // ErrAnswered: the server refused the key
		}
		ok, err := wire.ParseUserauthPKOK(p)
		if err != nil {
			return c.malformed(err)
		}
		if ok.Algorithm != pk.alg || !bytes.Equal(ok.PublicKey, pk.blob) {
			return c.protocol(p, "PK_OK for another key")
		}
		c.outstanding = false // PK_OK answered the query
	}
	signer, err := getSigner(ctx)
	if err != nil {
		return err
	}
	data := pk.signedData(c.SessionID(), c.User(), c.Service())
	sig, err := signWith(c, signer, alg, data)
	if err != nil {
		return err
	}
	pk.hasSig, pk.sig = true, sig.Marshal()
	if err := c.Request(pk.request()); err != nil {
		return err
	}
	return waitAnswer(ctx, c)
}

// chooseAlgorithm picks the public-key algorithm for pub: for RSA keys
// the first of rsa-sha2-512 and rsa-sha2-256 in the server's
// server-sig-algs (RFC 8332, Section 3.2), rsa-sha2-512 when the server
// sent none, and ssh-rsa only when the server lists nothing better; for
// other keys their one algorithm. With accepted not nil, only algorithms
// on it are candidates; "" means none is.
func chooseAlgorithm(pub hostkey.PublicKey, serverAlgs, accepted []string) string {
	algs := hostkey.SignatureAlgorithms(pub)
	if accepted != nil {
		algs = slices.DeleteFunc(slices.Clone(algs), func(a string) bool { return !slices.Contains(accepted, a) })
		if len(algs) == 0 {
			return ""
		}
	}
	if len(algs) == 1 || serverAlgs == nil {
		return algs[0]
	}
	for _, a := range algs {
		if slices.Contains(serverAlgs, hostkey.SignatureFormat(a)) {
			return a
		}
	}
	return algs[0]
}

// signWith signs data with alg.
func signWith(c *ClientConn, s hostkey.Signer, alg string, data []byte) (*hostkey.Signature, error) {
	var sig *hostkey.Signature
	var err error
	if as, ok := s.(hostkey.AlgorithmSigner); ok {
		sig, err = as.SignWithAlgorithm(c.Rand(), data, alg)
	} else if alg == hostkey.SignatureAlgorithms(s.PublicKey())[0] {
		sig, err = s.Sign(c.Rand(), data)
	} else {
		err = fmt.Errorf("userauth: signer cannot sign with %s: %w", alg, hostkey.ErrAlgorithmMismatch)
	}
	if err != nil {
		return nil, fmt.Errorf("userauth: signing: %w", err)
	}
	return sig, nil
}

// pkRequest holds the fields of a publickey or publickey-hostbound
// request.
type pkRequest struct {
	method  string // MethodPublicKey or MethodPublicKeyHostbound
	hasSig  bool
	alg     string
	blob    []byte
	hostKey []byte // hostbound only
	sig     []byte
}

// request returns the USERAUTH_REQUEST for pk. The hostbound variant is
// an unknown method to wire, so its fields travel in Rest.
func (pk *pkRequest) request() *wire.UserauthRequest {
	if pk.method == wire.MethodPublicKey {
		return &wire.UserauthRequest{Method: pk.method, HasSignature: pk.hasSig, Algorithm: pk.alg, PublicKey: pk.blob, Signature: pk.sig}
	}
	b := wire.AppendBool(nil, pk.hasSig)
	b = wire.AppendString(b, pk.alg)
	b = wire.AppendString(b, pk.blob)
	b = wire.AppendString(b, pk.hostKey)
	if pk.hasSig {
		b = wire.AppendString(b, pk.sig)
	}
	return &wire.UserauthRequest{Method: pk.method, Rest: b}
}

// parsePKRequest reads the publickey fields of req.
func parsePKRequest(req *wire.UserauthRequest) (pkRequest, error) {
	if req.Method == wire.MethodPublicKey {
		return pkRequest{method: req.Method, hasSig: req.HasSignature, alg: req.Algorithm, blob: req.PublicKey, sig: req.Signature}, nil
	}
	pk := pkRequest{method: req.Method}
	r := wire.NewReader(req.Rest)
	pk.hasSig = r.Bool()
	pk.alg = r.Text()
	pk.blob = r.StringBytes()
	pk.hostKey = r.StringBytes()
	if pk.hasSig {
		pk.sig = r.StringBytes()
	}
	if err := r.End("USERAUTH_REQUEST " + MethodPublicKeyHostbound); err != nil {
		return pkRequest{}, err
	}
	return pk, nil
}

// signedData returns what the signature covers (RFC 4252, Section 7;
// OpenSSH PROTOCOL, Section 2.5 for the hostbound variant), built from
// the verifier's own session identifier.
func (pk *pkRequest) signedData(sessionID []byte, user, service string) []byte {
	if pk.method == wire.MethodPublicKey {
		req := &wire.UserauthRequest{User: user, Service: service, Method: pk.method, HasSignature: true, Algorithm: pk.alg, PublicKey: pk.blob}
		return wire.AppendPublicKeySignedData(nil, sessionID, req)
	}
	b := wire.AppendString(nil, sessionID)
	b = append(b, byte(wire.MsgUserauthRequest))
	b = wire.AppendString(b, user)
	b = wire.AppendString(b, service)
	b = wire.AppendString(b, pk.method)
	b = wire.AppendBool(b, true)
	b = wire.AppendString(b, pk.alg)
	b = wire.AppendString(b, pk.blob)
	return wire.AppendString(b, pk.hostKey)
}

// Hostbased is the "hostbased" method (RFC 4252, Section 9): the client
// host's key vouches for ClientUser on ClientHost.
type Hostbased struct {
	Signer     hostkey.Signer // the client host's key
	ClientHost string         // FQDN of the client host, as OpenSSH sends it with a trailing dot
	ClientUser string         // the user name on the client host
}

var _ Method = (*Hostbased)(nil)

func (h *Hostbased) Name() string   { return wire.MethodHostbased }
func (h *Hostbased) String() string { return "hostbased " + h.ClientUser + "@" + h.ClientHost }

// Authenticate sends the signed hostbased request.
func (h *Hostbased) Authenticate(ctx context.Context, c *ClientConn) error {
	if h.Signer == nil {
		return errors.New("userauth: hostbased source without a key")
	}
	pub := h.Signer.PublicKey()
	req := &wire.UserauthRequest{User: c.User(), Service: c.Service(), Method: wire.MethodHostbased,
		Algorithm: chooseAlgorithm(pub, c.ServerSigAlgs(), nil), PublicKey: pub.Marshal(), ClientHost: h.ClientHost, ClientUser: h.ClientUser}
	sig, err := signWith(c, h.Signer, req.Algorithm, wire.AppendPublicKeySignedData(nil, c.SessionID(), req))
	if err != nil {
		return err
	}
	req.Signature = sig.Marshal()
	if err := c.Request(req); err != nil {
		return err
	}
	return waitAnswer(ctx, c)
}
