package wire

// Encoded terminal modes, RFC 4254, Section 8.

// Terminal mode opcodes (RFC 4254, Section 8; IUTF8 from RFC 8160).
// Opcodes 1-159 take a uint32 argument; 160-255 are not yet defined and
// their argument format is unknown, so parsing stops at the first of them.
const (
	TTY_OP_END    byte = 0
	VINTR         byte = 1
	VQUIT         byte = 2
	VERASE        byte = 3
	VKILL         byte = 4
	VEOF          byte = 5
	VEOL          byte = 6
	VEOL2         byte = 7
	VSTART        byte = 8
	VSTOP         byte = 9
	VSUSP         byte = 10
	VDSUSP        byte = 11
	VREPRINT      byte = 12
	VWERASE       byte = 13
	VLNEXT        byte = 14
	VFLUSH        byte = 15
	VSWTCH        byte = 16
	VSTATUS       byte = 17
	VDISCARD      byte = 18
	IGNPAR        byte = 30
	PARMRK        byte = 31
	INPCK         byte = 32
	ISTRIP        byte = 33
	INLCR         byte = 34
	IGNCR         byte = 35
	ICRNL         byte = 36
	IUCLC         byte = 37
	IXON          byte = 38
	IXANY         byte = 39
	IXOFF         byte = 40
	IMAXBEL       byte = 41
	IUTF8         byte = 42
	ISIG          byte = 50
	ICANON        byte = 51
	XCASE         byte = 52
	ECHO          byte = 53
	ECHOE         byte = 54
	ECHOK         byte = 55
	ECHONL        byte = 56
	NOFLSH        byte = 57
	TOSTOP        byte = 58
	IEXTEN        byte = 59
	ECHOCTL       byte = 60
	ECHOKE        byte = 61
	PENDIN        byte = 62
	OPOST         byte = 70
	OLCUC         byte = 71
	ONLCR         byte = 72
	OCRNL         byte = 73
	ONOCR         byte = 74
	ONLRET        byte = 75
	CS7           byte = 90
	CS8           byte = 91
	PARENB        byte = 92
	PARODD        byte = 93
	TTY_OP_ISPEED byte = 128
	TTY_OP_OSPEED byte = 129
)

// MaxTerminalModes caps the number of modes ParseTerminalModes returns
// (docs/security.md#c5).
const MaxTerminalModes = 256

// A TerminalMode is one opcode and its argument from the encoded terminal
// modes of a "pty-req" (RFC 4254, Section 8).
type TerminalMode struct {
	Opcode byte
	Value  uint32
}

// ParseTerminalModes decodes the encoded terminal modes of a PtyRequest.
// It stops at TTY_OP_END, at the end of b, or at the first opcode from 160
// to 255, whose argument format is undefined (RFC 4254, Section 8); the
// modes before that point are returned. An opcode whose uint32 argument is
// cut off is an ErrTruncated, and more than MaxTerminalModes modes an
// ErrTooLarge (docs/security.md#c5).
func ParseTerminalModes(b []byte) ([]TerminalMode, error) {
	r := Reader{b: b}
	// Count first so that the result is allocated once.
	n := 0
	for r.Len() > 0 {
		op := r.Byte()
		if op == TTY_OP_END || op >= 160 {
			break
		}
		r.Uint32()
		if r.Failed() {
			return nil, r.Finish("terminal modes")
		}
		if n++; n > MaxTerminalModes {
			r.off -= 5
			r.Fail(ErrTooLarge, "terminal mode count")
			return nil, r.Finish("terminal modes")
		}
	}
	if n == 0 {
		return nil, nil
	}
	modes := make([]TerminalMode, n)
	r.Reset(b)
	for i := range modes {
		modes[i].Opcode = r.Byte()
		modes[i].Value = r.Uint32()
	}
	return modes, nil
}

// AppendTerminalModes encodes modes followed by TTY_OP_END (RFC 4254,
// Section 8). Entries with opcode TTY_OP_END or an opcode from 160 to 255
// cannot be encoded with a uint32 argument and are skipped.
func AppendTerminalModes(b []byte, modes []TerminalMode) []byte {
	for _, m := range modes {
		if m.Opcode == TTY_OP_END || m.Opcode >= 160 {
			continue
		}
		b = AppendUint32(append(b, m.Opcode), m.Value)
	}
	return append(b, TTY_OP_END)
}
