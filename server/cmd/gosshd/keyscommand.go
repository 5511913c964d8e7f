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
	"github.com/sshstack/sshstack/sshconfig"
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
		func(s string) (string, error) { return expandCommandTokens(s, a, key) })
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
		func(s string) (string, error) { return expandCertTokens(s, a, cert) })
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
func (p *policy) runAuthCommand(ctx context.Context, line, user string, a *account, expand func(string) (string, error)) ([]byte, error) {
	if line == "" || strings.EqualFold(line, "none") {
		return nil, nil
	}
	if user == "" || strings.EqualFold(user, "none") {
		return nil, errors.New("no command user, skipping")
	}
	// sshd expands only %u in the command user (auth2-pubkey.c).
	name, err := sshconfig.Expand(user, map[byte]string{'u': a.Name})
	if err != nil {
		return nil, fmt.Errorf("command user %q: %w", user, err)
	}
	runAs, err := lookupAccount(name)
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
			if args[i], err = expand(args[i]); err != nil {
				return nil, err
			}
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
func expandCertTokens(s string, a *account, cert *hostkey.Certificate) (string, error) {
	t := commandTokens(a, cert)
	t['F'] = hostkey.FingerprintSHA256(cert.SignatureKey)
	t['i'] = cert.KeyID
	t['K'] = keyBase64(cert.SignatureKey)
	t['s'] = strconv.FormatUint(cert.Serial, 10)
	t['T'] = cert.SignatureKey.Type()
	return sshconfig.Expand(s, t)
}

// keyBase64 is the base64 part of a key's authorized_keys form.
func keyBase64(k hostkey.PublicKey) string {
	if f := strings.Fields(string(hostkey.MarshalAuthorizedKey(k, ""))); len(f) >= 2 {
		return f[1]
	}
	return ""
}

// commandTokens are AuthorizedKeysCommand's tokens: %f (fingerprint)
// %h (home) %k (base64 key) %t (key type) %U (uid) %u (user).
func commandTokens(a *account, key hostkey.PublicKey) map[byte]string {
	return map[byte]string{
		'f': hostkey.FingerprintSHA256(key), 'h': a.Home, 'k': keyBase64(key),
		't': key.Type(), 'U': strconv.FormatUint(uint64(a.UID), 10), 'u': a.Name,
	}
}

// expandCommandTokens expands commandTokens in one argument of
// AuthorizedKeysCommand; an unknown token is an error, as in sshd.
func expandCommandTokens(s string, a *account, key hostkey.PublicKey) (string, error) {
	return sshconfig.Expand(s, commandTokens(a, key))
}

// splitCommand splits a command line into words as sshd does
// (argv_split without comments, sshconfig.SplitCommand); an empty
// command is an error.
func splitCommand(s string) ([]string, error) {
	args, err := sshconfig.SplitCommand(s)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
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
