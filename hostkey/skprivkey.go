package hostkey

import (
	"bytes"
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
	start := r.Offset()
	typ := r.Text()
	pubFields := wire.AppendString(nil, []byte(typ))
	switch typ {
	case SKECDSAP256:
		pubFields = wire.AppendString(pubFields, r.StringBytes()) // curve
		pubFields = wire.AppendString(pubFields, r.StringBytes()) // point
	case SKED25519:
		pubFields = wire.AppendString(pubFields, r.StringBytes())
	default:
		if !r.Failed() {
			return nil, fmt.Errorf("%w: private key type %q in a %s file", ErrInvalidKey, wire.Sanitize(typ), pub.Type())
		}
	}
	pubFields = wire.AppendString(pubFields, r.StringBytes()) // application
	k := &SKPrivateKey{PublicKey: skPub}
	k.Flags = r.Byte()
	k.KeyHandle = append([]byte(nil), r.StringBytes()...)
	_ = r.StringBytes() // reserved
	end := r.Offset()
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
	if !bytes.Equal(pubFields, pub.Marshal()) {
		return nil, fmt.Errorf("%w: public and private halves differ", ErrInvalidKey)
	}
	k.Serialized = append([]byte(nil), priv[start:end]...)
	return k, nil
}
