package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/sshconfig"
)

// A configLine is one "Keyword value..." line of an ssh_config file
// (ssh_config(5)), with where it came from.
type configLine struct {
	key  string   // lower case
	args []string // unquoted arguments
	file string
	line int
}

// A configFile is the parsed lines of one file, Host and Match lines
// included, in order; Include is expanded.
type configFile struct {
	lines []configLine
}

const maxIncludeDepth = 16

// parseConfigFile reads an ssh_config file. A missing file is empty.
func parseConfigFile(path string, depth int) (*configFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &configFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseConfig(f, path, depth)
}

func parseConfig(r io.Reader, name string, depth int) (*configFile, error) {
	cf := &configFile{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		key, args, err := splitConfigLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", name, n, err)
		}
		if key == "" {
			continue
		}
		if key == "include" {
			if depth >= maxIncludeDepth {
				return nil, fmt.Errorf("%s line %d: include nested too deeply", name, n)
			}
			for _, pat := range args {
				pat = expandTilde(pat)
				if !filepath.IsAbs(pat) {
					if strings.HasPrefix(name, "/etc/") {
						pat = filepath.Join("/etc/ssh", pat)
					} else {
						pat = filepath.Join(homeDir(), ".ssh", pat)
					}
				}
				matches, _ := filepath.Glob(pat)
				for _, m := range matches {
					inc, err := parseConfigFile(m, depth+1)
					if err != nil {
						return nil, err
					}
					// An included file's Host/Match lines apply within it;
					// mark the end so the enclosing block resumes.
					cf.lines = append(cf.lines, configLine{key: "#include-start", file: m})
					cf.lines = append(cf.lines, inc.lines...)
					cf.lines = append(cf.lines, configLine{key: "#include-end", file: m})
				}
			}
			continue
		}
		cf.lines = append(cf.lines, configLine{key: key, args: args, file: name, line: n})
	}
	return cf, sc.Err()
}

// splitConfigLine splits a line into a lower-case keyword and its
// arguments, honouring "Keyword=value", double quotes and comments.
func splitConfigLine(s string) (string, []string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' {
		return "", nil, nil
	}
	i := strings.IndexAny(s, " \t=")
	if i < 0 {
		return strings.ToLower(s), nil, nil
	}
	key := strings.ToLower(s[:i])
	rest := strings.TrimLeft(s[i:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	args, err := splitArgs(rest)
	return key, args, err
}

// splitArgs splits on white space, keeping double-quoted strings whole;
// an unquoted '#' starts a comment.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			quoted = !quoted
			in = true
		case !quoted && (ch == ' ' || ch == '\t'):
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		case !quoted && ch == '#' && !in:
			i = len(s)
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if quoted {
		return nil, errors.New("unbalanced quotes")
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
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
	var stack []bool
	for _, l := range cf.lines {
		switch l.key {
		case "#include-start":
			stack = append(stack, active)
			continue
		case "#include-end":
			active = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			continue
		case "host":
			active = matchHostPatterns(mc.host, l.args)
			continue
		case "match":
			m, err := evalMatch(l, mc, o)
			if err != nil {
				return err
			}
			active = m
			continue
		}
		if !active {
			continue
		}
		if err := o.set(l.key, l.args, fmt.Sprintf("%s line %d", l.file, l.line)); err != nil {
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
func evalMatch(l configLine, mc matchContext, o *options) (bool, error) {
	args := l.args
	if len(args) == 0 {
		return false, fmt.Errorf("%s line %d: Match needs criteria", l.file, l.line)
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
				return false, fmt.Errorf("%s line %d: Match %s needs an argument", l.file, l.line, crit)
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
				ok = exec.Command("/bin/sh", "-c", expandTokens(arg, o, mc)).Run() == nil
			default:
				return false, fmt.Errorf("%s line %d: Match criterion %q is not supported", l.file, l.line, crit)
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

func expandTilde(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}
