package kex

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// KeyLogLines returns the key log lines for one key exchange, in the
// format of Wireshark's SSH dissector (epan/dissectors/packet-ssh.c,
// preference ssh.keylog_file), each ending in a newline. cookie is the
// 16-byte KEXINIT cookie of the side that writes the log, and res is that
// exchange's Result.
//
// The last line is always
//
//	<cookie, 32 hex digits> SHARED_SECRET <K, hex>
//
// where K is the value of the shared secret without its RFC 4251 length:
// the bytes of the mpint for the DH, ECDH and curve25519 methods (with
// the leading zero byte an mpint has when the top bit is set), the bytes
// of the string for the hybrid KEMs. Wireshark releases after 4.0 read
// this form; 4.0.17, the one Debian 12 ships, does not.
//
// When res.PrivateKey is set it is preceded by the older form
//
//	<cookie, 32 hex digits> <our ephemeral private key, hex>
//
// which is all Wireshark 4.0 reads: Wireshark recomputes K from it
// and the peer's public value, which is why the cookie must be the
// writer's own. A newer Wireshark keys both lines by the same cookie and
// keeps the last, SHARED_SECRET.
//
// Either line lets anyone who holds it decrypt the whole connection's
// traffic until the next key exchange, passwords included.
func KeyLogLines(cookie []byte, res *Result) []byte {
	c := hex.EncodeToString(cookie)
	var b []byte
	if len(res.PrivateKey) > 0 {
		b = fmt.Appendf(b, "%s %x\n", c, res.PrivateKey)
	}
	var k []byte
	if len(res.K) >= 4 {
		k = res.K[4:]
	}
	return fmt.Appendf(b, "%s SHARED_SECRET %x\n", c, k)
}

// writeKeyLog appends the key log lines of this exchange to
// Config.KeyLog, in one Write so that lines from connections sharing the
// writer do not interleave (as long as the writer, like an *os.File
// opened with O_APPEND, writes each call whole).
func (t *Transport) writeKeyLog(w io.Writer, local []byte, res *Result) error {
	m, err := parseCookie(local)
	if err != nil {
		return err
	}
	if _, err := w.Write(KeyLogLines(m, res)); err != nil {
		return fmt.Errorf("kex: writing key log: %w", err)
	}
	t.log.Debug("kex: key log written", "role", t.role, "count", t.kexCount)
	return nil
}

// parseCookie returns the cookie of a KEXINIT payload (RFC 4253,
// Section 7.1: message number, then 16 random bytes).
func parseCookie(kexInit []byte) ([]byte, error) {
	if len(kexInit) < 17 {
		return nil, fmt.Errorf("kex: KEXINIT of %d bytes has no cookie", len(kexInit))
	}
	return kexInit[1:17], nil
}

// OpenKeyLogFile opens path for Config.KeyLog, as the gossh and gosshd
// commands do for $SSHKEYLOGFILE: created with mode 0600 if it does not
// exist, always appended to (O_APPEND, so that processes sharing the file
// write whole lines), never truncated. An existing file keeps its mode;
// insecure reports whether it is readable by anyone but its owner, for
// the caller to warn about.
func OpenKeyLogFile(path string) (f *os.File, insecure bool, err error) {
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("kex: opening key log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("kex: opening key log: %w", err)
	}
	return f, fi.Mode().Perm()&0o077 != 0, nil
}
