package hostkey

import (
	"encoding/pem"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// An SKPrivateKey is the private part of a FIDO security key (sk-*) file
// as ssh-keygen -t ecdsa-sk or ed25519-sk writes it (OpenSSH
// PROTOCOL.u2f): not a private key, but the handle by which the
// authenticator that made it finds its key, and the flags to sign with.
// Signing needs the authenticator, through OpenSSH's ssh-sk-helper and a
// provider library (client/keyagent.SKSigner).
type SKPrivateKey struct {
	PublicKey *SKPublicKey
	Flags     byte   // SKUserPresent (touch required) and the like
	KeyHandle []byte // the authenticator's opaque credential id
	// Serialized is the key in OpenSSH's private key serialisation
	// (key type, public fields, application, flags, key handle,
	// reserved), the form ssh-sk-helper takes.
	Serialized []byte
	Comment    string
}

// ParseSKPrivateKey reads an openssh-key-v1 file holding an sk-ecdsa or
// sk-ed25519 key, decrypting it with passphrase if it is encrypted
// (*PassphraseMissingError without one). A file of any other key type is
// ErrUnknownAlgorithm; ParsePrivateKey reads those.
func ParseSKPrivateKey(data, passphrase []byte) (*SKPrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "OPENSSH PRIVATE KEY" {
		return nil, fmt.Errorf("%w: no OPENSSH PRIVATE KEY block", ErrUnsupportedKeyFile)
	}
	priv, blockSize, pub, err := openOpenSSHPrivateKey(block.Bytes, passphrase)
	if err != nil {
		return nil, err
	}
	skPub, ok := pub.(*SKPublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a security key type", ErrUnknownAlgorithm, pub.Type())
	}
	r := wire.NewReader(priv)
	c1, c2 := r.Uint32(), r.Uint32()
	if r.Failed() {
		return nil, r.Finish("openssh-key-v1 private section")
	}
	if c1 != c2 {
		return nil, ErrWrongPassphrase
	}
	k, n, err := parseSKSerialized(priv[r.Offset():])
	if err != nil {
		return nil, err
	}
	r.Bytes(make([]byte, n))
	k.Comment = r.Text()
	pad := r.Rest()
	if err := r.Finish("openssh-key-v1 private section"); err != nil {
		return nil, err
	}
	if len(pad) >= blockSize {
		return nil, &wire.DecodeError{Msg: "openssh-key-v1 private section", Detail: "padding", Err: wire.ErrInvalid}
	}
	for i, c := range pad {
		if c != byte(i+1) {
			return nil, &wire.DecodeError{Msg: "openssh-key-v1 private section", Detail: "padding", Err: wire.ErrInvalid}
		}
	}
	if !Equal(k.PublicKey, skPub) {
		return nil, fmt.Errorf("%w: public and private halves differ", ErrInvalidKey)
	}
	return k, nil
}

// SK key flags (OpenSSH sk-api.h) beyond the signature flags: what an
// enrolment asks of the authenticator and a key file records.
const (
	SKForceOperation = 0x10 // overwrite a resident key of the same application and user
	SKResidentKey    = 0x20 // the authenticator stores the key (ssh-keygen -K finds it)
)

// ParseSKSerialized decodes a security key in OpenSSH's private key
// serialisation (key type, public fields, application, flags, key
// handle, reserved), as ssh-sk-helper answers an enrolment, from the
// start of b, and returns the key and the bytes after it, which alias b.
func ParseSKSerialized(b []byte) (*SKPrivateKey, []byte, error) {
	k, n, err := parseSKSerialized(b)
	if err != nil {
		return nil, nil, err
	}
	return k, b[n:], nil
}

// parseSKSerialized returns the key at the start of b and its length.
func parseSKSerialized(b []byte) (*SKPrivateKey, int, error) {
	r := wire.NewReader(b)
	typ := r.Text()
	switch typ {
	case SKECDSAP256:
		r.StringBytes() // curve
		r.StringBytes() // point
	case SKED25519:
		r.StringBytes()
	default:
		if !r.Failed() {
			return nil, 0, fmt.Errorf("%w: security key type %q", ErrUnknownAlgorithm, wire.Sanitize(typ))
		}
	}
	r.StringBytes() // application
	pubEnd := r.Offset()
	k := &SKPrivateKey{}
	k.Flags = r.Byte()
	k.KeyHandle = append([]byte(nil), r.StringBytes()...)
	_ = r.StringBytes() // reserved
	if r.Failed() {
		return nil, 0, r.Finish("security key")
	}
	end := r.Offset()
	pub, err := ParsePublicKey(b[:pubEnd])
	if err != nil {
		return nil, 0, err
	}
	k.PublicKey = pub.(*SKPublicKey)
	k.Serialized = append([]byte(nil), b[:end]...)
	return k, end, nil
}

// MarshalSKPrivateKey encodes k as the openssh-key-v1 file ssh-keygen
// -t ecdsa-sk or ed25519-sk writes, encrypted under passphrase if it is
// not empty (opts as for MarshalPrivateKey; nil for the defaults).
func MarshalSKPrivateKey(k *SKPrivateKey, comment string, passphrase []byte, opts *KeyFileOptions) ([]byte, error) {
	if k == nil || k.PublicKey == nil {
		return nil, fmt.Errorf("%w: no security key", ErrInvalidKey)
	}
	return sealPrivateKey(k.PublicKey, k.serialize(), comment, passphrase, opts)
}

// serialize returns k in OpenSSH's private key serialisation.
func (k *SKPrivateKey) serialize() []byte {
	b := k.PublicKey.Marshal()
	b = append(b, k.Flags)
	b = wire.AppendString(b, k.KeyHandle)
	return wire.AppendString(b, []byte(nil)) // reserved
}
