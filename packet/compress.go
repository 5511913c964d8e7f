package packet

import "fmt"

// Compression method names (RFC 4253, Section 6.2; OpenSSH PROTOCOL,
// Section 1.2).
const (
	CompressionNone    = "none"
	CompressionZlib    = "zlib"
	CompressionDelayed = "zlib@openssh.com"
)

// deflater compresses outgoing payloads; guarded by Conn.wmu.
type deflater struct {
	on bool
}

func checkCompression(method string) error {
	switch method {
	case "", CompressionNone:
		return nil
	}
	return fmt.Errorf("%w: compression %q not supported", ErrAlgorithm, method)
}

func (d *deflater) check(method string) error { return checkCompression(method) }

func (d *deflater) set(method string) error { return checkCompression(method) }

func (d *deflater) compress(p []byte) ([]byte, error) { return p, nil }

// inflater decompresses incoming payloads; owned by the reading goroutine.
type inflater struct {
	on bool
}

func (f *inflater) set(method string) error { return checkCompression(method) }

func (f *inflater) decompress(p []byte, limit int) ([]byte, error) { return p, nil }
