package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/userauth"
)

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

func defaultConfig() *config {
	return &config{
		set:                  map[string]bool{},
		PubkeyAuthentication: true,
		// sshd's defaults: passwords through PAM with UsePAM yes, against
		// /etc/shadow (package shadow) without; keyboard-interactive
		// needs PAM, so without UsePAM its default is no.
		PasswordAuthentication: true,
		KbdInteractiveAuth:     true,
		PermitRootLogin:        "prohibit-password",
		AllowTCPForwarding:     "yes",
		AllowStreamLocal:       "yes",
		AllowAgentForwarding:   true,
		X11DisplayOffset:       x11.DefaultDisplayOffset,
		X11UseLocalhost:        true,
		XAuthLocation:          "/usr/bin/xauth",
		PermitUserRC:           true,
		PermitUserEnvironment:  "no",
		Compression:            true, // sshd's default
		GatewayPorts:           "no",
		GSSAPIStrictAcceptor:   true,
		GSSAPICleanupCreds:     true,
		Subsystems:             map[string]string{},
		LoginGraceTime:         server.DefaultLoginGraceTime,
		MaxAuthTries:           userauth.DefaultMaxAuthTries,
		MaxSessions:            10,
		MaxStartups:            server.DefaultStartups,
		PerSourceMaxStartups:   server.DefaultPerSourceMaxStartups,
		PerSourcePenalties:     defaultPenalties(),
		PerSourceNetBlockSize:  server.NetBlockSize{IPv4: 32, IPv6: 128}, // sshd's 32:128
		ClientAliveCountMax:    3,
		LogLevel:               "INFO",
		PidFile:                "/run/gosshd.pid",
		PamServiceName:         "sshd",
		more:                   defaultMore(),
	}
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
		kw, val, ok := strings.Cut(o, "=")
		if !ok {
			kw, val, _ = strings.Cut(strings.TrimSpace(o), " ")
		}
		if err := c.apply(strings.TrimSpace(kw), strings.TrimSpace(val), "command line", 0); err != nil {
			return nil, err
		}
	}
	if file != "" {
		if err := c.readFile(file, 0); err != nil {
			return nil, err
		}
	}
	return c, c.finish()
}

func (c *config) readFile(file string, depth int) error {
	if depth > 8 {
		return fmt.Errorf("%s: Include nested too deeply", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.read(f, file, depth)
}

func (c *config) read(r io.Reader, file string, depth int) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		kw, val, _ := strings.Cut(s, " ")
		if i := strings.IndexAny(kw, "=\t"); i >= 0 {
			kw, val = s[:i], s[i+1:]
		}
		val = strings.ReplaceAll(strings.TrimLeft(strings.TrimSpace(val), "= \t"), "\t", " ")
		if strings.EqualFold(kw, "Include") {
			for _, pat := range strings.Fields(val) {
				if !filepath.IsAbs(pat) {
					pat = filepath.Join("/etc/ssh", pat)
				}
				matches, _ := filepath.Glob(pat)
				for _, m := range matches {
					if err := c.readFile(m, depth+1); err != nil {
						return err
					}
				}
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
			if !matchKeywords[lk] {
				if unsupported[lk] || ignored[lk] || isKnown(lk) {
					return fmt.Errorf("%s: %s: inside Match: %w", where, kw, errUnsupported)
				}
				return fmt.Errorf("%s: %s: unknown keyword", where, kw)
			}
			// Check the value now, on a scratch copy.
			scratch := defaultConfig()
			if err := scratch.apply(kw, val, file, line); err != nil {
				return err
			}
			c.inMatch.lines = append(c.inMatch.lines, matchLine{kw, val, file, line})
			continue
		}
		if err := c.apply(kw, val, file, line); err != nil {
			return err
		}
	}
	c.inMatch = nil
	return sc.Err()
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

// isKnown reports whether apply knows the keyword.
func isKnown(lk string) bool {
	err := defaultConfig().apply(lk, "x", "", 0)
	return err == nil || !strings.HasSuffix(err.Error(), "unknown keyword")
}

// apply sets one keyword.
func (c *config) apply(kw, val, file string, line int) (err error) {
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
	if ok, err := c.applyMore3(lk, val); ok {
		return err
	}
	multi := map[string]bool{"port": true, "listenaddress": true, "hostkey": true, "subsystem": true,
		"acceptenv": true, "allowusers": true, "denyusers": true}
	if c.set[lk] && !multi[lk] {
		return nil // first value wins
	}
	if val == "" {
		return errors.New("missing argument")
	}
	c.set[lk] = true
	b := func(dst *bool) error { v, err := yesNo(val); *dst = v; return err }
	i := func(dst *int) error { v, err := strconv.Atoi(val); *dst = v; return err }
	d := func(dst *time.Duration) error { v, err := kex.ParseTime(val); *dst = v; return err }
	switch lk {
	case "port":
		if c.cmdlinePort && file != "command line" {
			return nil // -p replaces the file's Port lines, as in sshd
		}
		if file == "command line" {
			c.cmdlinePort = true
		}
		p, err := strconv.Atoi(val)
		if err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("bad port %q", val)
		}
		c.Ports = append(c.Ports, p)
	case "listenaddress":
		c.ListenAddresses = append(c.ListenAddresses, strings.Fields(val)[0])
	case "hostkey":
		c.HostKeys = append(c.HostKeys, val)
	case "authorizedkeysfile":
		c.AuthorizedKeysFiles = strings.Fields(val)
	case "authorizedprincipalsfile":
		c.AuthorizedPrincipalsFile = val
	case "authorizedkeyscommand":
		c.AuthorizedKeysCommand = val
	case "authorizedkeyscommanduser":
		c.AuthorizedKeysCommandUser = val
	case "authorizedprincipalscommand":
		c.AuthorizedPrincipalsCommand = val
	case "authorizedprincipalscommanduser":
		c.AuthorizedPrincipalsCommandUser = val
	case "trustedusercakeys":
		c.TrustedUserCAKeys = val
	case "pubkeyauthentication":
		return b(&c.PubkeyAuthentication)
	case "passwordauthentication":
		return b(&c.PasswordAuthentication)
	case "permitemptypasswords":
		return b(&c.PermitEmptyPasswords)
	case "kbdinteractiveauthentication", "challengeresponseauthentication":
		return b(&c.KbdInteractiveAuth)
	case "authenticationmethods":
		if val != "any" {
			if _, err := userauth.ParseAuthenticationMethods(val); err != nil {
				return err
			}
		}
		c.AuthenticationMethods = val
	case "usepam":
		return b(&c.UsePAM)
	case "pamservicename":
		c.PamServiceName = val
	case "permitrootlogin":
		switch val {
		case "yes", "no", "prohibit-password", "forced-commands-only":
		case "without-password":
			val = "prohibit-password"
		default:
			return fmt.Errorf("bad value %q", val)
		}
		c.PermitRootLogin = val
	case "allowusers":
		c.AllowUsers = append(c.AllowUsers, strings.Fields(val)...)
	case "denyusers":
		c.DenyUsers = append(c.DenyUsers, strings.Fields(val)...)
	case "kexalgorithms":
		c.KexAlgorithms, err = algorithmList(kex.DefaultMethods(), kex.Methods(), val)
	case "ciphers":
		c.Ciphers, err = algorithmList(cipher.DefaultCiphers(), cipher.Ciphers(), val)
	case "macs":
		c.MACs, err = algorithmList(cipher.DefaultMACs(), cipher.MACs(), val)
	case "hostkeyalgorithms":
		c.HostKeyAlgorithms, err = algorithmList(hostkey.DefaultAlgorithms(), allKeyAlgorithms(), val)
	case "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes":
		c.PubkeyAcceptedAlgorithms, err = algorithmList(hostkey.DefaultAlgorithms(), allKeyAlgorithms(), val)
	case "gssapiauthentication":
		return b(&c.GSSAPIAuthentication)
	case "gssapikeyexchange":
		return b(&c.GSSAPIKeyExchange)
	case "gssapikexalgorithms":
		// A plain comma-separated list of families, as Debian's sshd
		// takes it (no +, -, ^ modifiers).
		var fams []string
		for _, f := range strings.Split(val, ",") {
			if !slices.Contains(gssAllFamilies(), f) {
				return fmt.Errorf("unsupported GSS-API key exchange algorithm %q", f)
			}
			fams = append(fams, f)
		}
		c.GSSAPIKexAlgorithms = fams
	case "gssapistorecredentialsonrekey":
		var v bool
		if err := b(&v); err != nil || !v {
			return err
		}
		return fmt.Errorf("yes: %w", errUnsupported)
	case "gssapistrictacceptorcheck":
		return b(&c.GSSAPIStrictAcceptor)
	case "gssapicleanupcredentials":
		return b(&c.GSSAPICleanupCreds)
	case "allowtcpforwarding", "allowstreamlocalforwarding":
		switch val {
		case "yes", "all", "no", "local", "remote":
		default:
			return fmt.Errorf("bad value %q", val)
		}
		if val == "all" {
			val = "yes"
		}
		if lk == "allowtcpforwarding" {
			c.AllowTCPForwarding = val
		} else {
			c.AllowStreamLocal = val
		}
	case "allowagentforwarding":
		return b(&c.AllowAgentForwarding)
	case "compression":
		// sshd accepts "delayed" as a synonym of yes (zlib@openssh.com
		// only, after authentication).
		switch val {
		case "yes", "delayed":
			c.Compression = true
		case "no":
			c.Compression = false
		default:
			return fmt.Errorf("bad value %q", val)
		}
	case "x11forwarding":
		return b(&c.X11Forwarding)
	case "x11displayoffset":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n >= x11.MaxDisplays {
			return fmt.Errorf("bad value %q", val)
		}
		c.X11DisplayOffset = n
	case "x11uselocalhost":
		return b(&c.X11UseLocalhost)
	case "xauthlocation":
		c.XAuthLocation = val
	case "permituserrc":
		return b(&c.PermitUserRC)
	case "permitopen":
		c.PermitOpen = strings.Fields(val)
	case "permitlisten":
		c.PermitListen = strings.Fields(val)
		for k, e := range c.PermitListen {
			if e != "any" && e != "none" && !strings.Contains(e, ":") {
				c.PermitListen[k] = "*:" + e // a bare port: any listen host, as sshd stores it
			}
		}
	case "gatewayports":
		switch val {
		case "yes", "no", "clientspecified":
		default:
			return fmt.Errorf("bad value %q", val)
		}
		c.GatewayPorts = val
	case "subsystem":
		f := strings.Fields(val)
		if len(f) < 2 {
			return errors.New("missing command")
		}
		name, cmd := f[0], strings.Join(f[1:], " ")
		if cmd == "" {
			return errors.New("missing command")
		}
		if _, dup := c.Subsystems[name]; !dup {
			c.Subsystems[name] = cmd
			c.SubsystemOrder = append(c.SubsystemOrder, name)
		}
	case "forcecommand":
		c.ForceCommand = val
	case "banner":
		if val != "none" {
			c.Banner = val
		}
	case "tracedir":
		if val != "none" {
			c.TraceDir = val
		}
	case "logingracetime":
		return d(&c.LoginGraceTime)
	case "maxauthtries":
		return i(&c.MaxAuthTries)
	case "maxsessions":
		return i(&c.MaxSessions)
	case "maxstartups":
		var st server.Startups
		parts := strings.Split(val, ":")
		nums := make([]int, len(parts))
		for k, p := range parts {
			if nums[k], err = strconv.Atoi(p); err != nil {
				return fmt.Errorf("bad value %q", val)
			}
		}
		switch len(nums) {
		case 1:
			st = server.Startups{Start: nums[0], Rate: 100, Full: nums[0]}
		case 3:
			st = server.Startups{Start: nums[0], Rate: nums[1], Full: nums[2]}
		default:
			return fmt.Errorf("bad value %q", val)
		}
		c.MaxStartups = st
	case "persourcemaxstartups":
		if val == "none" {
			c.PerSourceMaxStartups = -1
			return nil
		}
		return i(&c.PerSourceMaxStartups)
	case "persourcepenalties":
		return c.PerSourcePenalties.parse(val)
	case "persourcepenaltyexemptlist":
		if strings.EqualFold(val, "none") {
			val = ""
		} else if addrMatchList("", val) != 0 {
			return errors.New("invalid address argument") // as sshd: host bits set, bad mask, empty entry
		}
		c.PerSourcePenaltyExemptList = val
	case "persourcenetblocksize":
		v4, v6, ok := strings.Cut(val, ":")
		n4, err4 := strconv.Atoi(v4)
		n6, err6 := 128, error(nil)
		if ok {
			n6, err6 = strconv.Atoi(v6)
		}
		if err4 != nil || err6 != nil || n4 < 0 || n4 > 32 || n6 < 0 || n6 > 128 {
			return fmt.Errorf("bad value %q", val)
		}
		c.PerSourceNetBlockSize = server.NetBlockSize{IPv4: n4, IPv6: n6}
	case "clientaliveinterval":
		return d(&c.ClientAliveInterval)
	case "clientalivecountmax":
		return i(&c.ClientAliveCountMax)
	case "rekeylimit":
		c.RekeyBytes, c.RekeyInterval, err = kex.ParseRekeyLimit(val)
	case "permituserenvironment":
		if v, err := yesNo(val); err == nil {
			val = map[bool]string{true: "yes", false: "no"}[v]
		}
		c.PermitUserEnvironment = val
	case "setenv":
		// As sshd: the first SetEnv line gives the list (a later one,
		// or one in Match, replaces nothing), a repeated name keeps its
		// first value, and every entry needs '='.
		for _, e := range strings.Fields(val) {
			name, _, ok := strings.Cut(e, "=")
			if !ok || e == "" {
				return errors.New("Invalid environment")
			}
			if !slices.ContainsFunc(c.SetEnv, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
				c.SetEnv = append(c.SetEnv, e)
			}
		}
	case "acceptenv":
		c.AcceptEnv = append(c.AcceptEnv, strings.Fields(val)...)
	case "loglevel":
		switch strings.ToUpper(val) {
		case "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3":
			c.LogLevel = strings.ToUpper(val)
		default:
			return fmt.Errorf("bad value %q", val)
		}
	case "pidfile":
		c.PidFile = val
	default:
		if ok, err := c.applyMore(lk, val); ok {
			return err
		}
		return errors.New("unknown keyword")
	}
	return err
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
	if !c.set["kbdinteractiveauthentication"] && !c.set["challengeresponseauthentication"] && !c.UsePAM {
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
	if c.KbdInteractiveAuth && !c.UsePAM {
		// sshd without PAM offers keyboard-interactive with no device
		// behind it on Linux; gosshd says so instead.
		return errors.New("KbdInteractiveAuthentication needs UsePAM yes in gosshd (without PAM passwords go through PasswordAuthentication)")
	}
	return nil
}

// dump writes the effective configuration as sshd -T does: lower-case
// keywords, one per line.
func (c *config) dump(w io.Writer) {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	p := func(k string, v any) { fmt.Fprintf(w, "%s %v\n", k, v) }
	for _, port := range c.Ports {
		p("port", port)
	}
	c.dumpMore(w)
	c.dumpMore3(w)
	for _, h := range c.HostKeys {
		p("hostkey", h)
	}
	p("authorizedkeysfile", strings.Join(c.AuthorizedKeysFiles, " "))
	p("authorizedprincipalsfile", orNone(c.AuthorizedPrincipalsFile))
	p("authorizedkeyscommand", orNone(c.AuthorizedKeysCommand))
	p("authorizedkeyscommanduser", orNone(c.AuthorizedKeysCommandUser))
	p("authorizedprincipalscommand", orNone(c.AuthorizedPrincipalsCommand))
	p("authorizedprincipalscommanduser", orNone(c.AuthorizedPrincipalsCommandUser))
	p("trustedusercakeys", orNone(c.TrustedUserCAKeys))
	p("pubkeyauthentication", yn(c.PubkeyAuthentication))
	p("passwordauthentication", yn(c.PasswordAuthentication))
	p("permitemptypasswords", yn(c.PermitEmptyPasswords))
	p("kbdinteractiveauthentication", yn(c.KbdInteractiveAuth))
	p("authenticationmethods", orAny(c.AuthenticationMethods))
	p("usepam", yn(c.UsePAM))
	// sshd -T prints prohibit-password under its old name.
	p("permitrootlogin", strings.Replace(c.PermitRootLogin, "prohibit-password", "without-password", 1))
	if len(c.AllowUsers) > 0 {
		p("allowusers", strings.Join(c.AllowUsers, " "))
	}
	if len(c.DenyUsers) > 0 {
		p("denyusers", strings.Join(c.DenyUsers, " "))
	}
	p("kexalgorithms", strings.Join(orList(c.KexAlgorithms, kex.DefaultMethods()), ","))
	p("ciphers", strings.Join(orList(c.Ciphers, cipher.DefaultCiphers()), ","))
	p("macs", strings.Join(orList(c.MACs, cipher.DefaultMACs()), ","))
	p("hostkeyalgorithms", strings.Join(orList(c.HostKeyAlgorithms, hostkey.DefaultAlgorithms()), ","))
	p("pubkeyacceptedalgorithms", strings.Join(orList(c.PubkeyAcceptedAlgorithms, hostkey.DefaultAlgorithms()), ","))
	p("gssapiauthentication", yn(c.GSSAPIAuthentication))
	p("gssapikeyexchange", yn(c.GSSAPIKeyExchange))
	p("gssapistrictacceptorcheck", yn(c.GSSAPIStrictAcceptor))
	p("gssapicleanupcredentials", yn(c.GSSAPICleanupCreds))
	p("gssapistorecredentialsonrekey", "no")
	p("gssapikexalgorithms", strings.Join(orList(c.GSSAPIKexAlgorithms, defaultGSSKexAlgorithms()), ","))
	p("allowtcpforwarding", c.AllowTCPForwarding)
	p("allowstreamlocalforwarding", c.AllowStreamLocal)
	p("allowagentforwarding", yn(c.AllowAgentForwarding))
	p("compression", yn(c.Compression))
	p("x11forwarding", yn(c.X11Forwarding))
	p("x11displayoffset", c.X11DisplayOffset)
	p("x11uselocalhost", yn(c.X11UseLocalhost))
	p("xauthlocation", c.XAuthLocation)
	p("permituserrc", yn(c.PermitUserRC))
	p("permituserenvironment", c.PermitUserEnvironment)
	p("permitopen", strings.Join(orList(c.PermitOpen, []string{"any"}), " "))
	p("permitlisten", strings.Join(orList(c.PermitListen, []string{"any"}), " "))
	p("gatewayports", c.GatewayPorts)
	for _, n := range c.SubsystemOrder {
		p("subsystem", n+" "+c.Subsystems[n])
	}
	p("forcecommand", orNone(c.ForceCommand))
	p("banner", orNone(c.Banner))
	if c.TraceDir != "" {
		p("tracedir", c.TraceDir)
	}
	p("logingracetime", int(c.LoginGraceTime/time.Second))
	p("maxauthtries", c.MaxAuthTries)
	p("maxsessions", c.MaxSessions)
	p("maxstartups", fmt.Sprintf("%d:%d:%d", c.MaxStartups.Start, c.MaxStartups.Rate, c.MaxStartups.Full))
	if c.PerSourceMaxStartups < 0 {
		p("persourcemaxstartups", "none")
	} else {
		p("persourcemaxstartups", c.PerSourceMaxStartups)
	}
	p("persourcepenalties", c.PerSourcePenalties.String())
	p("persourcepenaltyexemptlist", orNone(c.PerSourcePenaltyExemptList))
	p("persourcenetblocksize", fmt.Sprintf("%d:%d", c.PerSourceNetBlockSize.IPv4, c.PerSourceNetBlockSize.IPv6))
	p("clientaliveinterval", int(c.ClientAliveInterval/time.Second))
	p("clientalivecountmax", c.ClientAliveCountMax)
	p("rekeylimit", fmt.Sprintf("%d %d", c.RekeyBytes, int(c.RekeyInterval/time.Second)))
	for _, e := range c.SetEnv {
		p("setenv", e)
	}
	for _, e := range c.AcceptEnv {
		p("acceptenv", e)
	}
	p("loglevel", c.LogLevel)
	p("pidfile", c.PidFile)
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
	return func(name string) bool { return matchList(list, name, globMatch) }
}
