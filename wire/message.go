package wire

// A Message is a decoded SSH message. Append appends the whole payload,
// message number first, to b and returns the extended buffer.
//
// Every message type T in this package has a parser
//
//	func ParseT(payload []byte) (T, error)
//
// that expects the payload to start with T's message number, checks every
// length against the remaining bytes before allocating, rejects trailing
// bytes where the RFC defines the last field, and returns a *DecodeError
// that unwraps to one of the sentinel errors. []byte fields of the result
// alias payload.
type Message interface {
	Num() MsgNum
	Append(b []byte) []byte
}
