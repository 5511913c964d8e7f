// Command gossh-keygen makes, converts and inspects SSH keys,
// certificates, known_hosts files, key revocation lists and file
// signatures with the flags and file formats of OpenSSH's
// ssh-keygen(1). See docs/gossh-keygen.md for which flags work.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/sshconfig/getopt"
)

// flags is the parsed command line of ssh-keygen(1).
type flags struct {
	set map[byte]bool // every flag letter given

	bits        int      // -b
	comment     string   // -C
	hasComment  bool     // -C given
	newPass     string   // -N
	hasNewPass  bool     // -N given
	oldPass     string   // -P
	hasOldPass  bool     // -P given
	file        string   // -f
	keyType     string   // -t
	hashAlg     string   // -E
	format      string   // -m
	host        string   // -F or -R
	caKey       string   // -s
	identity    string   // -I
	principals  string   // -n
	validity    string   // -V
	serial      string   // -z
	options     []string // -O, in order
	op          string   // -Y
	rounds      int      // -a
	krlFile     string   // -r: a KRL with -Y verify, the host name otherwise
	provider    string   // -w: the SecurityKeyProvider
	cipher      string   // -Z
	printPubkey bool     // -Y -O print-pubkey
	quiet       bool     // -q
	verbose     int      // -v count
	args        []string // files after the flags
	now         time.Time
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	stdinReader *bufio.Reader
}

// ssh-keygen 9.2's getopt string: letters followed by ':' take an
// argument.
const optString = "ABHKLQUXceghiklopquvyb:C:D:E:F:I:M:N:O:P:R:V:Y:Z:a:f:g:m:n:r:s:t:w:z:"

const usage = `usage: gossh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]
                    [-m format] [-N new_passphrase] [-O option]
                    [-t ecdsa | ecdsa-sk | ed25519 | ed25519-sk | rsa]
                    [-w provider] [-Z cipher]
       gossh-keygen -p [-a rounds] [-f keyfile] [-m format] [-N new_passphrase]
                    [-P old_passphrase]
       gossh-keygen -i [-f input_keyfile] [-m key_format]
       gossh-keygen -e [-f input_keyfile] [-m key_format]
       gossh-keygen -y [-f input_keyfile]
       gossh-keygen -c [-a rounds] [-C comment] [-f keyfile] [-P passphrase]
       gossh-keygen -l [-v] [-E fingerprint_hash] [-f input_keyfile]
       gossh-keygen -B [-f input_keyfile]
       gossh-keygen -A [-a rounds] [-f prefix_path]
       gossh-keygen -K [-a rounds] [-w provider]
       gossh-keygen -r hostname [-f input_keyfile]
       gossh-keygen -F hostname [-lv] [-f known_hosts_file]
       gossh-keygen -H [-f known_hosts_file]
       gossh-keygen -R hostname [-f known_hosts_file]
       gossh-keygen -s ca_key -I certificate_identity [-h] [-n principals]
                    [-O option] [-V validity_interval] [-z serial_number] file ...
       gossh-keygen -L [-f input_keyfile]
       gossh-keygen -k -f krl_file [-u] [-s ca_public] [-z version_number]
                    file ...
       gossh-keygen -Q [-l] -f krl_file [file ...]
       gossh-keygen -Y find-principals -s signature_file -f allowed_signers_file
       gossh-keygen -Y match-principals -I signer_identity -f allowed_signers_file
       gossh-keygen -Y check-novalidate -n namespace -s signature_file
       gossh-keygen -Y sign -f key_file -n namespace file [-O option] ...
       gossh-keygen -Y verify -f allowed_signers_file -I signer_identity
                    -n namespace -s signature_file [-r krl_file] [-O option]
`

// errUsage asks main to print the usage and exit 1.
var errUsage = errors.New("usage")

// An exitError ends the command with a status and, if msg is not
// empty, a message on stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fatalf(format string, a ...any) error {
	return &exitError{code: 255, msg: fmt.Sprintf(format, a...)}
}

// parseFlags parses arguments as ssh-keygen's getopt does: flags may be
// combined ("-lvf file"), an argument may be attached ("-b4096"), and
// the first non-flag ends the flags.
func parseFlags(args []string) (*flags, error) {
	f := &flags{set: map[byte]bool{}}
	known, withArg := splitOptString(optString)
	rest, err := getopt.Parse(args, known, withArg, func(c byte, val string) error {
		f.set[c] = true
		return f.apply(c, val)
	}, func(m string) error { return fmt.Errorf("%w: %s", errUsage, m) })
	if err != nil {
		return nil, err
	}
	f.args = rest
	return f, nil
}

// splitOptString splits a getopt(3) option string ("ab:") into the
// letters without an argument and those with one.
func splitOptString(opts string) (known, withArg string) {
	for i := 0; i < len(opts); i++ {
		if i+1 < len(opts) && opts[i+1] == ':' {
			withArg += opts[i : i+1]
			i++
		} else {
			known += opts[i : i+1]
		}
	}
	return known, withArg
}

func (f *flags) apply(c byte, val string) error {
	var err error
	switch c {
	case 'b':
		f.bits, err = strconv.Atoi(val)
		if err != nil || f.bits <= 0 {
			return fatalf("Bits has bad value %s (invalid)", val)
		}
	case 'C':
		f.comment, f.hasComment = val, true
	case 'N':
		f.newPass, f.hasNewPass = val, true
	case 'P':
		f.oldPass, f.hasOldPass = val, true
	case 'f':
		f.file = val
	case 't':
		f.keyType = val
	case 'E':
		f.hashAlg = val
	case 'm':
		f.format = val
	case 'F', 'R':
		f.host = val
	case 's':
		f.caKey = val
	case 'I':
		f.identity = val
	case 'n':
		f.principals = val
	case 'V':
		f.validity = val
	case 'z':
		f.serial = val
	case 'O':
		f.options = append(f.options, val)
	case 'Y':
		f.op = val
	case 'a':
		f.rounds, err = strconv.Atoi(val)
		if err != nil || f.rounds <= 0 {
			return fatalf("Invalid number: %s", val)
		}
	case 'q':
		f.quiet = true
	case 'v':
		f.verbose++
	case 'r':
		f.krlFile = val
	case 'Z':
		f.cipher = val
	case 'w':
		f.provider = val
	case 'D', 'g', 'K', 'M', 'X', 'A', 'B', 'G', 'T', 'U', 'o', 'u', 'W', 'S':
		// Parsed; the modes that use them check f.set.
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, err := parseFlags(args)
	if err == nil {
		f.stdin, f.stdout, f.stderr, f.now = stdin, stdout, stderr, time.Now()
		err = f.dispatch()
	}
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		if msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": "); msg != errUsage.Error() {
			fmt.Fprintf(stderr, "gossh-keygen: %s\n", msg)
		}
		fmt.Fprint(stderr, usage)
		return 1
	case errors.As(err, &ee):
		if ee.msg != "" {
			// OpenSSH's fatal() ends its line in "\r\n", as logit does.
			fmt.Fprintf(stderr, "%s\r\n", ee.msg)
		}
		return ee.code
	default:
		fmt.Fprintln(stderr, err)
		return 255
	}
}

// dispatch picks the mode in ssh-keygen's order.
func (f *flags) dispatch() error {
	for _, c := range []byte{'D', 'g', 'M', 'G', 'T', 'X', 'U'} {
		if f.set[c] && !(c == 'U' && f.set['s']) {
			return fatalf("gossh-keygen: -%c is not supported by gossh-keygen yet (docs/gossh-keygen.md)", c)
		}
	}
	switch {
	case f.set['Y']:
		return f.sshsig()
	case f.set['A']:
		return f.hostKeys()
	case f.set['r']:
		return f.sshfp()
	case f.set['k']:
		return f.genKRL()
	case f.set['Q']:
		return f.checkKRL()
	case f.set['F'] || f.set['R'] || f.set['H']:
		return f.knownHosts()
	case f.set['K']:
		return f.downloadSK()
	case f.set['s']:
		return f.signCerts()
	case f.set['L']:
		return f.showCerts()
	}
	if len(f.args) > 0 {
		return errUsage
	}
	switch {
	case f.set['p']:
		return f.changePassphrase()
	case f.set['c']:
		return f.changeComment()
	case f.set['e']:
		return f.export()
	case f.set['i']:
		return f.importKey()
	case f.set['y']:
		return f.printPublic()
	case f.set['l'] || f.set['B']:
		return f.fingerprint()
	}
	return f.generate()
}

// line reads one line from stdin (prompts without a terminal).
func (f *flags) line() (string, error) {
	if f.stdinReader == nil {
		f.stdinReader = bufio.NewReader(f.stdin)
	}
	s, err := f.stdinReader.ReadString('\n')
	if err != nil && s == "" {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// askFile returns -f, or asks for it with def as the default.
func (f *flags) askFile(prompt, def string) (string, error) {
	if f.file != "" {
		return f.file, nil
	}
	fmt.Fprintf(f.stdout, "%s (%s): ", prompt, def)
	s, err := f.line()
	if err != nil {
		return "", fatalf("")
	}
	if s == "" {
		s = def
	}
	f.file = s
	return s, nil
}

// defaultKeyFile is ~/.ssh/id_<type>.
func defaultKeyFile(typ string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".ssh", "id_"+typ)
}

// defaultComment is user@host, as ssh-keygen.
func defaultComment() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	h, _ := os.Hostname()
	return name + "@" + h
}

// readFile reads a file, "-" meaning stdin.
func (f *flags) readFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(f.stdin)
	}
	return os.ReadFile(name)
}

// logit writes a message to stderr as OpenSSH's logit does, ending it
// in "\r\n".
func (f *flags) logit(format string, a ...any) {
	fmt.Fprintf(f.stderr, format+"\r\n", a...)
}

// strerror is err as C's strerror words it ("No such file or
// directory"), the way ssh-keygen reports system errors.
func strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
