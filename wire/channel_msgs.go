package wire

// RFC 4254 connection protocol channel messages, Section 5.

// ChannelOpen is SSH_MSG_CHANNEL_OPEN (RFC 4254, Section 5.1). Extra holds
// the channel-type specific data (see ParseDirectTCPIP and friends); it
// aliases the payload and is nil when empty.
type ChannelOpen struct {
	Type          string // e.g. ChannelTypeSession
	Sender        uint32
	InitialWindow uint32
	MaxPacket     uint32
	Extra         []byte
}

// ParseChannelOpen decodes SSH_MSG_CHANNEL_OPEN. The end is open: the
// type-specific data is returned unparsed in Extra.
func ParseChannelOpen(p []byte) (ChannelOpen, error) {
	var m ChannelOpen
	r := Reader{b: p}
	r.Expect(MsgChannelOpen)
	m.Type = r.Text()
	m.Sender = r.Uint32()
	m.InitialWindow = r.Uint32()
	m.MaxPacket = r.Uint32()
	m.Extra = r.rest()
	return m, r.Finish("CHANNEL_OPEN")
}

func (m *ChannelOpen) Num() MsgNum { return MsgChannelOpen }

func (m *ChannelOpen) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelOpen))
	b = AppendString(b, m.Type)
	b = AppendUint32(b, m.Sender)
	b = AppendUint32(b, m.InitialWindow)
	b = AppendUint32(b, m.MaxPacket)
	return append(b, m.Extra...)
}

// ChannelOpenConfirmation is SSH_MSG_CHANNEL_OPEN_CONFIRMATION
// (RFC 4254, Section 5.1). Extra holds channel-type specific data (none
// is defined today); it aliases the payload and is nil when empty.
type ChannelOpenConfirmation struct {
	Recipient     uint32
	Sender        uint32
	InitialWindow uint32
	MaxPacket     uint32
	Extra         []byte
}

// ParseChannelOpenConfirmation decodes SSH_MSG_CHANNEL_OPEN_CONFIRMATION.
// The end is open.
func ParseChannelOpenConfirmation(p []byte) (ChannelOpenConfirmation, error) {
	var m ChannelOpenConfirmation
	r := Reader{b: p}
	r.Expect(MsgChannelOpenConfirmation)
	m.Recipient = r.Uint32()
	m.Sender = r.Uint32()
	m.InitialWindow = r.Uint32()
	m.MaxPacket = r.Uint32()
	m.Extra = r.rest()
	return m, r.Finish("CHANNEL_OPEN_CONFIRMATION")
}

func (m *ChannelOpenConfirmation) Num() MsgNum { return MsgChannelOpenConfirmation }

func (m *ChannelOpenConfirmation) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelOpenConfirmation))
	b = AppendUint32(b, m.Recipient)
	b = AppendUint32(b, m.Sender)
	b = AppendUint32(b, m.InitialWindow)
	b = AppendUint32(b, m.MaxPacket)
	return append(b, m.Extra...)
}

// ChannelOpenFailure is SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254,
// Section 5.1).
type ChannelOpenFailure struct {
	Recipient   uint32
	Reason      OpenFailureReason
	Description string // peer text, not checked; sanitise before display
	Language    string // RFC 3066 tag
}

// ParseChannelOpenFailure decodes SSH_MSG_CHANNEL_OPEN_FAILURE.
func ParseChannelOpenFailure(p []byte) (ChannelOpenFailure, error) {
	var m ChannelOpenFailure
	r := Reader{b: p}
	r.Expect(MsgChannelOpenFailure)
	m.Recipient = r.Uint32()
	m.Reason = OpenFailureReason(r.Uint32())
	m.Description = r.Text()
	m.Language = r.Text()
	return m, r.End("CHANNEL_OPEN_FAILURE")
}

func (m *ChannelOpenFailure) Num() MsgNum { return MsgChannelOpenFailure }

func (m *ChannelOpenFailure) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelOpenFailure))
	b = AppendUint32(b, m.Recipient)
	b = AppendUint32(b, uint32(m.Reason))
	b = AppendString(b, m.Description)
	return AppendString(b, m.Language)
}

// ChannelWindowAdjust is SSH_MSG_CHANNEL_WINDOW_ADJUST (RFC 4254,
// Section 5.2). The receiver must check that the window does not pass
// 2^32-1 (docs/security.md#c2).
type ChannelWindowAdjust struct {
	Recipient uint32
	Bytes     uint32
}

// ParseChannelWindowAdjust decodes SSH_MSG_CHANNEL_WINDOW_ADJUST without
// allocating.
func ParseChannelWindowAdjust(p []byte) (ChannelWindowAdjust, error) {
	var m ChannelWindowAdjust
	r := Reader{b: p}
	r.Expect(MsgChannelWindowAdjust)
	m.Recipient = r.Uint32()
	m.Bytes = r.Uint32()
	return m, r.End("CHANNEL_WINDOW_ADJUST")
}

func (m *ChannelWindowAdjust) Num() MsgNum { return MsgChannelWindowAdjust }

func (m *ChannelWindowAdjust) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelWindowAdjust))
	b = AppendUint32(b, m.Recipient)
	return AppendUint32(b, m.Bytes)
}

// ChannelData is SSH_MSG_CHANNEL_DATA (RFC 4254, Section 5.2).
type ChannelData struct {
	Recipient uint32
	Data      []byte // aliases the payload
}

// ParseChannelData decodes SSH_MSG_CHANNEL_DATA without allocating.
func ParseChannelData(p []byte) (ChannelData, error) {
	var m ChannelData
	r := Reader{b: p}
	r.Expect(MsgChannelData)
	m.Recipient = r.Uint32()
	m.Data = r.StringBytes()
	return m, r.End("CHANNEL_DATA")
}

func (m *ChannelData) Num() MsgNum { return MsgChannelData }

func (m *ChannelData) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelData))
	b = AppendUint32(b, m.Recipient)
	return AppendString(b, m.Data)
}

// ChannelExtendedData is SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254,
// Section 5.2). DataType is ExtendedDataStderr or a code the receiver does
// not know (docs/security.md#c6).
type ChannelExtendedData struct {
	Recipient uint32
	DataType  uint32
	Data      []byte // aliases the payload
}

// ParseChannelExtendedData decodes SSH_MSG_CHANNEL_EXTENDED_DATA without
// allocating.
func ParseChannelExtendedData(p []byte) (ChannelExtendedData, error) {
	var m ChannelExtendedData
	r := Reader{b: p}
	r.Expect(MsgChannelExtendedData)
	m.Recipient = r.Uint32()
	m.DataType = r.Uint32()
	m.Data = r.StringBytes()
	return m, r.End("CHANNEL_EXTENDED_DATA")
}

func (m *ChannelExtendedData) Num() MsgNum { return MsgChannelExtendedData }

func (m *ChannelExtendedData) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelExtendedData))
	b = AppendUint32(b, m.Recipient)
	b = AppendUint32(b, m.DataType)
	return AppendString(b, m.Data)
}

// ChannelEOF is SSH_MSG_CHANNEL_EOF (RFC 4254, Section 5.3).
type ChannelEOF struct {
	Recipient uint32
}

// ParseChannelEOF decodes SSH_MSG_CHANNEL_EOF.
func ParseChannelEOF(p []byte) (ChannelEOF, error) {
	var m ChannelEOF
	r := Reader{b: p}
	r.Expect(MsgChannelEOF)
	m.Recipient = r.Uint32()
	return m, r.End("CHANNEL_EOF")
}

func (m *ChannelEOF) Num() MsgNum { return MsgChannelEOF }

func (m *ChannelEOF) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgChannelEOF)), m.Recipient)
}

// ChannelClose is SSH_MSG_CHANNEL_CLOSE (RFC 4254, Section 5.3).
type ChannelClose struct {
	Recipient uint32
}

// ParseChannelClose decodes SSH_MSG_CHANNEL_CLOSE.
func ParseChannelClose(p []byte) (ChannelClose, error) {
	var m ChannelClose
	r := Reader{b: p}
	r.Expect(MsgChannelClose)
	m.Recipient = r.Uint32()
	return m, r.End("CHANNEL_CLOSE")
}

func (m *ChannelClose) Num() MsgNum { return MsgChannelClose }

func (m *ChannelClose) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgChannelClose)), m.Recipient)
}

// ChannelRequest is SSH_MSG_CHANNEL_REQUEST (RFC 4254, Section 5.4).
// Extra holds the request-type specific data (see ParsePtyRequest and
// friends); it aliases the payload and is nil when empty.
type ChannelRequest struct {
	Recipient uint32
	Type      string // e.g. RequestExec
	WantReply bool
	Extra     []byte
}

// ParseChannelRequest decodes SSH_MSG_CHANNEL_REQUEST. The end is open:
// the type-specific data is returned unparsed in Extra, and its parser
// checks its end.
func ParseChannelRequest(p []byte) (ChannelRequest, error) {
	var m ChannelRequest
	r := Reader{b: p}
	r.Expect(MsgChannelRequest)
	m.Recipient = r.Uint32()
	m.Type = r.Text()
	m.WantReply = r.Bool()
	m.Extra = r.rest()
	return m, r.Finish("CHANNEL_REQUEST")
}

func (m *ChannelRequest) Num() MsgNum { return MsgChannelRequest }

func (m *ChannelRequest) Append(b []byte) []byte {
	b = append(b, byte(MsgChannelRequest))
	b = AppendUint32(b, m.Recipient)
	b = AppendString(b, m.Type)
	b = AppendBool(b, m.WantReply)
	return append(b, m.Extra...)
}

// ChannelSuccess is SSH_MSG_CHANNEL_SUCCESS (RFC 4254, Section 5.4).
type ChannelSuccess struct {
	Recipient uint32
}

// ParseChannelSuccess decodes SSH_MSG_CHANNEL_SUCCESS.
func ParseChannelSuccess(p []byte) (ChannelSuccess, error) {
	var m ChannelSuccess
	r := Reader{b: p}
	r.Expect(MsgChannelSuccess)
	m.Recipient = r.Uint32()
	return m, r.End("CHANNEL_SUCCESS")
}

func (m *ChannelSuccess) Num() MsgNum { return MsgChannelSuccess }

func (m *ChannelSuccess) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgChannelSuccess)), m.Recipient)
}

// ChannelFailure is SSH_MSG_CHANNEL_FAILURE (RFC 4254, Section 5.4).
type ChannelFailure struct {
	Recipient uint32
}

// ParseChannelFailure decodes SSH_MSG_CHANNEL_FAILURE.
func ParseChannelFailure(p []byte) (ChannelFailure, error) {
	var m ChannelFailure
	r := Reader{b: p}
	r.Expect(MsgChannelFailure)
	m.Recipient = r.Uint32()
	return m, r.End("CHANNEL_FAILURE")
}

func (m *ChannelFailure) Num() MsgNum { return MsgChannelFailure }

func (m *ChannelFailure) Append(b []byte) []byte {
	return AppendUint32(append(b, byte(MsgChannelFailure)), m.Recipient)
}
