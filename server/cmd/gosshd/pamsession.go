package main

import (
	"fmt"
	"os/exec"
	"strings"
)

// wrapPAMSession runs cmd through this binary's -pam-session mode: a
// per-session process, still root, that opens the PAM session
// (pam_setcred, pam_open_session: pam_loginuid, pam_limits, pam_env act
// on it, not on the daemon), then starts cmd as the user and closes the
// session when cmd exits, as sshd's session child does.
func wrapPAMSession(self, service, user, rhost, tty string, cmd *exec.Cmd) *exec.Cmd {
	args := []string{"-pam-session", service, user, rhost, tty, "--", cmd.Path}
	args = append(args, cmd.Args...)
	w := exec.Command(self, args...)
	w.Env, w.Dir, w.Stdin, w.Stdout, w.Stderr = cmd.Env, cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr
	attr := *cmd.SysProcAttr
	w.SysProcAttr = &attr
	cred := attr.Credential
	w.SysProcAttr.Credential = nil // the helper stays root and drops privileges for cmd
	if cred != nil {
		w.Env = append(w.Env, fmt.Sprintf("GOSSHD_CRED=%d:%d:%s", cred.Uid, cred.Gid, joinUint32(cred.Groups)))
	}
	return w
}

func joinUint32(v []uint32) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
