package kex

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/sshstack/sshstack/hostkey"
)

// NewHostKey returns the server host key for s with every public-key
// algorithm s can sign with (hostkey.SignatureAlgorithms: rsa-sha2-512
// and rsa-sha2-256 before ssh-rsa for RSA keys), leaving out ssh-rsa
// (SHA-1) unless allowSHA1 is set. Signing with a non-default algorithm
// needs a hostkey.AlgorithmSigner.
func NewHostKey(s hostkey.Signer, allowSHA1 bool) HostKey {
	algs := hostkey.SignatureAlgorithms(s.PublicKey())
	if allowSHA1 {
		s = withSHA1(s)
	}
	if !allowSHA1 {
		algs = slices.DeleteFunc(algs, func(a string) bool {
			return hostkey.SignatureFormat(a) == hostkey.RSA
		})
	}
	if _, ok := s.(hostkey.AlgorithmSigner); !ok && len(algs) > 1 {
		algs = algs[:1]
	}
	return HostKey{Signer: hostSigner{s}, Algorithms: algs}
}

// withSHA1 returns s, or a copy that may sign with ssh-rsa when s is a
// CryptoSigner that refuses it by itself, or a CertSigner (a host
// certificate, OpenSSH HostCertificate) over one. The caller's signer
// stays as it was.
func withSHA1(s hostkey.Signer) hostkey.Signer {
	switch k := s.(type) {
	case *hostkey.CryptoSigner:
		if !k.AllowSHA1 {
			c := *k
			c.AllowSHA1 = true
			return &c
		}
	case *hostkey.CertSigner:
		if inner := withSHA1(k.Signer()); inner != k.Signer() {
			if cs, err := hostkey.NewCertSigner(k.Certificate(), inner); err == nil {
				return cs
			}
		}
	}
	return s
}

type hostSigner struct{ s hostkey.Signer }

func (h hostSigner) PublicKey() []byte { return h.s.PublicKey().Marshal() }

func (h hostSigner) Sign(rand io.Reader, algorithm string, data []byte) ([]byte, error) {
	var sig *hostkey.Signature
	var err error
	if as, ok := h.s.(hostkey.AlgorithmSigner); ok {
		sig, err = as.SignWithAlgorithm(rand, data, algorithm)
	} else {
		sig, err = h.s.Sign(rand, data)
	}
	if err != nil {
		return nil, err
	}
	return sig.Marshal(), nil
}

// A HostKeyCallback decides on the client whether to trust the server's
// host key, for example against known_hosts. Only a nil return trusts; it
// is called after the signature over the exchange hash has verified.
type HostKeyCallback func(key hostkey.PublicKey) error

// ErrHostKeyMismatch means the host key blob, the signature format and the
// negotiated host key algorithm do not agree (docs/security.md#h2).
var ErrHostKeyMismatch = errors.New("kex: host key does not match the negotiated algorithm")

// NewHostKeyVerifier returns a HostKeyVerifier that parses the server's
// host key with package hostkey, checks that its type and the signature
// format fit the negotiated algorithm (an rsa-sha2-256 label on an
// rsa-sha2-512 signature, or an ssh-ed25519 blob under ecdsa-sha2-*, is
// refused: RFC 8332, Section 3; docs/security.md#h2), verifies the signature
// over the exchange hash, and finally asks trust. trust must not be nil:
// there is no "accept anything" default (docs/security.md#h1).
func NewHostKeyVerifier(trust HostKeyCallback) HostKeyVerifier {
	return hostVerifier{trust: trust}
}

// NewHostKeyVerifierPolicy is NewHostKeyVerifier with the signature
// checked under policy: for example hostkey.Policy{AllowSHA1: true}
// accepts "ssh-rsa" (RSA with SHA-1), which a client offers only when
// asked to (ssh's HostKeyAlgorithms=+ssh-rsa).
func NewHostKeyVerifierPolicy(trust HostKeyCallback, policy *hostkey.Policy) HostKeyVerifier {
	return hostVerifier{trust: trust, policy: policy}
}

type hostVerifier struct {
	trust  HostKeyCallback
	policy *hostkey.Policy // nil: PublicKey.Verify's defaults
}

func (v hostVerifier) VerifyHostKey(algorithm string, blob, data, sigBlob []byte) error {
	if v.trust == nil {
		return errors.New("kex: no host key callback")
	}
	pub, err := hostkey.ParsePublicKey(blob)
	if err != nil {
		return err
	}
	if hostkey.KeyTypeForAlgorithm(algorithm) != pub.Type() {
		return fmt.Errorf("%w: %s key for %s", ErrHostKeyMismatch, pub.Type(), algorithm)
	}
	sig, err := hostkey.ParseSignature(sigBlob)
	if err != nil {
		return err
	}
	if sig.Format != hostkey.SignatureFormat(algorithm) {
		return fmt.Errorf("%w: %s signature for %s", ErrHostKeyMismatch, sig.Format, algorithm)
	}
	if v.policy != nil {
		err = v.policy.Verify(pub, algorithm, data, sig)
	} else {
		err = pub.Verify(data, sig)
	}
	if err != nil {
		return err
	}
	return v.trust(pub)
}
