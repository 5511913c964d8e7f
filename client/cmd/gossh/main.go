// Command gossh is an SSH client with the flags and configuration of
// OpenSSH's ssh(1), built on package client. See docs/gossh.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
)

// flags are the parsed command line of ssh(1).
type flags struct {
	opts        []string // -o, in order
	port        string   // -p
	login       string   // -l
	identities  []string // -i
	configFile  string   // -F
	local       []string // -L
	remote      []string // -R
	dynamic     []string // -D
	jump        string   // -J
	stdio       string   // -W
	noCommand   bool     // -N
	tty         int      // -t count
	noTTY       bool     // -T
	ttyState    string   // RequestTTY from -t, -T, -N and -W in order
	agent       int      // 1 for -A, -1 for -a
	x11         int      // the last of -X (1), -Y (2) and -x (-1); 0 for none
	x11Trusted  bool     // -Y was given
	verbose     int      // -v count
	quiet       bool     // -q
	compress    bool     // -C
	family      string   // -4 / -6
	logFile     string   // -E
	printG      bool     // -G
	fork        bool     // -f
	stdinNull   bool     // -n
	subsystem   bool     // -s
	tunnel      string   // -w
	destination string
	command     []string
}

const usage = `usage: gossh [-46AaCfGNnqsTtvXxY] [-D [bind_address:]port] [-E log_file]
             [-c cipher_spec] [-F configfile] [-i identity_file] [-J destination]
             [-L address] [-l login_name] [-m mac_spec] [-o option] [-p port]
             [-R address] [-W host:port] [-w local_tun[:remote_tun]]
             destination [command [argument ...]]`

// parseFlags parses arguments the way ssh(1)'s getopt does: options
// before the destination, flags combinable ("-vvv", "-p22"), and
// everything after the destination is the remote command.
func parseFlags(args []string) (*flags, error) {
	f := &flags{}
	withArg := "bcDEeFIiJLlmOoPpQRSWw"
	known := "46AaCGNqTtvfgkKMnsVXxYy" + withArg
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if f.destination != "" {
				break
			}
			f.destination = a
			i++
			// ssh keeps parsing options after the destination.
			continue
		}
		i++
		for j := 1; j < len(a); j++ {
			c := a[j]
			if !strings.ContainsRune(known, rune(c)) {
				return nil, fmt.Errorf("unknown option -- %c", c)
			}
			var val string
			if strings.ContainsRune(withArg, rune(c)) {
				if j+1 < len(a) {
					val = a[j+1:]
				} else if i < len(args) {
					val = args[i]
					i++
				} else {
					return nil, fmt.Errorf("option requires an argument -- %c", c)
				}
				j = len(a)
			}
			switch c {
			case '4', '6':
				f.family = string(c)
			case 'A':
				f.agent = 1
			case 'a':
				f.agent = -1
			case 'C':
				f.compress = true
			case 'X':
				f.x11 = 1
			case 'x':
				f.x11 = -1
			case 'Y':
				f.x11, f.x11Trusted = 2, true
			case 'G':
				f.printG = true
			case 'f':
				f.fork = true
			case 'n':
				f.stdinNull = true
			case 's':
				if f.noCommand {
					return nil, fmt.Errorf("Cannot specify -s with -N/SessionType")
				}
				f.subsystem = true
			case 'w':
				f.tunnel = val
			case 'N':
				if f.subsystem {
					return nil, fmt.Errorf("Cannot specify -N with -s/SessionType")
				}
				f.noCommand = true
				f.ttyState = "no" // ssh: no session, so no tty
			case 'q':
				f.quiet = true
			case 'T':
				f.noTTY = true
				f.ttyState = "no"
			case 't':
				f.tty++
				f.ttyState = map[bool]string{true: "force", false: "yes"}[f.ttyState == "yes" || f.ttyState == "force"]
			case 'v':
				f.verbose++
			case 'D':
				f.dynamic = append(f.dynamic, val)
			case 'E':
				f.logFile = val
			case 'F':
				f.configFile = val
			case 'i':
				f.identities = append(f.identities, val)
			case 'J':
				f.jump = val
			case 'L':
				f.local = append(f.local, val)
			case 'l':
				f.login = val
			case 'o':
				f.opts = append(f.opts, val)
			case 'c':
				// ssh(1): -c cipher_spec is Ciphers, -m mac_spec MACs;
				// like -o they come before any configuration file.
				f.opts = append(f.opts, "Ciphers="+val)
			case 'm':
				f.opts = append(f.opts, "MACs="+val)
			case 'p':
				f.port = val
			case 'R':
				f.remote = append(f.remote, val)
			case 'W':
				f.stdio = val
				f.ttyState = "no"
			default:
				return nil, fmt.Errorf("option -%c is not supported by gossh yet", c)
			}
		}
	}
	if f.destination == "" && i < len(args) {
		f.destination = args[i]
		i++
	}
	f.command = args[i:]
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
	for _, opt := range f.opts {
		if err := o.setOption(opt); err != nil {
			return nil, matchContext{}, err
		}
	}
	set := func(key, val string) {
		if val != "" {
			o.set(key, []string{val}, "command-line")
		}
	}
	set("user", f.login)
	set("user", destUser)
	set("port", f.port)
	set("port", destPort)
	set("proxyjump", f.jump)
	for _, i := range f.identities {
		o.set("identityfile", []string{i}, "command-line")
	}
	for _, l := range f.local {
		o.set("localforward", []string{l}, "command-line")
	}
	for _, r := range f.remote {
		o.set("remoteforward", []string{r}, "command-line")
	}
	for _, d := range f.dynamic {
		o.set("dynamicforward", []string{d}, "command-line")
	}
	switch f.agent {
	case 1:
		set("forwardagent", "yes")
	case -1:
		set("forwardagent", "no")
	}
	// As ssh: -X and -Y turn ForwardX11 on, -x off, the last one winning;
	// -Y also makes it trusted.
	switch f.x11 {
	case 1, 2:
		set("forwardx11", "yes")
	case -1:
		set("forwardx11", "no")
	}
	if f.x11Trusted {
		set("forwardx11trusted", "yes")
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
	if f.compress {
		set("compression", "yes")
	}
	if f.fork {
		set("forkafterauthentication", "yes")
	}
	if f.stdinNull {
		set("stdinnull", "yes")
	}
	if f.tunnel != "" {
		// ssh -w: Tunnel yes (a warning: gossh has no tun forwarding).
		o.set("tunnel", []string{"yes"}, "command-line")
		set("tunneldevice", f.tunnel)
	}
	switch f.family {
	case "4":
		set("addressfamily", "inet")
	case "6":
		set("addressfamily", "inet6")
	}
	if f.quiet {
		set("loglevel", "QUIET")
	}
	if f.verbose > 0 {
		set("loglevel", []string{"", "DEBUG1", "DEBUG2", "DEBUG3"}[min(f.verbose, 3)])
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
		cf, err := parseConfigFile(expandTilde(file), 0)
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
	if changed || o.wantFinal || (mode != "" && mode != "no" && mode != "false") {
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
	o.expandPaths(mc)
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
	u, host, port := parseDestination(f.destination)
	o, mc, err := resolve(f, u, host, port)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\n", err)
		return 255
	}
	if f.printG {
		for _, w := range o.warnings {
			fmt.Fprintf(os.Stderr, "gossh: %s\n", w)
		}
		o.printG(os.Stdout, host)
		return 0
	}
	if o.yes("forkafterauthentication", false) && os.Getenv(forkFDEnv) == "" {
		if len(f.command) == 0 && !f.noCommand && o.get("remotecommand") == "" && !strings.EqualFold(o.get("sessiontype"), "none") && f.stdio == "" {
			fmt.Fprintf(os.Stderr, "Cannot fork into background without a command to execute.\n")
			return 255
		}
		return forkAfterAuth(args)
	}
	return connect(f, o, mc)
}
