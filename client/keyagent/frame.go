package keyagent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxMessage is the largest agent message accepted, OpenSSH's
// AGENT_MAX_LEN (docs/security.md#w7).
const MaxMessage = 256 * 1024

// Framing errors. Either one ends the client's connection.
var (
	ErrMessageTooLarge = errors.New("keyagent: message too large")
	ErrEmptyMessage    = errors.New("keyagent: empty message")
)

// readFrame reads one agent message (draft-miller-ssh-agent, Section 3:
// uint32 length, then that many bytes, the first of them the message
// type) into buf, which it grows as needed, and returns the frame with
// its length prefix. The length is checked before anything is
// allocated: zero is ErrEmptyMessage, more than MaxMessage
// ErrMessageTooLarge. A frame cut short is io.ErrUnexpectedEOF; a clean
// end between frames is io.EOF.
func readFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return buf[:0], err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	switch {
	case n == 0:
		return buf[:0], ErrEmptyMessage
	case n > MaxMessage:
		return buf[:0], fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, n)
	}
	total := 4 + int(n)
	if cap(buf) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf[:0], err
	}
	return buf, nil
}

// A frameConn hands agent.ServeAgent one checked frame at a time, so that
// no frame larger than MaxMessage is ever allocated; writes pass through.
type frameConn struct {
	rw   io.ReadWriter
	buf  []byte // the current frame; owned by the serving goroutine
	left []byte // the part of buf not yet read
	err  error  // the first framing error, kept
	// hook, if set, answers a frame itself: it returns the framed
	// reply, written here, or nil to pass the frame on.
	hook func(frame []byte) []byte
}

func (c *frameConn) Read(p []byte) (int, error) {
	for len(c.left) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.buf, c.err = readFrame(c.rw, c.buf)
		if c.err != nil {
			return 0, c.err
		}
		if c.hook != nil {
			if reply := c.hook(c.buf); reply != nil {
				if _, err := c.rw.Write(reply); err != nil {
					c.err = err
					return 0, err
				}
				continue
			}
		}
		c.left = c.buf
	}
	n := copy(p, c.left)
	c.left = c.left[n:]
	return n, nil
}

func (c *frameConn) Write(p []byte) (int, error) { return c.rw.Write(p) }
