package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/sshstack/sshstack/sshconfig"
)

// A configFile is one ssh_config file as package sshconfig splits it,
// Include expanded; apply evaluates it.
type configFile struct {
	f *sshconfig.File
}

// parseConfigFile reads an ssh_config file. A missing file is empty.
func parseConfigFile(path string, opt sshconfig.Options) (*configFile, error) {
	f, err := sshconfig.Read(path, opt)
	if errors.Is(err, os.ErrNotExist) {
		return &configFile{f: &sshconfig.File{Name: path}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &configFile{f: f}, nil
}

func parseConfig(r io.Reader, name string, opt sshconfig.Options) (*configFile, error) {
	f, err := sshconfig.Parse(r, name, opt)
	if err != nil {
		return nil, err
	}
	return &configFile{f: f}, nil
}

// configOptions are the Include rules for an ssh_config file: ssh's
// system ones for /etc/ssh/ssh_config, a user's for every other file
// (~/.ssh/config and -F), as ssh.c reads them.
func configOptions(path string) sshconfig.Options {
	if path == "/etc/ssh/ssh_config" {
		return sshconfig.SystemOptions()
	}
	return sshconfig.UserOptions(homeDir())
}

// rawKeywords take the rest of the line as it is written, quotes and
// all, as readconf.c's parse_command does.
var rawKeywords = map[string]bool{
	"proxycommand": true, "localcommand": true, "remotecommand": true, "knownhostscommand": true,
}

// lineArgs are the arguments o.set takes for one line: the rest of the
// line for rawKeywords, argv_split's arguments otherwise.
func lineArgs(l *sshconfig.Line) []string {
	if rawKeywords[strings.ToLower(l.Keyword)] {
		if raw := strings.TrimLeft(l.Raw, " \t\r\n="); raw != "" {
			return []string{raw}
		}
		return nil
	}
	return l.Args
}

// matchContext is what Host and Match lines are evaluated against.
type matchContext struct {
	host         string // the host as given on the command line (or HostName once known)
	originalHost string
	user         string // remote user, if known
	localUser    string
	canonical    bool // the pass after CanonicalizeHostname
	final        bool // the last pass
}

// apply evaluates the file for mc and sets every keyword not already set
// in o (first value wins, ssh_config(5)). Lines before the first Host or
// Match apply to every host.
func (cf *configFile) apply(o *options, mc matchContext) error {
	active := true
	return applyLines(cf.f.Lines, o, mc, &active, false)
}

// applyLines evaluates lines as readconf.c does: active says whether
// the current Host or Match block applies; an included file starts in
// the including block's state, its Host and Match lines never match
// when that block is inactive (SSHCONF_NEVERMATCH), and the including
// file's state comes back after each included file.
func applyLines(lines []sshconfig.Line, o *options, mc matchContext, active *bool, never bool) error {
	for i := range lines {
		l := &lines[i]
		where := fmt.Sprintf("%s line %d", l.File, l.Num)
		switch key := strings.ToLower(l.Keyword); key {
		case "include":
			outer := *active
			for _, f := range l.Include {
				if err := applyLines(f.Lines, o, mc, active, never || !outer); err != nil {
					return err
				}
				*active = outer
			}
			continue
		case "host":
			*active = !never && matchHostPatterns(mc.host, l.Args)
			continue
		case "match":
			m, err := evalMatch(l, mc, o)
			if err != nil {
				return err
			}
			*active = !never && m
			continue
		}
		if !*active {
			continue
		}
		if err := o.set(l.Keyword, lineArgs(l), where); err != nil {
			return err
		}
	}
	return nil
}

// matchHostPatterns reports whether host matches one of the patterns and
// no negated one (ssh_config(5), PATTERNS), ignoring case. Each element
// of pats may itself be a comma-separated list.
func matchHostPatterns(host string, pats []string) bool {
	if len(pats) == 0 {
		return false
	}
	return sshconfig.MatchList(strings.Join(pats, ","), host, func(p, s string) bool {
		return sshconfig.Wildcard(strings.ToLower(p), strings.ToLower(s))
	})
}

// evalMatch evaluates a Match line: criteria all, canonical, final,
// exec, host, originalhost, user and localuser, each optionally negated
// with '!'; all must hold.
func evalMatch(l *sshconfig.Line, mc matchContext, o *options) (bool, error) {
	args, err := sshconfig.SplitMatch(l.Raw) // ssh 9.2 splits Match lines with strdelim
	if err != nil {
		return false, &sshconfig.SyntaxError{File: l.File, Line: l.Num, Err: err}
	}
	if len(args) == 0 {
		return false, fmt.Errorf("%s line %d: Match needs criteria", l.File, l.Num)
	}
	result := true
	for i := 0; i < len(args); i++ {
		crit := strings.ToLower(args[i])
		neg := strings.HasPrefix(crit, "!")
		crit = strings.TrimPrefix(crit, "!")
		var ok bool
		switch crit {
		case "all":
			ok = true
		case "canonical":
			ok = mc.canonical
		case "final":
			// ssh reads the files again for a final pass when it sees
			// this; it holds only there.
			o.wantFinal = true
			ok = mc.final
		default:
			if i+1 >= len(args) {
				return false, fmt.Errorf("%s line %d: Match %s needs an argument", l.File, l.Num, crit)
			}
			i++
			arg := args[i]
			switch crit {
			case "host":
				host := mc.host
				if hn := o.get("hostname"); hn != "" {
					host = hn
				}
				ok = matchHostPatterns(host, []string{arg})
			case "originalhost":
				ok = matchHostPatterns(mc.originalHost, []string{arg})
			case "user":
				u := mc.user
				if v := o.get("user"); v != "" {
					u = v
				}
				ok = matchHostPatterns(u, []string{arg})
			case "localuser":
				ok = matchHostPatterns(mc.localUser, []string{arg})
			case "exec":
				cmd, err := expandTokens(arg, o, mc)
				if err != nil {
					return false, fmt.Errorf("%s line %d: Match exec: %w", l.File, l.Num, err)
				}
				ok = exec.Command("/bin/sh", "-c", cmd).Run() == nil
			default:
				return false, fmt.Errorf("%s line %d: Match criterion %q is not supported", l.File, l.Num, crit)
			}
		}
		if neg {
			ok = !ok
		}
		result = result && ok
	}
	return result, nil
}

func homeDir() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "/"
	}
	return h
}

// expandTilde expands a leading ~ or ~user (sshconfig.ExpandTilde); a
// path it cannot expand is returned as it is.
func expandTilde(p string) string {
	if out, err := sshconfig.ExpandTilde(p, homeDir()); err == nil {
		return out
	}
	return p
}
