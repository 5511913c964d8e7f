package hostkey

import "github.com/sshstack/sshstack/wire"

// A Signature is an SSH signature blob (RFC 4253, Section 6.6):
//
//	string    signature format name, e.g. "rsa-sha2-256"
//	string    signature blob
//
// Rest holds bytes that follow the blob. Only security-key formats have
// any: a flags byte and a uint32 counter (OpenSSH PROTOCOL.u2f); a
// non-empty Rest fails verification for every other format.
type Signature struct {
	Format string
	Blob   []byte
	Rest   []byte
}

// Security-key signature flags (OpenSSH PROTOCOL.u2f).
const (
	SKUserPresent  = 0x01
	SKUserVerified = 0x04
)

// ParseSignature decodes a signature blob. The result does not alias b.
// Errors wrap wire.ErrTruncated or wire.ErrInvalid.
func ParseSignature(b []byte) (*Signature, error) {
	r := wire.NewReader(b)
	format := r.StringBytes()
	blob := r.StringBytes()
	rest := r.Rest()
	if err := r.Finish("signature"); err != nil {
		return nil, err
	}
	if !wire.ValidName(string(format)) {
		return nil, &wire.DecodeError{Msg: "signature", Detail: "format name", Err: wire.ErrInvalid}
	}
	s := &Signature{Format: string(format), Blob: append([]byte{}, blob...)}
	if len(rest) > 0 {
		s.Rest = append([]byte(nil), rest...)
	}
	return s, nil
}

// Append appends the encoded signature to b.
func (s *Signature) Append(b []byte) []byte {
	b = wire.AppendString(b, s.Format)
	b = wire.AppendString(b, s.Blob)
	return append(b, s.Rest...)
}

// Marshal returns the encoded signature.
func (s *Signature) Marshal() []byte { return s.Append(nil) }

// SKFlags returns the flags byte and counter of a security-key signature
// (OpenSSH PROTOCOL.u2f). ok is false if Rest is not exactly five bytes.
func (s *Signature) SKFlags() (flags byte, counter uint32, ok bool) {
	if len(s.Rest) != 5 {
		return 0, 0, false
	}
	r := wire.NewReader(s.Rest)
	flags = r.Byte()
	counter = r.Uint32()
	return flags, counter, true
}
