package hostkey

import "fmt"

// A Policy says which signatures a verifier accepts. The zero Policy is
// the default: RSA keys of at least 1024 bits, no ssh-rsa (SHA-1)
// signatures, and security-key signatures only with user presence.
type Policy struct {
	// MinRSABits is the smallest RSA modulus accepted. Values below 1024
	// (including 0) mean 1024; OpenSSH's RequiredRSASize is the same.
	MinRSABits int

	// AllowSHA1 accepts "ssh-rsa" signatures (RSA with SHA-1,
	// RFC 4253, Section 6.6), also as a certificate authority signature.
	AllowSHA1 bool

	// NoTouchRequired accepts security-key signatures without the
	// user-presence flag (authorized_keys no-touch-required).
	NoTouchRequired bool

	// VerifyRequired rejects security-key signatures without the
	// user-verification flag (authorized_keys verify-required).
	VerifyRequired bool
}

func (p *Policy) minRSABits() int {
	if p == nil || p.MinRSABits < 1024 {
		return 1024
	}
	return p.MinRSABits
}

// Allows reports whether the policy permits the public-key algorithm
// name at all; kex and userauth use it to filter what they offer and
// accept.
func (p *Policy) Allows(algorithm string) bool {
	f := SignatureFormat(algorithm)
	if f == "" {
		return false
	}
	return f != RSA || (p != nil && p.AllowSHA1)
}

// Verify checks a signature made with the public-key algorithm named
// algorithm, as negotiated in KEXINIT or named in a publickey
// USERAUTH_REQUEST: the algorithm must be allowed by p, pub's type must
// be the algorithm's key type, the signature format must be the
// algorithm's format (RFC 8332, Section 3; RFC 4252, Section 7), and the
// signature must verify under p. A nil p is the zero Policy. Errors wrap
// ErrAlgorithmDisabled, ErrAlgorithmMismatch, ErrKeyTooSmall,
// ErrUserPresence, ErrUserVerification or ErrSignature.
func (p *Policy) Verify(pub PublicKey, algorithm string, data []byte, sig *Signature) error {
	if pub == nil || sig == nil {
		return ErrSignature
	}
	kt := KeyTypeForAlgorithm(algorithm)
	if kt == "" {
		return fmt.Errorf("%w: %q", ErrUnknownAlgorithm, algorithm)
	}
	if !p.Allows(algorithm) {
		return fmt.Errorf("%w: %s", ErrAlgorithmDisabled, algorithm)
	}
	if kt != pub.Type() {
		return fmt.Errorf("%w: algorithm %s with a %s key", ErrAlgorithmMismatch, algorithm, pub.Type())
	}
	if f := SignatureFormat(algorithm); sig.Format != f {
		return fmt.Errorf("%w: algorithm %s with a %q signature", ErrAlgorithmMismatch, algorithm, sig.Format)
	}
	return p.verifyKey(pub, data, sig)
}

// verifyKey verifies with the key's own check of the signature format.
func (p *Policy) verifyKey(pub PublicKey, data []byte, sig *Signature) error {
	if pv, ok := pub.(policyVerifier); ok {
		if p == nil {
			p = &Policy{}
		}
		return pv.verify(data, sig, p)
	}
	if sig.Format == RSA && (p == nil || !p.AllowSHA1) {
		return fmt.Errorf("%w: %s", ErrAlgorithmDisabled, RSA)
	}
	return pub.Verify(data, sig)
}
