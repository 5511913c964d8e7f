package x11

// Internals for x11_test.go.
var (
	ParseX11Setup = func(b []byte) (proto, data []byte, err error) {
		s, err := parseX11Setup(b)
		return s.Protocol, s.Data, err
	}
	X11Addr          = x11Addr
	X11Screen        = x11Screen
	ErrX11SetupShort = errX11Short
)
