package wire

import (
	"encoding/binary"
	"math/big"
	"unicode/utf8"
)

// Hard caps on wire-supplied sizes (docs/security.md#w1, #w2, #w3, #w7).
const (
	// MaxNameListLen caps the encoded length of one name-list.
	MaxNameListLen = 64 << 10
	// MaxMPIntBits caps the size of an mpint, as OpenSSH's
	// SSHBUF_MAX_BIGNUM does.
	MaxMPIntBits = 16384
)

// A Reader decodes RFC 4251, Section 5 data types from a payload.
//
// It keeps the first error: after a failure every method returns a zero
// value and Err reports what went wrong and where, so parsing code can read
// all fields in a row and check once. Lengths are checked against the bytes
// that remain before anything is allocated. Byte slices returned by a
// Reader alias the payload.
type Reader struct {
	b   []byte
	off int
	err *DecodeError
}

// NewReader returns a Reader over payload.
func NewReader(payload []byte) *Reader { return &Reader{b: payload} }

// Reset makes r read payload from the start and clears any error, so that
// a Reader can be reused without allocating.
func (r *Reader) Reset(payload []byte) { *r = Reader{b: payload} }

// Err returns the first error met, or nil. A non-nil error is a
// *DecodeError.
func (r *Reader) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Len returns the number of bytes not yet read, or 0 once an error is
// recorded, so that a loop such as `for r.Len() > 0` ends after a failed
// read instead of spinning on a Reader that no longer advances.
func (r *Reader) Len() int {
	if r.err != nil {
		return 0
	}
	return len(r.b) - r.off
}

// Offset returns the number of bytes read so far.
func (r *Reader) Offset() int { return r.off }

// Fail records err (one of the sentinel errors) at the current offset
// unless an error is already recorded. detail may be empty.
func (r *Reader) Fail(err error, detail string) {
	if r.err == nil {
		r.err = &DecodeError{Offset: r.off, Detail: detail, Err: err}
	}
}

// Failed reports whether an error has been recorded.
func (r *Reader) Failed() bool { return r.err != nil }

// take returns the next n bytes, or nil and records ErrTruncated.
func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.Fail(ErrTruncated, "")
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	s := r.take(1)
	if s == nil {
		return 0
	}
	return s[0]
}

// Bool reads an RFC 4251 boolean. Any non-zero byte is true
// (RFC 4251, Section 5).
func (r *Reader) Bool() bool { return r.Byte() != 0 }

// Uint32 reads a big-endian uint32.
func (r *Reader) Uint32() uint32 {
	s := r.take(4)
	if s == nil {
		return 0
	}
	return binary.BigEndian.Uint32(s)
}

// Uint64 reads a big-endian uint64.
func (r *Reader) Uint64() uint64 {
	s := r.take(8)
	if s == nil {
		return 0
	}
	return binary.BigEndian.Uint64(s)
}

// Bytes fills dst with the next len(dst) bytes (a fixed-size field such
// as the KEXINIT cookie).
func (r *Reader) Bytes(dst []byte) {
	if s := r.take(len(dst)); s != nil {
		copy(dst, s)
	}
}

// StringBytes reads an RFC 4251 string and returns its contents, which
// alias the payload. A zero-length string is returned as a non-nil empty
// slice; after an error the result is nil.
func (r *Reader) StringBytes() []byte {
	start := r.off
	n := r.Uint32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)-r.off) {
		r.off = start
		r.Fail(ErrTruncated, "string length past end")
		return nil
	}
	return r.take(int(n))
}

// Text reads an RFC 4251 string and returns it as a Go string. It does not
// check the encoding; use UTF8 where the RFC requires UTF-8.
func (r *Reader) Text() string { return string(r.StringBytes()) }

// UTF8 reads an RFC 4251 string that must be valid UTF-8
// (ISO-10646 UTF-8, RFC 4251, Section 5) and records ErrInvalid if it is not.
func (r *Reader) UTF8() string {
	start := r.off
	b := r.StringBytes()
	if b != nil && !utf8.Valid(b) {
		r.off = start
		r.Fail(ErrInvalid, "invalid UTF-8")
		return ""
	}
	return string(b)
}

// NameList reads an RFC 4251 name-list. An empty list is returned as nil.
// Names must be non-empty US-ASCII printable characters without commas
// (RFC 4251, Section 5); the encoded list is capped at MaxNameListLen.
func (r *Reader) NameList() []string {
	start := r.off
	b := r.StringBytes()
	if b == nil {
		return nil
	}
	if len(b) > MaxNameListLen {
		r.off = start
		r.Fail(ErrTooLarge, "name-list")
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	n := 1
	for _, c := range b {
		switch {
		case c == ',':
			n++
		case c <= ' ' || c >= 0x7f:
			r.off = start
			r.Fail(ErrInvalid, "name-list character")
			return nil
		}
	}
	names := make([]string, 0, n)
	s := string(b) // one allocation backs every name
	for i := 0; i < n; i++ {
		j := 0
		for j < len(s) && s[j] != ',' {
			j++
		}
		if j == 0 {
			r.off = start
			r.Fail(ErrInvalid, "empty name in name-list")
			return nil
		}
		names = append(names, s[:j])
		if j < len(s) {
			s = s[j+1:]
		} else {
			s = s[j:]
		}
	}
	return names
}

// MPIntBytes reads an RFC 4251 mpint that must not be negative and returns
// its minimal big-endian magnitude (no leading zero byte), aliasing the
// payload. Zero is the empty slice. Non-minimal encodings, negative values
// and values over MaxMPIntBits record ErrInvalid or ErrTooLarge.
func (r *Reader) MPIntBytes() []byte {
	start := r.off
	b := r.StringBytes()
	if len(b) == 0 { // nil after an error, empty for zero
		return b
	}
	fail := func(err error, detail string) []byte {
		r.off = start
		r.Fail(err, detail)
		return nil
	}
	if b[0]&0x80 != 0 {
		return fail(ErrInvalid, "negative mpint")
	}
	if b[0] == 0 {
		if len(b) == 1 || b[1]&0x80 == 0 {
			return fail(ErrInvalid, "non-minimal mpint")
		}
		b = b[1:]
	}
	if len(b) > MaxMPIntBits/8 {
		return fail(ErrTooLarge, "mpint")
	}
	return b
}

// MPInt reads a non-negative RFC 4251 mpint as a *big.Int, with the checks
// of MPIntBytes. After an error it returns nil.
func (r *Reader) MPInt() *big.Int {
	b := r.MPIntBytes()
	if b == nil {
		return nil
	}
	return new(big.Int).SetBytes(b)
}

// Rest returns the bytes not yet read, aliasing the payload, and consumes
// them.
func (r *Reader) Rest() []byte {
	if r.err != nil {
		return nil
	}
	s := r.b[r.off:len(r.b):len(r.b)]
	r.off = len(r.b)
	return s
}

// Expect reads the message number and records ErrUnexpectedMessage if it
// is not want.
func (r *Reader) Expect(want MsgNum) {
	if r.err != nil {
		return
	}
	if got := MsgNum(r.Byte()); r.err == nil && got != want {
		r.off--
		r.Fail(ErrUnexpectedMessage, "got "+got.String()+", want "+want.String())
	}
}

// Finish names the message in any recorded error and returns Err. Use it
// for messages whose end is open (later fields may be added); use End where
// the RFC defines the last field.
func (r *Reader) Finish(msg string) error {
	if r.err == nil {
		return nil
	}
	r.err.Msg = msg
	return r.err
}

// End records ErrTrailingData if bytes remain, names the message in any
// error and returns Err.
func (r *Reader) End(msg string) error {
	if r.err == nil && r.off != len(r.b) {
		r.Fail(ErrTrailingData, "")
	}
	return r.Finish(msg)
}

// Count reads a uint32 element count and checks it before the caller
// allocates or loops: count*minSize must not exceed the bytes that remain
// (ErrTruncated), and count must not exceed max (ErrTooLarge). minSize is
// the smallest encoding of one element, at least 1. what names the field
// in the error. After an error Count returns 0 (docs/security.md#w7).
func (r *Reader) Count(minSize, max int, what string) int {
	start := r.off
	n := r.Uint32()
	if r.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if uint64(n)*uint64(minSize) > uint64(len(r.b)-r.off) {
		r.off = start
		r.Fail(ErrTruncated, what+" count past end")
		return 0
	}
	if uint64(n) > uint64(max) {
		r.off = start
		r.Fail(ErrTooLarge, what+" count")
		return 0
	}
	return int(n)
}

// rest returns the unread bytes like Rest, but nil when none remain, so
// that an absent open-ended field compares equal to a zero value.
func (r *Reader) rest() []byte {
	if b := r.Rest(); len(b) > 0 {
		return b
	}
	return nil
}
