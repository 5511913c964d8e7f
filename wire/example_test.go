package wire_test

import (
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// Encode a message into a payload and decode it again. Append writes the
// message number first, as every SSH payload starts; the Parse function
// checks it.
func ExampleParseChannelOpen() {
	m := wire.ChannelOpen{
		Type:          wire.ChannelTypeSession,
		Sender:        7,
		InitialWindow: 2 << 20,
		MaxPacket:     32 << 10,
	}
	payload := m.Append(nil)
	fmt.Println(wire.MsgNum(payload[0]), len(payload), "bytes")

	got, err := wire.ParseChannelOpen(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Type, got.Sender, got.InitialWindow, got.MaxPacket)

	// A payload cut short is an error that errors.Is recognises, never a
	// panic.
	_, err = wire.ParseChannelOpen(payload[:10])
	fmt.Println(errors.Is(err, wire.ErrTruncated))
	// Output:
	// CHANNEL_OPEN 24 bytes
	// session 7 2097152 32768
	// true
}

// ParseMessage decodes any payload by its message number; Describe renders
// one for a protocol trace.
func ExampleParseMessage() {
	d := wire.Disconnect{Reason: wire.ByApplication, Description: "bye"}
	payload := d.Append(nil)

	msg, err := wire.ParseMessage(payload, wire.ContextNone)
	if err != nil {
		fmt.Println(err)
		return
	}
	if m, ok := msg.(*wire.Disconnect); ok {
		fmt.Println(m.Reason == wire.ByApplication, m.Description)
	}
	fmt.Println(wire.Describe(payload, wire.ContextNone).Name)
	// Output:
	// true bye
	// DISCONNECT
}

// Reader is the cursor every decoder uses: it keeps the first error, so a
// sequence of reads needs one check at the end.
func ExampleReader() {
	b := wire.AppendString(nil, "ssh-userauth")
	b = wire.AppendNameList(b, []string{"publickey", "password"})

	r := wire.NewReader(b)
	service := r.Text()
	methods := r.NameList()
	extra := r.StringBytes() // past the end: records ErrTruncated
	fmt.Println(service, methods, extra == nil, errors.Is(r.Err(), wire.ErrTruncated))
	// Output: ssh-userauth [publickey password] true true
}
