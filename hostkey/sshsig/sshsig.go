// Package sshsig makes and checks OpenSSH signatures of files and
// messages (OpenSSH PROTOCOL.sshsig), the format of ssh-keygen -Y
// sign/verify and of git's SSH commit signing, and reads the allowed
// signers files that verify them (ssh-keygen(1), "ALLOWED SIGNERS").
//
// Sign hashes a message with SHA-512 or SHA-256 and signs the
// PROTOCOL.sshsig envelope for a namespace; Signature.Armor writes the
// "BEGIN SSH SIGNATURE" text and Parse reads it (or the bare blob).
// Signature.Verify checks a signature against a message and namespace
// under the zero hostkey.Policy: RSA signatures must use SHA-2, as
// OpenSSH requires.
package sshsig

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// Magic is the preamble of the signature blob and of the signed data.
const Magic = "SSHSIG"

// Version is the only signature format version.
const Version = 1

// Hash algorithms PROTOCOL.sshsig defines.
const (
	SHA256 = "sha256"
	SHA512 = "sha512" // the default, as ssh-keygen
)

const (
	armorBegin = "-----BEGIN SSH SIGNATURE-----"
	armorEnd   = "-----END SSH SIGNATURE-----"
)

var (
	// ErrFormat means a signature is malformed: bad armor, magic or
	// version, an unknown hash, or trailing data.
	ErrFormat = errors.New("sshsig: malformed signature")
	// ErrNamespace means the signature was made for another namespace.
	ErrNamespace = errors.New("sshsig: namespace mismatch")
	// ErrVerify means the signature does not match the message.
	ErrVerify = errors.New("sshsig: signature verification failed")
)

// A Signature is a parsed SSHSIG blob.
type Signature struct {
	PublicKey     hostkey.PublicKey // the signer's key or certificate
	Namespace     string
	Reserved      []byte
	HashAlgorithm string // SHA256 or SHA512
	Signature     *hostkey.Signature
}

func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("%w: hash algorithm %q", ErrFormat, alg)
}

// signedData is the PROTOCOL.sshsig envelope a key signs.
func signedData(namespace string, reserved []byte, alg string, digest []byte) []byte {
	b := append([]byte(nil), Magic...)
	b = wire.AppendString(b, namespace)
	b = wire.AppendString(b, reserved)
	b = wire.AppendString(b, alg)
	return wire.AppendString(b, digest)
}

func digest(alg string, message io.Reader) ([]byte, error) {
	h, err := newHash(alg)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(h, message); err != nil {
		return nil, fmt.Errorf("sshsig: reading message: %w", err)
	}
	return h.Sum(nil), nil
}

// Sign signs message for namespace (which must not be empty) with
// signer's default algorithm (rsa-sha2-512 for RSA). alg is SHA512 or
// SHA256; "" means SHA512.
func Sign(rand io.Reader, signer hostkey.Signer, namespace, alg string, message io.Reader) (*Signature, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	if alg == "" {
		alg = SHA512
	}
	d, err := digest(alg, message)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(rand, signedData(namespace, nil, alg, d))
	if err != nil {
		return nil, fmt.Errorf("sshsig: signing: %w", err)
	}
	return &Signature{PublicKey: signer.PublicKey(), Namespace: namespace, HashAlgorithm: alg, Signature: sig}, nil
}

// Marshal returns the binary SSHSIG blob.
func (s *Signature) Marshal() []byte {
	b := append([]byte(nil), Magic...)
	b = wire.AppendUint32(b, Version)
	b = wire.AppendString(b, s.PublicKey.Marshal())
	b = wire.AppendString(b, s.Namespace)
	b = wire.AppendString(b, s.Reserved)
	b = wire.AppendString(b, s.HashAlgorithm)
	return wire.AppendString(b, s.Signature.Marshal())
}

// Armor returns the signature as ssh-keygen -Y sign writes it: the
// base64 blob in lines of 70 between BEGIN and END SSH SIGNATURE.
func (s *Signature) Armor() []byte {
	enc := base64.StdEncoding.EncodeToString(s.Marshal())
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}

// Parse decodes an armored signature, or a bare SSHSIG blob. The
// result does not alias data.
func Parse(data []byte) (*Signature, error) {
	blob := data
	if !bytes.HasPrefix(data, []byte(Magic)) {
		text := strings.TrimSpace(string(data))
		body, ok := strings.CutPrefix(text, armorBegin)
		if !ok {
			return nil, fmt.Errorf("%w: no %s line", ErrFormat, armorBegin)
		}
		body, ok = strings.CutSuffix(body, armorEnd)
		if !ok {
			return nil, fmt.Errorf("%w: no %s line", ErrFormat, armorEnd)
		}
		var err error
		blob, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
	}
	blob = bytes.Clone(blob)
	r := wire.NewReader(blob)
	var magic [len(Magic)]byte
	r.Bytes(magic[:])
	if r.Failed() || string(magic[:]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	if v := r.Uint32(); !r.Failed() && v != Version {
		return nil, fmt.Errorf("%w: version %d", ErrFormat, v)
	}
	pub := r.StringBytes()
	s := &Signature{}
	s.Namespace = string(r.StringBytes())
	s.Reserved = r.StringBytes()
	s.HashAlgorithm = string(r.StringBytes())
	sig := r.StringBytes()
	if err := r.End("SSHSIG"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if _, err := newHash(s.HashAlgorithm); err != nil {
		return nil, err
	}
	var err error
	if s.PublicKey, err = hostkey.ParsePublicKey(pub); err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrFormat, err)
	}
	if s.Signature, err = hostkey.ParseSignature(sig); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrFormat, err)
	}
	return s, nil
}

// Verify checks that s signs message for namespace with s.PublicKey.
// It does not say whether the key is trusted: that is the caller's
// (AllowedSigners, or a certificate check). Errors wrap ErrNamespace or
// ErrVerify.
func (s *Signature) Verify(namespace string, message io.Reader) error {
	if s.Namespace != namespace {
		return fmt.Errorf("%w: signature for %q, want %q", ErrNamespace, s.Namespace, namespace)
	}
	d, err := digest(s.HashAlgorithm, message)
	if err != nil {
		return err
	}
	if err := s.PublicKey.Verify(signedData(s.Namespace, s.Reserved, s.HashAlgorithm, d), s.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrVerify, err)
	}
	return nil
}
