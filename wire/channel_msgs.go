package wire

// RFC 4254 connection protocol channel messages, Section 5.

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
