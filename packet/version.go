package packet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Version exchange limits (RFC 4253, Section 4.2; docs/security.md#w9).
const (
	// DefaultVersion is the identification string ExchangeVersions sends
	// when given none.
	DefaultVersion = "SSH-2.0-sshstack_0.1"

	// MaxVersionLen is the longest identification string, CR LF included.
	MaxVersionLen = 255

	// MaxPreVersionLines and MaxPreVersionBytes bound the other lines a
	// server may send before its identification string, as x/crypto/ssh
	// (1024 lines) and OpenSSH (8 KiB) do.
	MaxPreVersionLines = 1024
	MaxPreVersionBytes = 8 << 10
)

// ExchangeVersions sends the local identification string (RFC 4253,
// Section 4.2) and reads the peer's, which it returns without CR LF, as the
// exchange hash needs it (V_C, V_S in Section 8). local must start with
// "SSH-2.0-" and be at most 253 bytes; empty means DefaultVersion.
//
// The peer's line may end in CR LF or a bare LF. "SSH-2.0-" and
// "SSH-1.99-" (Section 5.1) are accepted; another version is a
// *VersionError wrapping ErrProtocolVersion. A client (Config.Server false)
// skips up to MaxPreVersionLines other lines, MaxPreVersionBytes in all; a
// server accepts none. Lines longer than MaxVersionLen, control characters
// and any other deviation are a *VersionError wrapping ErrVersion.
//
// ctx bounds the exchange: its deadline becomes the net.Conn's deadline,
// and cancelling it aborts the exchange. Bytes the peer sent after its
// identification string stay buffered for ReadPacket. ExchangeVersions
// runs the write in a goroutine of its own, which has finished when it
// returns, so that both sides may write first over a synchronous pipe.
// It may be called once; every error but a second call is fatal and
// closes the Conn.
func (c *Conn) ExchangeVersions(ctx context.Context, local string) (string, error) {
	return c.ExchangeVersionsThen(ctx, local, nil)
}

// ExchangeVersionsThen is ExchangeVersions that also sends first, if not
// nil, as the first binary packet, in the same write as the
// identification string: a key exchange's KEXINIT, which RFC 4253
// (Section 7.1) lets either side send without waiting for the peer's
// identification string, as Dropbear does. One write and one wake-up of
// the peer fewer per connection, and half a round trip less.
func (c *Conn) ExchangeVersionsThen(ctx context.Context, local string, first []byte) (string, error) {
	if local == "" {
		local = DefaultVersion
	}
	if !strings.HasPrefix(local, "SSH-2.0-") || len(local)+2 > MaxVersionLen ||
		strings.ContainsAny(local, "\r\n\x00") {
		return "", fmt.Errorf("%w: local identification string %q", ErrVersion, local)
	}
	if err := c.Err(); err != nil {
		return "", err
	}
	if !c.versionOnce.CompareAndSwap(false, true) {
		return "", fmt.Errorf("%w: versions already exchanged", ErrVersion)
	}
	if d, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if stop() {
			c.nc.SetDeadline(time.Time{})
		}
	}()

	werr := make(chan error, 1)
	go func() {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		werr <- c.writeVersionLocked(local, first)
	}()
	remote, err := c.readVersion()
	if err != nil {
		c.fail(err) // closes the net.Conn, which ends the write
		<-werr
		return "", c.versionErr(ctx, err)
	}
	if err := <-werr; err != nil {
		return "", c.versionErr(ctx, c.fail(fmt.Errorf("packet: writing identification string: %w", err)))
	}
	return remote, nil
}

// writeVersionLocked writes the identification string and, sealed after
// it in the same write, first if not nil; c.wmu held.
func (c *Conn) writeVersionLocked(local string, first []byte) error {
	if first == nil {
		_, err := c.nc.Write([]byte(local + "\r\n"))
		return err
	}
	c.takeHeld()
	c.held = append(append(c.held[:0], local...), '\r', '\n')
	c.corked = true
	err := c.writeLocked(first)
	c.corked = false
	if err != nil {
		c.returnHeld()
		return err
	}
	return c.flushLocked()
}

// versionErr names the context's error when it ended the exchange; the
// deadline copied to the net.Conn may fire just before the context's own.
func (c *Conn) versionErr(ctx context.Context, err error) error {
	if errors.Is(err, ErrVersion) || errors.Is(err, ErrProtocolVersion) {
		return err
	}
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("packet: version exchange: %w (%v)", cerr, err)
	}
	return err
}

// readVersion reads lines until the identification string.
func (c *Conn) readVersion() (string, error) {
	budget := MaxPreVersionBytes
	for lines := 0; ; lines++ {
		limit := MaxVersionLen
		if !c.server {
			limit = min(budget, MaxPreVersionBytes)
		}
		line, err := c.readLine(limit)
		if err != nil {
			return "", err
		}
		budget -= len(line)
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return parseVersion(line)
		}
		if c.server {
			return "", versionError(ErrVersion, line) // docs/security.md#w9: no lines before the client's
		}
		if lines+1 > MaxPreVersionLines || budget <= 0 {
			return "", versionError(ErrVersion, []byte("too many lines before the identification string"))
		}
	}
}

// readLine returns the next line including its LF, reading at most limit
// bytes. Bytes after the LF stay buffered.
func (c *Conn) readLine(limit int) ([]byte, error) {
	for n := 1; ; n++ {
		if err := c.fill(n); err != nil {
			return nil, err
		}
		if i := bytes.IndexByte(c.rbuf[c.rpos:c.rend], '\n'); i >= 0 && i < limit {
			line := c.rbuf[c.rpos : c.rpos+i+1]
			c.rpos += i + 1
			return bytes.Clone(line), nil
		}
		n = c.rend - c.rpos
		if bytes.HasPrefix(c.rbuf[c.rpos:c.rend], []byte("SSH-")) {
			limit = min(limit, MaxVersionLen)
		}
		if n >= limit {
			return nil, versionError(ErrVersion, c.rbuf[c.rpos:c.rend])
		}
	}
}

// parseVersion checks an identification string including its line end:
// SSH-protoversion-softwareversion SP comments CR LF (RFC 4253,
// Section 4.2).
func parseVersion(line []byte) (string, error) {
	if len(line) > MaxVersionLen {
		return "", versionError(ErrVersion, line)
	}
	v := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	for _, b := range v {
		if b < 0x20 || b == 0x7f {
			return "", versionError(ErrVersion, v)
		}
	}
	proto, software, ok := bytes.Cut(v[len("SSH-"):], []byte("-"))
	if !ok || len(software) == 0 || software[0] == ' ' {
		return "", versionError(ErrVersion, v)
	}
	switch string(proto) {
	case "2.0", "1.99":
		return string(v), nil
	}
	return "", versionError(ErrProtocolVersion, v)
}
