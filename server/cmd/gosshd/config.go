package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/sshconfig"
)

// errUnknownKeyword is the error for a keyword gosshd does not know.
var errUnknownKeyword = errors.New("unknown keyword")

// errUnsupported marks keywords gosshd knows but does not implement.
var errUnsupported = errors.New("not supported by gosshd")

// errNoPAM is the configuration error for UsePAM yes in a gosshd built
// without PAM (nopam.go), and what its PAM entry points return.
var errNoPAM = errors.New("UsePAM yes: this gosshd was built without PAM (CGO_ENABLED=0 or -tags nopam); rebuild it with cgo and libpam0g-dev, or set UsePAM no")

// config is the effective sshd_config (sshd_config(5)). For single-value
// keywords the first value wins, as in sshd; -o options come first.
type config struct {
	set         map[string]bool // keywords seen, lower case
	cmdlinePort bool            // Port came from -p or -o
	matches     []*matchBlock   // Match sections, in order
	inMatch     *matchBlock     // the section being read
	utmpLen     int             // -u (recordHost); defaultUtmpLen unless set

	Ports                           []int
	ListenAddresses                 []string
	HostKeys                        []string
	AuthorizedKeysFiles             []string
	AuthorizedPrincipalsFile        string
	AuthorizedKeysCommand           string // "" or "none": no command
	AuthorizedKeysCommandUser       string
	AuthorizedPrincipalsCommand     string
	AuthorizedPrincipalsCommandUser string
	TrustedUserCAKeys               string
	PubkeyAuthentication            bool
	PasswordAuthentication          bool
	PermitEmptyPasswords            bool // an empty password may be tried (PAM, or an empty shadow hash)
	KbdInteractiveAuth              bool
	AuthenticationMethods           string
	UsePAM                          bool
	PermitRootLogin                 string
	AllowUsers, DenyUsers           []string
	KexAlgorithms                   []string
	Ciphers, MACs                   []string
	HostKeyAlgorithms               []string
	PubkeyAcceptedAlgorithms        []string
	GSSAPIAuthentication            bool
	GSSAPIKeyExchange               bool
	GSSAPIStrictAcceptor            bool
	GSSAPICleanupCreds              bool
	GSSAPIKexAlgorithms             []string // gsskex families, sshd's default when nil
	AllowTCPForwarding              string   // yes, no, local, remote, all
	AllowStreamLocal                string
	AllowAgentForwarding            bool
	X11Forwarding                   bool
	X11DisplayOffset                int
	X11UseLocalhost                 bool
	XAuthLocation                   string
	PermitUserRC                    bool     // run ~/.ssh/rc before the session's command
	PermitUserEnvironment           string   // "no", "yes" or a pattern list of names
	Compression                     bool     // zlib@openssh.com after authentication
	PermitOpen                      []string // "any" or host:port entries, "none"
	PermitListen                    []string
	GatewayPorts                    string
	Subsystems                      map[string]string
	SubsystemOrder                  []string
	ForceCommand                    string
	Banner                          string
	TraceDir                        string // gosshd's own: where the JSON-lines trace goes
	LoginGraceTime                  time.Duration
	MaxAuthTries                    int
	MaxSessions                     int
	MaxStartups                     server.Startups
	PerSourceMaxStartups            int
	PerSourcePenalties              penalties
	PerSourcePenaltyExemptList      string // pattern list of addresses and CIDR blocks; "" for none
	PerSourceNetBlockSize           server.NetBlockSize
	ClientAliveInterval             time.Duration
	ClientAliveCountMax             int
	RekeyBytes                      uint64
	RekeyInterval                   time.Duration
	SetEnv                          []string
	AcceptEnv                       []string
	LogLevel                        string
	PidFile                         string
	PamServiceName                  string
	Warnings                        []string

	more  moreConfig // keywords.go
	more3 config3    // keywords3.go
}

// defaultConfig is sshd's defaults: those of every table entry.
func defaultConfig() *config {
	c := &config{set: map[string]bool{}, Subsystems: map[string]string{}, utmpLen: defaultUtmpLen}
	for i := range keywords {
		if k := &keywords[i]; k.def != nil {
			k.def(c)
		}
	}
	return c
}

// unsupported are sshd_config keywords gosshd refuses: ignoring them
// would silently weaken or change the policy an admin wrote.
var unsupported = map[string]bool{}

// ignored are keywords that gosshd accepts and ignores, with a warning.
var ignored = map[string]bool{
	"debianbanner": true, "maxstartupsdelay": true,
}

// defaultGSSKexAlgorithms is Debian sshd's default GSSAPIKexAlgorithms
// (sshd -T), which includes two of the SHA-1 families.
func defaultGSSKexAlgorithms() []string { return gsskex.OpenSSHFamilies() }

// gssAllFamilies are the families GSSAPIKexAlgorithms may name.
func gssAllFamilies() []string { return gsskex.Families() }

// loadConfig reads file (if not empty) after the -o options.
func loadConfig(file string, opts []string) (*config, error) {
	c := defaultConfig()
	for _, o := range opts {
		l, err := sshconfig.SplitLine(o)
		if err != nil {
			return nil, fmt.Errorf("command line: %w", err)
		}
		if l.Keyword == "" {
			continue
		}
		if strings.EqualFold(l.Keyword, "include") || strings.EqualFold(l.Keyword, "match") {
			return nil, fmt.Errorf("command line: %s directive not supported as a command-line option", l.Keyword)
		}
		if err := c.apply(l.Keyword, lineValue(&l), l.Args, "command line", 0); err != nil {
			return nil, err
		}
	}
	if file != "" {
		f, err := sshconfig.Read(file, sshconfig.ServerOptions())
		if err != nil {
			return nil, err
		}
		if err := c.read(f.Lines); err != nil {
			return nil, err
		}
		c.inMatch = nil
	}
	return c, c.finish()
}

// rawKeywords take the rest of the line as written, quotes, '#' and
// all, as servconf.c does for them; every other keyword gets
// argv_split's arguments joined by one space.
var rawKeywords = map[string]bool{
	"forcecommand": true, "authorizedkeyscommand": true, "authorizedprincipalscommand": true,
	"versionaddendum": true, "match": true,
}

// lineValue is the value apply takes for one line (rawKeywords).
func lineValue(l *sshconfig.Line) string {
	if rawKeywords[strings.ToLower(l.Keyword)] {
		return l.Raw
	}
	return strings.Join(l.Args, " ")
}

// read applies lines, Include expanded in place as sshd does: an
// included file's lines belong to the Match block the Include is in,
// and the including file's block resumes after each included file.
func (c *config) read(lines []sshconfig.Line) error {
	for i := range lines {
		l := &lines[i]
		kw, val, file, line := l.Keyword, lineValue(l), l.File, l.Num
		if strings.EqualFold(kw, "Include") {
			outer := c.inMatch
			for _, f := range l.Include {
				if err := c.read(f.Lines); err != nil {
					return err
				}
				if outer != nil && c.inMatch != outer {
					// sshd evaluates such a Match only when the outer one
					// matched; gosshd's blocks cannot nest.
					return fmt.Errorf("%s: Match in a file included from inside a Match block: %w", f.Name, errUnsupported)
				}
				c.inMatch = outer
			}
			continue
		}
		where := fmt.Sprintf("%s line %d", file, line)
		if strings.EqualFold(kw, "Match") {
			m, err := parseMatch(val, where)
			if err != nil {
				return fmt.Errorf("%s: Match: %w", where, err)
			}
			c.matches = append(c.matches, m)
			c.inMatch = m
			continue
		}
		if c.inMatch != nil {
			lk := strings.ToLower(kw)
			if k := lookupKeyword(lk); k == nil || !k.match {
				if unsupported[lk] || ignored[lk] || isKnown(lk) {
					return fmt.Errorf("%s: Directive '%s' is not allowed within a Match block", where, lk) // sshd's words
				}
				return fmt.Errorf("%s: %s: unknown keyword", where, kw)
			}
			// Check the value now, on a scratch copy.
			scratch := defaultConfig()
			if err := scratch.apply(kw, val, l.Args, file, line); err != nil {
				return err
			}
			c.inMatch.lines = append(c.inMatch.lines, matchLine{kw, val, l.Args, file, line})
			continue
		}
		if err := c.apply(kw, val, l.Args, file, line); err != nil {
			return err
		}
	}
	return nil
}

func yesNo(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true":
		return true, nil
	case "no", "false":
		return false, nil
	}
	return false, fmt.Errorf("bad yes/no value %q", v)
}

// algorithmList applies OpenSSH's +, - and ^ list modifiers
// (sshd_config(5) KexAlgorithms) to defaults, choosing new names from
// defaults and all; like sshd it refuses a name it does not know.
func algorithmList(defaults, all []string, spec string) ([]string, error) {
	all = slices.Concat(defaults, all)
	if err := cipher.CheckNames(all, spec); err != nil {
		return nil, err
	}
	return cipher.ApplyModifiersFrom(defaults, all, spec)
}

// allKeyAlgorithms lists every public key algorithm name hostkey knows:
// the key types, the RSA SHA-2 signature algorithms and the certificate
// forms of each.
func allKeyAlgorithms() []string {
	base := append(hostkey.Algorithms(), hostkey.RSASHA256, hostkey.RSASHA512)
	out := slices.Clone(base)
	for _, a := range base {
		if c := hostkey.CertAlgorithm(a); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// isKnown reports whether the keyword table, or the lists of
// keywords gosshd refuses or ignores, has the keyword.
func isKnown(lk string) bool {
	return lookupKeyword(lk) != nil || unsupported[lk] || ignored[lk]
}

// apply sets one keyword through its table entry: val is the line's
// value (lineValue), args its arguments, which list keywords (the
// entry's args) take instead of splitting val again. For single-valued
// keywords the first value wins, as in sshd.
func (c *config) apply(kw, val string, args []string, file string, line int) (err error) {
	lk := strings.ToLower(kw)
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s line %d", file, line)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%s: %s: %w", where, kw, err)
		}
	}()
	if unsupported[lk] {
		return errUnsupported
	}
	if ignored[lk] {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s is not supported by gosshd and is ignored", where, kw))
		return nil
	}
	k := lookupKeyword(lk)
	if k == nil {
		return errUnknownKeyword
	}
	if c.set[k.name] && !k.multi {
		return nil // first value wins
	}
	if val == "" {
		return errors.New("missing argument")
	}
	c.set[k.name] = true
	if k.args != nil {
		return k.args(c, slices.Clone(args), file == "command line")
	}
	return k.apply(c, val, file == "command line")
}

// finish fills defaults that depend on other keywords.
func (c *config) finish() error {
	if c.UsePAM && !havePAM {
		return errNoPAM
	}
	if len(c.Ports) == 0 {
		c.Ports = []int{22}
	}
	if len(c.HostKeys) == 0 {
		c.HostKeys = []string{"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"}
	}
	if len(c.AuthorizedKeysFiles) == 0 {
		c.AuthorizedKeysFiles = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}
	}
	if !c.set["kbdinteractiveauthentication"] && !c.UsePAM {
		c.KbdInteractiveAuth = false
	}
	if c.AuthorizedKeysCommand != "" && !strings.EqualFold(c.AuthorizedKeysCommand, "none") &&
		(c.AuthorizedKeysCommandUser == "" || strings.EqualFold(c.AuthorizedKeysCommandUser, "none")) {
		return errors.New("AuthorizedKeysCommand set without AuthorizedKeysCommandUser") // sshd's words
	}
	if c.AuthorizedPrincipalsCommand != "" && !strings.EqualFold(c.AuthorizedPrincipalsCommand, "none") &&
		(c.AuthorizedPrincipalsCommandUser == "" || strings.EqualFold(c.AuthorizedPrincipalsCommandUser, "none")) {
		return errors.New("AuthorizedPrincipalsCommand set without AuthorizedPrincipalsCommandUser")
	}
	if !c.UsePAM && slices.ContainsFunc(c.matchValues("kbdinteractiveauthentication"), func(v string) bool { b, _ := yesNo(v); return b }) {
		return errors.New("KbdInteractiveAuthentication yes in a Match section needs UsePAM yes in gosshd")
	}
	if c.KbdInteractiveAuth && !c.UsePAM {
		// sshd without PAM offers keyboard-interactive with no device
		// behind it on Linux; gosshd says so instead.
		return errors.New("KbdInteractiveAuthentication needs UsePAM yes in gosshd (without PAM passwords go through PasswordAuthentication)")
	}
	return nil
}

// dump writes the effective configuration as sshd -T does: lower-case
// keywords, one per line, in the order of the keyword table.
func (c *config) dump(w io.Writer) {
	for i := range keywords {
		k := &keywords[i]
		k.print(c, func(v any) { fmt.Fprintf(w, "%s %v\n", k.name, v) })
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

func orList(l, def []string) []string {
	if l == nil {
		return def
	}
	return l
}

// userEnvironment returns the PermitUserEnvironment decision for a
// variable name: nil for "no", which is sshd's default.
func (c *config) userEnvironment() func(name string) bool {
	switch c.PermitUserEnvironment {
	case "no", "":
		return nil
	case "yes":
		return func(string) bool { return true }
	}
	list := c.PermitUserEnvironment
	return func(name string) bool { return sshconfig.MatchList(list, name, sshconfig.Wildcard) }
}
