package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

// Limits of AuthorizedKeysCommand and AuthorizedPrincipalsCommand.
const (
	keysCommandTimeout = 30 * time.Second // sshd has LoginGraceTime only
	keysCommandOutput  = 1 << 20          // bytes of output read
)

// commandKeys runs AuthorizedKeysCommand for a and key as sshd's
// user_key_command_allowed2 does (runAuthCommand) and returns the
// authorized_keys lines it prints. With no arguments the command gets
// the user name.
func (p *policy) commandKeys(ctx context.Context, a *account, key hostkey.PublicKey) ([]*hostkey.AuthorizedKey, error) {
	out, err := p.runAuthCommand(ctx, p.cfg.AuthorizedKeysCommand, p.cfg.AuthorizedKeysCommandUser, a,
		func(s string) string { return expandCommandTokens(s, a, key) })
	if out == nil || err != nil {
		return nil, err
	}
	entries, _ := hostkey.ParseAuthorizedKeys(bytes.NewReader(out), "AuthorizedKeysCommand")
	return entries, nil
}

// commandPrincipals runs AuthorizedPrincipalsCommand for a and cert as
// sshd's match_principals_command does and returns the principals lines
// it prints. Its tokens add the certificate's: %F (CA fingerprint), %i
// (key ID), %K (CA key, base64), %s (serial), %T (CA key type).
func (p *policy) commandPrincipals(ctx context.Context, a *account, cert *hostkey.Certificate) ([]*hostkey.AuthorizedPrincipal, error) {
	out, err := p.runAuthCommand(ctx, p.cfg.AuthorizedPrincipalsCommand, p.cfg.AuthorizedPrincipalsCommandUser, a,
		func(s string) string { return expandCertTokens(s, a, cert) })
	if out == nil || err != nil {
		return nil, err
	}
	lines, _ := hostkey.ParseAuthorizedPrincipals(bytes.NewReader(out), "AuthorizedPrincipalsCommand")
	return lines, nil
}

// runAuthCommand runs an sshd authorization command line as sshd's
// subprocess does and returns its output; nil and no error if none is
// configured. The command must be an absolute path owned by root and not
// writable by group or others, nor its directories (sshd's safe_path); it
// runs as user (required), with an empty environment, and expand
// replaces the tokens of its arguments. With no arguments it gets the
// user name. A command that fails gives nothing.
func (p *policy) runAuthCommand(ctx context.Context, line, user string, a *account, expand func(string) string) ([]byte, error) {
	if line == "" || strings.EqualFold(line, "none") {
		return nil, nil
	}
	if user == "" || strings.EqualFold(user, "none") {
		return nil, errors.New("no command user, skipping")
	}
	runAs, err := lookupAccount(expand(user))
	if err != nil {
		return nil, fmt.Errorf("command user %q: %w", user, err)
	}
	args, err := splitCommand(line)
	if err != nil {
		return nil, err
	}
	if len(args) == 1 {
		args = append(args, a.Name)
	} else {
		for i := 1; i < len(args); i++ {
			args[i] = expand(args[i])
		}
	}
	if !filepath.IsAbs(args[0]) {
		return nil, fmt.Errorf("%q is not an absolute path", args[0])
	}
	if err := rootOwnedPath(args[0]); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, keysCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, args[0], args[1:]...)
	cmd.Env, cmd.Dir = []string{}, "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if p.root {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: runAs.UID, Gid: runAs.GID, Groups: runAs.Groups}
	}
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, n: keysCommandOutput}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w", args[0], err)
	}
	return out.Bytes(), nil
}

// expandCertTokens is expandCommandTokens for a certificate, with the
// tokens of AuthorizedPrincipalsCommand: %F %i %K %s %T besides the key's
// own (of the certificate's key).
func expandCertTokens(s string, a *account, cert *hostkey.Certificate) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case 'F':
			b.WriteString(hostkey.FingerprintSHA256(cert.SignatureKey))
		case 'i':
			b.WriteString(cert.KeyID)
		case 'K':
			b.WriteString(keyBase64(cert.SignatureKey))
		case 's':
			b.WriteString(strconv.FormatUint(cert.Serial, 10))
		case 'T':
			b.WriteString(cert.SignatureKey.Type())
		default:
			b.WriteString(expandCommandTokens(s[i:i+2], a, cert))
		}
		i++
	}
	return b.String()
}

// keyBase64 is the base64 part of a key's authorized_keys form.
func keyBase64(k hostkey.PublicKey) string {
	if f := strings.Fields(string(hostkey.MarshalAuthorizedKey(k, ""))); len(f) >= 2 {
		return f[1]
	}
	return ""
}

// expandCommandTokens replaces AuthorizedKeysCommand's tokens: %% %f
// (fingerprint) %h (home) %k (base64 key) %t (key type) %U (uid) %u
// (user). Others are left as written.
func expandCommandTokens(s string, a *account, key hostkey.PublicKey) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'f':
			b.WriteString(hostkey.FingerprintSHA256(key))
		case 'h':
			b.WriteString(a.Home)
		case 'k':
			b.WriteString(keyBase64(key))
		case 't':
			b.WriteString(key.Type())
		case 'U':
			b.WriteString(strconv.FormatUint(uint64(a.UID), 10))
		case 'u':
			b.WriteString(a.Name)
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// splitCommand splits a command line into words as sshd's argv_split:
// blanks separate words, double or single quotes group them, a backslash
// escapes the next character.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote, escaped := false, byte(0), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped, in = false, true
		case c == '\\':
			escaped = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if in {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}

// rootOwnedPath checks, as sshd's safe_path for uid 0, that path (with
// symbolic links resolved) and every directory above it are owned by
// root and not writable by group or others.
func rootOwnedPath(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	for p := real; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok || sys.Uid != 0 || st.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("bad ownership or modes for %s", p)
		}
		if p == "/" {
			return nil
		}
	}
}

// limitedWriter keeps the first n bytes written and discards the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
