// Package wire holds the SSH data representation and the codec of every SSH
// message, so that one import decodes any packet.
//
// It covers the data types of RFC 4251, Section 5 (byte, boolean, uint32,
// uint64, string, mpint and name-list) through [Reader] and the Append
// functions; the message numbers of RFC 4250, Section 4.1 ([MsgNum]); the
// message codecs of RFC 4253, 4252, 4254, 4256, 4462, 8308 and the OpenSSH
// extensions; a describer that renders any payload for protocol traces with
// secrets redacted; and the [Transport] interface that carries payloads
// between the layers of sshstack.
//
// Decoders never panic and never allocate more than the input they were
// given: every length and count is checked against the bytes that remain
// before anything is allocated. Parsed messages alias the payload they were
// parsed from: a []byte field is valid only as long as the payload is.
// Encoders append to a buffer the caller passes in.
//
// Message numbers 30-49 and 60-79 mean different messages under different
// key exchange and authentication methods; [ParseMessage] and [Describe]
// take a [Context] that names the method in progress. The data of channel
// opens, channel requests and global requests is parsed separately from
// the message (for example [ParsePtyRequest] on [ChannelRequest].Extra).
//
// Package wiretest holds an in-memory Transport pair for testing the
// layers above the packet layer.
package wire
