package sshconfig

import (
	"errors"
	"fmt"
	"strings"
)

// ErrQuote means a line has a quote that is not closed (OpenSSH:
// "invalid quotes").
var ErrQuote = errors.New("sshconfig: invalid quotes")

// ErrMissingArgument means a line has a keyword and nothing after it
// (OpenSSH: "no argument after keyword").
var ErrMissingArgument = errors.New("sshconfig: no argument after keyword")

// A SyntaxError is an error in one line of a file. It unwraps to
// ErrQuote, ErrMissingArgument, ErrInclude or the error of reading an
// included file.
type SyntaxError struct {
	File string
	Line int // 1-based; 0 for a command-line option
	Err  error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// A Line is one "Keyword arguments" line of ssh_config(5) or
// sshd_config(5).
type Line struct {
	// Keyword is as written; OpenSSH compares keywords ignoring case.
	Keyword string
	// Args are the arguments as OpenSSH's argv_split gives them:
	// unquoted, escapes removed, a '#' that starts an argument ends the
	// line.
	Args []string
	// Raw is the rest of the line after the keyword and its separator
	// (blanks or one '='), trailing blanks removed, quotes and comments
	// kept: what OpenSSH takes for the keywords that want a command
	// line (ProxyCommand, ForceCommand, ...) and splits Match lines from.
	Raw string
	// File and Num say where the line is; Num counts from 1.
	File string
	Num  int
	// Include holds, for an Include line read by Read or Parse, every
	// file its patterns matched, in order.
	Include []*File
}

// A File is the lines of one configuration file, Include expanded.
type File struct {
	Name  string
	Lines []Line
}

const whitespace = " \t\r\n"

// SplitLine splits one line of a configuration file as OpenSSH's
// process_config_line (readconf.c) and process_server_config_line
// (servconf.c) do: trailing blanks and form feeds are dropped, the
// keyword ends at a blank, a '"' or one '=' ("Keyword=value",
// "Keyword = value"), and the rest is split by Split. A blank line or
// one whose keyword starts with '#' gives an empty keyword and no
// error. A keyword with nothing after it is ErrMissingArgument;
// unbalanced quotes are ErrQuote.
func SplitLine(s string) (Line, error) {
	s = strings.TrimRight(s, whitespace+"\f")
	kw, rest, more, ok := strdelim(s, true)
	if ok && kw == "" && more {
		kw, rest, more, ok = strdelim(rest, true)
	}
	if !ok {
		return Line{}, ErrQuote
	}
	if kw == "" || kw[0] == '#' {
		return Line{}, nil
	}
	l := Line{Keyword: kw}
	if more {
		l.Raw = strings.TrimLeft(rest, whitespace)
	}
	if l.Raw == "" {
		return l, ErrMissingArgument
	}
	args, err := Split(l.Raw)
	if err != nil {
		return l, err
	}
	l.Args = args
	return l, nil
}

// Split splits s into arguments as OpenSSH's argv_split (misc.c) does
// with terminate_on_comment: arguments are separated by blanks; '"'
// and '\” quote (also in the middle of an argument, as a shell does);
// a backslash escapes a quote, a backslash, and outside quotes a
// space, and stays as it is before any other byte; a '#' at the start
// of an argument ends the line. A quote left open is ErrQuote.
func Split(s string) ([]string, error) { return argvSplit(s, true) }

// SplitCommand is Split without comments, as OpenSSH splits the
// commands it runs without a shell (KnownHostsCommand,
// AuthorizedKeysCommand): a '#' is an ordinary byte.
func SplitCommand(s string) ([]string, error) { return argvSplit(s, false) }

func argvSplit(s string, comments bool) ([]string, error) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if comments && s[i] == '#' {
			break
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '"' && s[i] != '\'' && s[i] != '\\' {
			i++
		}
		if i == len(s) || s[i] == ' ' || s[i] == '\t' {
			args = append(args, s[start:i]) // no quotes or escapes: no copy
			continue
		}
		var arg strings.Builder
		arg.WriteString(s[start:i])
		var quote byte
	token:
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				arg.WriteByte(s[i])
			case quote == 0 && (c == ' ' || c == '\t'):
				break token
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg.WriteByte(c)
			}
		}
		if quote != 0 {
			return nil, ErrQuote
		}
		args = append(args, arg.String())
	}
	return args, nil
}

// SplitMatch splits the criteria of a Match line (Line.Raw) as OpenSSH
// 9.2's match_cfg_line does with strdelim (misc.c): at blanks and at
// one '=' ("User=alice"), with "double quotes" only; single quotes and
// backslashes are ordinary bytes. It stops at an empty token and at
// one that starts with '#'. A '"' left open is ErrQuote.
func SplitMatch(s string) ([]string, error) {
	var out []string
	for rest, more := s, true; more; {
		var tok string
		var ok bool
		if tok, rest, more, ok = strdelim(rest, true); !ok {
			return nil, ErrQuote
		}
		if tok == "" || tok[0] == '#' {
			break
		}
		out = append(out, tok)
	}
	return out, nil
}

// strdelim is OpenSSH's strdelim_internal (misc.c): the next token of
// s and what follows it; more is false when s was the last. ok is
// false for a '"' without its closing one.
func strdelim(s string, splitEquals bool) (tok, rest string, more, ok bool) {
	delims := whitespace + `"`
	if splitEquals {
		delims += "="
	}
	i := strings.IndexAny(s, delims)
	if i < 0 {
		return s, "", false, true
	}
	if s[i] == '"' {
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return "", "", false, false
		}
		tok = s[:i] + s[i+1:i+1+j]
		return tok, strings.TrimLeft(s[i+1+j+1:], whitespace), true, true
	}
	wspace := splitEquals && s[i] == '='
	tok = s[:i]
	rest = strings.TrimLeft(s[i+1:], whitespace)
	if splitEquals && !wspace && strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], whitespace)
	}
	return tok, rest, true, true
}
