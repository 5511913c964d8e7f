package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/term"

	"github.com/sshstack/sshstack/hostkey"
)

// A prompter asks the user for passwords, passphrases, keyboard-
// interactive answers and host key confirmations as ssh does: on
// /dev/tty, or through the SSH_ASKPASS program when SSH_ASKPASS_REQUIRE
// says so ("force", or "prefer" with SSH_ASKPASS set) or when there is no
// terminal but DISPLAY or SSH_ASKPASS_REQUIRE=prefer allows it.
type prompter struct {
	tty     *os.File // nil without a controlling terminal
	askpass string   // program, or ""
	force   bool     // use askpass even with a tty
	opts    *options // FingerprintHash, VisualHostKey
	keys    keyFiles // the identity files offered (AddKeysToAgent)
}

var errNoPrompt = errors.New("gossh: no terminal or askpass program to ask with")

func newPrompter(o *options) *prompter {
	p := &prompter{opts: o}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		p.tty = tty
	}
	prog := os.Getenv("SSH_ASKPASS")
	switch os.Getenv("SSH_ASKPASS_REQUIRE") {
	case "never":
	case "force":
		if prog == "" {
			prog = "/usr/bin/ssh-askpass"
		}
		p.askpass, p.force = prog, true
	case "prefer":
		if prog != "" {
			p.askpass, p.force = prog, true
		}
	default:
		if p.tty == nil && prog != "" && os.Getenv("DISPLAY") != "" {
			p.askpass = prog
		}
	}
	return p
}

func (p *prompter) close() {
	if p.tty != nil {
		p.tty.Close()
	}
}

// show writes an informational line (keyboard-interactive name and
// instruction) where the prompts go.
func (p *prompter) show(msg string) {
	if p.tty != nil && !p.force {
		fmt.Fprintln(p.tty, msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}

// ask shows prompt and reads an answer, echoing it only if echo is set.
func (p *prompter) ask(prompt string, echo bool) (string, error) {
	if p.askpass != "" && (p.force || p.tty == nil) {
		cmd := exec.Command(p.askpass, prompt)
		cmd.Stderr = os.Stderr
		if !echo {
			cmd.Env = append(os.Environ(), "SSH_ASKPASS_PROMPT=")
		}
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("gossh: askpass: %w", err)
		}
		return strings.TrimRight(string(out), "\r\n"), nil
	}
	if p.tty == nil {
		return "", errNoPrompt
	}
	fmt.Fprint(p.tty, prompt)
	if echo {
		line, err := bufio.NewReader(p.tty).ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err
	}
	b, err := term.ReadPassword(int(p.tty.Fd()))
	fmt.Fprintln(p.tty)
	return string(b), err
}

// confirmHostKey asks about an unknown host key as ssh does with
// StrictHostKeyChecking ask.
// dnsNote is VerifyHostKeyDNS's line ("Matching host key fingerprint
// found in DNS."), or "".
func (p *prompter) confirmHostKey(name string, key hostkey.PublicKey, dnsNote string) bool {
	msg := hostKeyPrompt(p.opts, name, key, dnsNote)
	for {
		a, err := p.ask(msg, true)
		if err != nil {
			return false
		}
		switch strings.ToLower(strings.TrimSpace(a)) {
		case "yes":
			return true
		case "no":
			return false
		case hostkey.FingerprintSHA256(key), hostkey.FingerprintMD5(key):
			return true
		}
		msg = "Please type 'yes', 'no' or the fingerprint: "
	}
}

// hostKeyPrompt is ssh's question about an unknown host key.
func hostKeyPrompt(o *options, name string, key hostkey.PublicKey, dnsNote string) string {
	msg := fmt.Sprintf("The authenticity of host '%s' can't be established.\n%s key fingerprint is %s.\n"+
		"%sThis key is not known by any other names.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ",
		name, keyName(key), o.fingerprint(key), dnsNote)
	if o.yes("visualhostkey", false) {
		msg = strings.Replace(msg, "key fingerprint is "+o.fingerprint(key)+".\n", "key fingerprint is "+o.fingerprint(key)+".\n"+randomart(key, o.get("fingerprinthash"))+"\n", 1)
	}
	return msg
}

// keyName is ssh's short name of a key type: ED25519, ECDSA, RSA.
func keyName(k hostkey.PublicKey) string {
	t := k.Type()
	switch {
	case strings.Contains(t, "ed25519"):
		return "ED25519"
	case strings.Contains(t, "ecdsa"):
		return "ECDSA"
	case strings.Contains(t, "rsa"):
		return "RSA"
	}
	return strings.ToUpper(t)
}
