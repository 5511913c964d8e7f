package main

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/sshconfig/getopt"
)

// errVersion stops the parsing at -V, as sshd prints its version there.
var errVersion = errors.New("-V")

// sshdUsage is sshd 9.2's usage message, with gosshd's name.
const sshdUsage = `usage: gosshd [-46DdeiqTtV] [-C connection_spec] [-c host_cert_file]
            [-E log_file] [-f config_file] [-g login_grace_time]
            [-h host_key_file] [-o option] [-p port] [-u len]`

// flags are gosshd's command line, read as sshd 9.2 reads its own with
// getopt (C:E:b:c:f:g:h:k:o:p:u: and 46DQTdeiqrtV, less its internal
// -R; package sshconfig/getopt): letters may be combined ("-De",
// "-ddd"), an argument may follow its letter in the same word
// ("-p2222") or be the next word, and the flags that set a keyword
// become -o options, which come before the file as sshd's do.
type flags struct {
	opts      []string // -o, and the keywords -4 -6 -c -g -h -p -q -d set
	file      string   // -f
	debug     int      // -d count: DEBUG1..3, stderr, one connection
	toStderr  bool     // -e
	logFile   string   // -E
	test      bool     // -t
	dump      bool     // -T
	testSpecs []string // -C
	utmpLen   int      // -u: the longest host name kept in utmp and lastlog
	version   bool     // -V
	inetd     bool     // -i: one connection on stdin and stdout
}

// defaultUtmpLen is sshd's utmp_len: HOST_NAME_MAX + 1.
const defaultUtmpLen = 65

func parseFlags(args []string) (*flags, error) {
	f := &flags{file: "/etc/ssh/sshd_config", utmpLen: defaultUtmpLen}
	const withArg = "CEbcfghkopu"
	const known = "46DQTdeiqrtV"
	var ports, keys []string
	level := "" // -q and -d set it directly, over any -o, as sshd
	set := func(c byte, val string) error {
		switch c {
		case '4':
			f.opts = append(f.opts, "AddressFamily=inet")
		case '6':
			f.opts = append(f.opts, "AddressFamily=inet6")
		case 'C':
			f.testSpecs = append(f.testSpecs, val)
		case 'c':
			f.opts = append(f.opts, "HostCertificate="+val)
		case 'D':
			// gosshd never detaches.
		case 'd':
			f.debug++
			f.toStderr = true
			level = []string{"DEBUG1", "DEBUG2", "DEBUG3"}[min(f.debug, 3)-1]
		case 'E':
			f.logFile = val
		case 'e':
			f.toStderr = true
		case 'f':
			f.file = val
		case 'g':
			if _, err := sshconfig.ParseTime(val); err != nil {
				return errors.New("Invalid login grace time.")
			}
			f.opts = append(f.opts, "LoginGraceTime="+val)
		case 'h':
			keys = append(keys, val)
		case 'i':
			f.inetd = true
		case 'o':
			f.opts = append(f.opts, val)
		case 'p':
			ports = append(ports, val)
		case 'q':
			level = "QUIET"
		case 'T':
			f.dump = true
		case 't':
			f.test = true
		case 'u':
			// As sshd's strtonum: a value that is not a number is 0.
			n, err := strconv.Atoi(val)
			if err != nil {
				n = 0
			}
			if n < 0 || n > defaultUtmpLen {
				return errors.New("Invalid utmp length.")
			}
			f.utmpLen = n
		case 'V':
			f.version = true
			return errVersion
		case 'b', 'k', 'Q', 'r':
			// Options of old sshd versions that 9.2 still accepts
			// and ignores (-b bits, -k key regeneration time, -Q, -r).
		}
		return nil
	}
	rest, err := getopt.Parse(args, known, withArg, set, func(msg string) error { return errors.New(msg) })
	if errors.Is(err, errVersion) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("Extra argument %s.", rest[0])
	}
	if level != "" {
		f.opts = append([]string{"LogLevel=" + level}, f.opts...)
	}
	for _, p := range ports {
		f.opts = append(f.opts, "Port="+p)
	}
	for _, k := range keys {
		f.opts = append(f.opts, "HostKey="+k)
	}
	return f, nil
}

// versionLine is what -V prints, as sshd -V prints "OpenSSH_9.2, OpenSSL
// ...": our identification and the Go release.
func versionLine() string {
	return strings.TrimPrefix(packet.DefaultVersion, "SSH-2.0-") + " (gosshd), " + runtime.Version()
}
