package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshstack/sshstack/sshconfig"
)

// knownHostsCommand runs KnownHostsCommand and returns a file holding
// its output, known_hosts lines read as one more global known_hosts
// file (never written). ssh runs the command while it verifies the
// key, so its %K, %f and %t name the key (and sets %I to what it
// looks for); gossh runs it before the
// connection, so a command that uses those tokens is refused with a
// warning (and runs nothing). %H is the known_hosts name of the host,
// %I "HOSTNAME". The caller removes dir.
func knownHostsCommand(o *options, mc matchContext, lg *logger, dir string) (string, error) {
	cmdline := o.get("knownhostscommand")
	if cmdline == "" || cmdline == "none" {
		return "", nil
	}
	for _, tok := range []string{"%K", "%f", "%t"} {
		if strings.Contains(strings.ReplaceAll(cmdline, "%%", ""), tok) {
			lg.errorf("gossh: KnownHostsCommand with %s is not supported by gossh yet; ignored", tok)
			return "", nil
		}
	}
	name := o.get("hostname")
	if a := o.get("hostkeyalias"); a != "" {
		name = a
	} else if p := o.get("port"); p != "22" {
		name = "[" + name + "]:" + p
	}
	// As ssh (sshconnect.c load_hostkeys_command): the command is
	// split into words, then the tokens of each argument after the
	// first are expanded; it runs without a shell from an absolute path.
	argv, err := sshconfig.SplitCommand(cmdline)
	if err != nil || len(argv) == 0 {
		return "", fmt.Errorf("KnownHostsCommand %q: %v", cmdline, err)
	}
	tokens := clientTokens(o, mc, cmdline)
	tokens['H'], tokens['I'] = name, "HOSTNAME"
	for i := 1; i < len(argv); i++ {
		if argv[i], err = sshconfig.Expand(argv[i], tokens); err != nil {
			return "", fmt.Errorf("KnownHostsCommand: %w", err)
		}
	}
	cmdline = strings.Join(argv, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lg.debug(3, "KnownHostsCommand: %s", cmdline)
	if !filepath.IsAbs(argv[0]) {
		return "", fmt.Errorf("KnownHostsCommand path is not absolute")
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("KnownHostsCommand %q: %v", cmdline, err)
	}
	path := filepath.Join(dir, "known_hosts_command")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		return "", err
	}
	return path, nil
}
