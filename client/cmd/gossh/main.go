// Command gossh is an SSH client with the flags and configuration of
// OpenSSH's ssh(1), built on package client. See docs/gossh.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/sshstack/sshstack/sshconfig/getopt"
)

// flags are the parsed command line of ssh(1).
type flags struct {
	opts       []string // -o, in order
	port       string   // -p
	login      string   // -l
	identities []string // -i
	configFile string   // -F
	local      []string // -L
	remote     []string // -R
	dynamic    []string // -D
	jump       string   // -J
	stdio      string   // -W
	noCommand  bool     // -N
	tty        int      // -t count
	noTTY      bool     // -T
	ttyState   string   // RequestTTY from -t, -T, -N and -W in order
	agent      int      // 1 for -A, -1 for -a
	x11        int      // the last of -X (1), -Y (2) and -x (-1); 0 for none
	x11Trusted bool     // -Y was given
	verbose    int      // -v count
	quiet      bool     // -q
	compress   bool     // -C
	family     string   // -4 / -6
	logFile    string   // -E
	syslog     bool     // -y
	printG     bool     // -G
	fork       bool     // -f
	stdinNull  bool     // -n
	subsystem  bool     // -s
	master     int      // -M count
	muxCmd     string   // -O
	query      string   // -Q: list the algorithms of this kind and exit
	version    bool     // -V: print the version and exit
	// ordered are -o (raw) and the flags that set a keyword first-wins
	// (-p -l -i -J -L -R -D, the destination's user and port), in
	// command-line order: ssh applies them as it meets them.
	ordered []cliOpt
	destAt  int // index in ordered where the destination was met
	// forced are the flags that set a keyword over any -o, as ssh's
	// getopt assigns them (-A -a -C -4 -6 -X -x -Y -q -v -n -f -g -b -B
	// -e -w); the last one wins.
	forced      map[string]string
	tunnel      string // -w
	destination string
	command     []string
}

const usage = `usage: gossh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] [-b bind_address]
             [-D [bind_address:]port] [-E log_file] [-e escape_char]
             [-c cipher_spec] [-F configfile] [-I pkcs11] [-i identity_file] [-J destination]
             [-L address] [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option]
             [-p port] [-Q query_option] [-R address] [-S ctl_path] [-W host:port]
             [-w local_tun[:remote_tun]] destination [command [argument ...]]`

// errStop ends the parsing at -V or -Q, which ssh runs there and then.
var errStop = errors.New("stop")

// parseFlags parses arguments the way ssh(1)'s getopt does: options
// before the destination, flags combinable ("-vvv", "-p22"), and
// everything after the destination is the remote command.
func parseFlags(args []string) (*flags, error) {
	f := &flags{}
	const withArg = "BbcDEeFIiJLlmOopQRSWw"
	const known = "1246AaCGNqTtvfgkKMnPsVXxYy"
	force := func(k, v string) {
		if f.forced == nil {
			f.forced = map[string]string{}
		}
		f.forced[k] = v
	}
	add := func(key, val string) { f.ordered = append(f.ordered, cliOpt{key: key, val: val}) }
	set := func(c byte, val string) error {
		switch c {
		case '1':
			return fmt.Errorf("SSH protocol v.1 is no longer supported")
		case '2', 'P':
			// As ssh: -2 (protocol 2, the only one) and -P (the
			// privileged source port of old) are accepted and do
			// nothing.
		case '4', '6':
			f.family = string(c)
			force("addressfamily", map[byte]string{'4': "inet", '6': "inet6"}[c])
		case 'A':
			f.agent = 1
			force("forwardagent", "yes")
		case 'a':
			f.agent = -1
			force("forwardagent", "no")
		case 'C':
			f.compress = true
			force("compression", "yes")
		case 'X':
			f.x11 = 1
			force("forwardx11", "yes")
		case 'x':
			f.x11 = -1
			force("forwardx11", "no")
		case 'Y':
			// -Y turns ForwardX11 on and makes it trusted.
			f.x11, f.x11Trusted = 2, true
			force("forwardx11", "yes")
			force("forwardx11trusted", "yes")
		case 'G':
			f.printG = true
		case 'V', 'Q':
			// As ssh: the first of -V and -Q ends the parsing, and
			// the command does only that.
			f.version, f.query = c == 'V', val
			return errStop
		case 'K':
			// ssh's -K: GSSAPI authentication with the credentials
			// forwarded; -k: not forwarded.
			force("gssapiauthentication", "yes")
			force("gssapidelegatecredentials", "yes")
		case 'k':
			force("gssapidelegatecredentials", "no")
		case 'I':
			// As ssh: -I is PKCS11Provider, over any -o.
			force("pkcs11provider", val)
		case 'f':
			f.fork = true
			force("forkafterauthentication", "yes")
			force("stdinnull", "yes")
		case 'n':
			f.stdinNull = true
			force("stdinnull", "yes")
		case 'g':
			force("gatewayports", "yes")
		case 'b':
			force("bindaddress", val)
		case 'B':
			force("bindinterface", val)
		case 'e':
			force("escapechar", val)
		case 's':
			if f.noCommand {
				return fmt.Errorf("Cannot specify -s with -N/SessionType")
			}
			f.subsystem = true
		case 'w':
			// Tunnel yes unless an -o Tunnel came first (ssh sets
			// tun_open only if unset); TunnelDevice always.
			f.tunnel = val
			add("tunnel", "yes")
			force("tunneldevice", val)
		case 'N':
			if f.subsystem {
				return fmt.Errorf("Cannot specify -N with -s/SessionType")
			}
			f.noCommand = true
			f.ttyState = "no" // ssh: no session, so no tty
		case 'q':
			f.quiet = true
			force("loglevel", "QUIET")
		case 'T':
			f.noTTY = true
			f.ttyState = "no"
		case 't':
			f.tty++
			f.ttyState = map[bool]string{true: "force", false: "yes"}[f.ttyState == "yes" || f.ttyState == "force"]
		case 'v':
			f.verbose++
			force("loglevel", []string{"", "DEBUG1", "DEBUG2", "DEBUG3"}[min(f.verbose, 3)])
		case 'D':
			f.dynamic = append(f.dynamic, val)
			add("dynamicforward", val)
		case 'E':
			f.logFile = val
		case 'y':
			f.syslog = true
		case 'F':
			f.configFile = val
		case 'i':
			f.identities = append(f.identities, val)
			add("identityfile", val)
		case 'J':
			if f.jump != "" {
				return fmt.Errorf("Only a single -J option is permitted (use commas to separate multiple jump hops)")
			}
			f.jump = val
			add("proxyjump", val)
		case 'L':
			f.local = append(f.local, val)
			add("localforward", val)
		case 'l':
			f.login = val
			add("user", val)
		case 'o':
			f.opts = append(f.opts, val)
			f.ordered = append(f.ordered, cliOpt{raw: val})
		case 'c':
			// ssh(1): -c cipher_spec is Ciphers, -m mac_spec MACs;
			// like -o they come before any configuration file.
			f.opts = append(f.opts, "Ciphers="+val)
			add("ciphers", val)
		case 'm':
			f.opts = append(f.opts, "MACs="+val)
			add("macs", val)
		case 'p':
			f.port = val
			add("port", val)
		case 'R':
			f.remote = append(f.remote, val)
			add("remoteforward", val)
		case 'W':
			f.stdio = val
			f.ttyState = "no"
		case 'M':
			// -M is ControlMaster yes, -MM ask.
			f.master++
			force("controlmaster", map[bool]string{true: "ask", false: "yes"}[f.master > 1])
		case 'S':
			add("controlpath", val)
		case 'O':
			if !muxCommands[val] {
				return fmt.Errorf("Invalid multiplex command.")
			}
			f.muxCmd = val
		default:
			return fmt.Errorf("option -%c is not supported by gossh yet", c)
		}
		return nil
	}
	bad := func(msg string) error { return errors.New(msg) }
	rest, err := getopt.Parse(args, known, withArg, set, bad)
	if err == nil && len(rest) > 0 {
		at := len(args) - len(rest)
		afterDashes := at > 0 && args[at-1] == "--"
		f.destination, f.destAt = rest[0], len(f.ordered)
		rest = rest[1:]
		if !afterDashes {
			// ssh keeps parsing options after the destination.
			rest, err = getopt.Parse(rest, known, withArg, set, bad)
		}
	}
	if errors.Is(err, errStop) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	f.command = rest
	if f.destination == "" {
		return nil, fmt.Errorf("no destination")
	}
	if f.subsystem && len(f.command) == 0 {
		return nil, fmt.Errorf("You must specify a subsystem to invoke.")
	}
	return f, nil
}

// parseDestination splits [user@]host[:port] and ssh://[user@]host[:port].
func parseDestination(d string) (user, host, port string) {
	if rest, ok := strings.CutPrefix(d, "ssh://"); ok {
		d = rest
		if i := strings.LastIndex(d, "@"); i >= 0 {
			user, d = d[:i], d[i+1:]
		}
		if strings.HasPrefix(d, "[") {
			if j := strings.Index(d, "]"); j > 0 {
				host = d[1:j]
				port = strings.TrimPrefix(d[j+1:], ":")
				return
			}
		}
		if h, p, ok := strings.Cut(d, ":"); ok {
			return user, h, p
		}
		return user, d, ""
	}
	if i := strings.LastIndex(d, "@"); i >= 0 {
		user, d = d[:i], d[i+1:]
	}
	return user, strings.Trim(d, "[]"), ""
}

// resolve builds the effective options for a destination: command line
// first, then the user's file (or -F), then the system file, each with
// first-value-wins (ssh_config(5)).
func resolve(f *flags, destUser, host, destPort string) (*options, matchContext, error) {
	o := newOptions()
	// -o and the first-wins flags in command-line order, the
	// destination's user and port where it stood.
	apply := func(c cliOpt) error {
		if c.raw != "" {
			return o.setOption(c.raw)
		}
		if c.val == "" {
			return nil
		}
		switch c.key {
		case "proxyjump":
			if _, ok := o.vals["proxyjump"]; ok {
				return fmt.Errorf("Only a single -J option is permitted (use commas to separate multiple jump hops)")
			}
		case "identityfile":
			if _, err := os.Stat(expandTilde(c.val)); err != nil {
				// As ssh: a -i file that cannot be read is left out.
				fmt.Fprintf(os.Stderr, "Warning: Identity file %s not accessible: %s.\n", c.val, syscallMessage(err))
				return nil
			}
		}
		return o.set(c.key, []string{c.val}, "command-line")
	}
	for i, c := range f.ordered {
		if i == f.destAt {
			apply(cliOpt{key: "user", val: destUser})
			apply(cliOpt{key: "port", val: destPort})
		}
		if err := apply(c); err != nil {
			return nil, matchContext{}, err
		}
	}
	if f.destAt >= len(f.ordered) {
		apply(cliOpt{key: "user", val: destUser})
		apply(cliOpt{key: "port", val: destPort})
	}
	for k, v := range f.forced {
		o.vals[k] = []string{v}
		o.srcs[k] = "command-line"
		if unsupportedValue(k, v) {
			o.warnings = append(o.warnings, fmt.Sprintf("command-line: %s is not supported by gossh yet; ignored", k))
		}
	}
	// As in ssh, -t, -T, -N and -W set RequestTTY over any -o, the
	// last of them deciding; -N and -W also mean SessionType none.
	if f.ttyState != "" {
		o.vals["requesttty"] = []string{f.ttyState}
	}
	if f.subsystem {
		o.vals["sessiontype"] = []string{"subsystem"}
	}
	if f.noCommand || f.stdio != "" {
		o.vals["sessiontype"] = []string{"none"}
	}
	if f.stdio != "" {
		// ssh -W: the stdio forward is the only one, and must work.
		o.vals["clearallforwardings"] = []string{"yes"}
		o.vals["exitonforwardfailure"] = []string{"yes"}
	}
	local := ""
	if u, err := user.Current(); err == nil {
		local = u.Username
	}
	mc := matchContext{host: host, originalHost: host, user: o.get("user"), localUser: local}
	files := []string{f.configFile}
	if f.configFile == "" {
		files = []string{expandTilde("~/.ssh/config"), "/etc/ssh/ssh_config"}
	} else if f.configFile == "none" {
		files = nil
	}
	var cfs []*configFile
	for _, file := range files {
		cf, err := parseConfigFile(expandTilde(file), configOptions(file))
		if err != nil {
			return nil, mc, err
		}
		if err := cf.apply(o, mc); err != nil {
			return nil, mc, err
		}
		cfs = append(cfs, cf)
	}
	// As ssh: canonicalise the host name (CanonicalizeHostname), then,
	// if it is on or a "Match final" asked for it, read the files again
	// for the new name, "Match canonical" and "Match final" true.
	name := strings.ToLower(host)
	if hn := o.get("hostname"); hn != "" {
		name = strings.ToLower(strings.ReplaceAll(hn, "%h", host))
	}
	canon, changed, err := canonicalize(context.Background(), o, name)
	if err != nil {
		return nil, mc, err
	}
	mode := strings.ToLower(o.get("canonicalizehostname"))
	if changed {
		// Also a CNAME followed with canonicalisation off.
		o.vals["hostname"] = []string{canon}
		host = canon
	}
	if o.wantFinal || (mode != "" && mode != "no" && mode != "false") {
		o.vals["hostname"] = []string{canon}
		mc.host, mc.canonical, mc.final = canon, true, true
		for _, cf := range cfs {
			if err := cf.apply(o, mc); err != nil {
				return nil, mc, err
			}
		}
		host = canon
	}
	if err := o.fillDefaults(host); err != nil {
		return nil, mc, err
	}
	mc.user = o.get("user")
	if err := o.expandPaths(mc); err != nil {
		return nil, mc, err
	}
	return o, mc, nil
}

func main() {
	stop := startCPUProfile()
	code := run(os.Args[1:])
	stop()
	os.Exit(code)
}

func run(args []string) int {
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\n%s\n", err, usage)
		return 255
	}
	if f.version {
		fmt.Fprintln(os.Stderr, versionLine())
		return 0
	}
	if f.query != "" {
		return query(os.Stdout, os.Stderr, f.query)
	}
	u, host, port := parseDestination(f.destination)
	o, mc, err := resolve(f, u, host, port)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\n", err)
		return 255
	}
	for _, n := range o.notes {
		fmt.Fprintf(os.Stderr, "%s\n", n)
	}
	if f.printG {
		for _, w := range o.warnings {
			fmt.Fprintf(os.Stderr, "gossh: %s\n", w)
		}
		o.printG(os.Stdout, host)
		return 0
	}
	if f.muxCmd != "" {
		return muxCommand(f.muxCmd, f, o)
	}
	if o.yes("forkafterauthentication", false) && os.Getenv(forkFDEnv) == "" {
		if len(f.command) == 0 && !f.noCommand && o.get("remotecommand") == "" && !strings.EqualFold(o.get("sessiontype"), "none") && f.stdio == "" {
			fmt.Fprintf(os.Stderr, "Cannot fork into background without a command to execute.\n")
			return 255
		}
		return forkAfterAuth(args)
	}
	// Connection sharing: use a master if there is one (ControlMaster
	// no, auto, autoask), else become one; ControlPersist puts the
	// master in the background and runs this session through it.
	bg := os.Getenv(muxBGEnv) != ""
	if cp := o.get("controlpath"); cp != "" && !bg {
		cm := controlMaster(o)
		if cm == "false" || cm == "auto" || cm == "autoask" {
			if code, ok := muxClient(f, o, cp, true); ok {
				return code
			}
		}
		if on, _ := controlPersist(o); on && cm != "false" {
			return persistMaster(args, f, o)
		}
	}
	return connect(f, o, mc)
}

// A cliOpt is one -o (raw) or one flag that sets key to val.
type cliOpt struct{ raw, key, val string }

// syscallMessage is err's system error text as ssh prints strerror.
func syscallMessage(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		s := pe.Err.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
