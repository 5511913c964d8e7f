package packet

import (
	"bytes"
	"compress/zlib"
	"fmt"
)

// Compression method names (RFC 4253, Section 6.2; OpenSSH PROTOCOL,
// Section 1.2).
const (
	CompressionNone    = "none"
	CompressionZlib    = "zlib"
	CompressionDelayed = "zlib@openssh.com"
)

func checkCompression(method string) error {
	switch method {
	case "", CompressionNone, CompressionZlib, CompressionDelayed:
		return nil
	}
	return fmt.Errorf("%w: compression %q not supported", ErrAlgorithm, method)
}

// active reports whether method compresses now: "zlib" always,
// "zlib@openssh.com" only after user authentication.
func active(method string, afterAuth bool) bool {
	return method == CompressionZlib || method == CompressionDelayed && afterAuth
}

// deflater compresses outgoing payloads; guarded by Conn.wmu. Each packet
// ends with a sync flush, so the peer can inflate it at once; the stream
// restarts at every key change, as OpenSSH's start_compression_out does.
type deflater struct {
	method string
	on     bool
	zw     *zlib.Writer
	buf    bytes.Buffer
}

func (d *deflater) check(method string) error { return checkCompression(method) }

// set applies the method negotiated with new keys.
func (d *deflater) set(method string, afterAuth bool) error {
	if err := checkCompression(method); err != nil {
		return err
	}
	d.method = method
	d.on = false
	if active(method, afterAuth) {
		d.start()
	}
	return nil
}

func (d *deflater) start() {
	d.buf.Reset()
	if d.zw == nil {
		d.zw, _ = zlib.NewWriterLevel(&d.buf, 6) // level 6 as OpenSSH; cannot fail
	} else {
		d.zw.Reset(&d.buf)
	}
	d.on = true
}

func (d *deflater) compress(p []byte) ([]byte, error) {
	d.buf.Reset()
	if _, err := d.zw.Write(p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompression, err)
	}
	if err := d.zw.Flush(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompression, err)
	}
	return d.buf.Bytes(), nil
}

// inflater decompresses incoming payloads; owned by the reading goroutine.
type inflater struct {
	method string
	on     bool
	z      *inflate // allocated when compression starts: 1.4 KB an idle Conn without it does not hold
}

func (f *inflater) set(method string, afterAuth bool) error {
	if err := checkCompression(method); err != nil {
		return err
	}
	f.method = method
	f.on = false
	if active(method, afterAuth) {
		f.start()
	}
	return nil
}

func (f *inflater) start() {
	if f.z == nil {
		f.z = new(inflate)
	}
	f.z.reset()
	f.on = true
}

// decompress inflates p, refusing output past limit (docs/security.md#r7).
func (f *inflater) decompress(p []byte, limit int) ([]byte, error) {
	out, err := f.z.decompress(p, limit)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrCompression)
	}
	return out, nil
}

// EnableDelayedCompression marks user authentication as done, which
// starts zlib@openssh.com compression where it was negotiated and makes
// later key changes start it at once (OpenSSH PROTOCOL, Section 1.2): the
// receive side with the next packet the reading goroutine decodes, the
// send side with the next packet written. It may be called from any
// goroutine and is idempotent.
//
// A Conn calls it itself at the point the protocol defines, so a caller
// rarely needs to: a client Conn as it decodes SSH_MSG_USERAUTH_SUCCESS,
// and a server Conn around writing it (see writeAuthSuccessLocked). Doing
// it here rather than in an upper layer matters because a layer above may
// read ahead: only the Conn knows which packet comes first after SUCCESS.
func (c *Conn) EnableDelayedCompression() {
	if c.afterAuth.Swap(true) {
		return
	}
	c.inflatePending.Store(true)
	c.deflatePending.Store(true)
}

// Authenticated reports whether user authentication has succeeded on
// this Conn: a client Conn has decoded SSH_MSG_USERAUTH_SUCCESS, a server
// Conn has written it (or EnableDelayedCompression was called). It may be
// called from any goroutine.
func (c *Conn) Authenticated() bool { return c.afterAuth.Load() }

// writeAuthSuccessLocked writes the server's SSH_MSG_USERAUTH_SUCCESS and
// starts delayed compression around it: the receive side is armed before
// the write, since the client compresses everything it sends after reading
// SUCCESS and may answer before this goroutine runs again; the send side
// starts after it, since SUCCESS itself goes out uncompressed. The caller
// holds wmu.
func (c *Conn) writeAuthSuccessLocked(payload []byte) error {
	c.afterAuth.Store(true)
	c.inflatePending.Store(true)
	if err := c.writeLocked(payload); err != nil {
		return err
	}
	c.deflatePending.Store(true)
	return nil
}
