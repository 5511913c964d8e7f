package main

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/sshconfig"
)

// printOrder is the order in which ssh -G (OpenSSH 9.2 with Debian's
// GSS-API patch, readconf.c's dump_client_config) prints the keywords;
// printG follows it. Keywords without a value are not printed, as ssh
// leaves out unset strings. Forwards, identity files and the special
// cases have their own formats (printG).
var printOrder = []string{
	"user", "hostname", "port",
	// flags and multi-state options
	"addressfamily", "batchmode", "canonicalizefallbacklocal", "canonicalizehostname",
	"checkhostip", "compression", "controlmaster", "enablesshkeysign", "clearallforwardings",
	"exitonforwardfailure", "fingerprinthash", "forwardx11", "forwardx11trusted", "gatewayports",
	"gssapiauthentication", "gssapikeyexchange", "gssapidelegatecredentials", "gssapitrustdns",
	"gssapirenewalforcesrekey", "gssapiclientidentity", "gssapiserveridentity", "gssapikexalgorithms", "hashknownhosts", "hostbasedauthentication",
	"identitiesonly", "kbdinteractiveauthentication", "nohostauthenticationforlocalhost",
	"passwordauthentication", "permitlocalcommand", "proxyusefdpass", "pubkeyauthentication",
	"requesttty", "sessiontype", "stdinnull", "forkafterauthentication", "streamlocalbindunlink",
	"stricthostkeychecking", "tcpkeepalive", "tunnel", "verifyhostkeydns", "visualhostkey",
	"updatehostkeys", "enableescapecommandline",
	// integers
	"canonicalizemaxdots", "connectionattempts", "forwardx11timeout", "numberofpasswordprompts",
	"serveralivecountmax", "serveraliveinterval", "requiredrsasize",
	// strings
	"bindaddress", "bindinterface", "ciphers", "controlpath", "hostkeyalgorithms", "hostkeyalias",
	"hostbasedacceptedalgorithms", "identityagent", "ignoreunknown", "kbdinteractivedevices",
	"kexalgorithms", "casignaturealgorithms", "localcommand", "remotecommand", "loglevel", "macs",
	"pkcs11provider", "securitykeyprovider", "preferredauthentications", "pubkeyacceptedalgorithms",
	"revokedhostkeys", "xauthlocation", "knownhostscommand",
	// forwards
	"dynamicforward", "localforward", "remoteforward",
	// string arrays
	"identityfile", "canonicaldomains", "certificatefile", "globalknownhostsfile",
	"userknownhostsfile", "sendenv", "setenv", "logverbose",
	// special cases
	"permitremoteopen", "addkeystoagent", "forwardagent", "connecttimeout", "tunneldevice",
	"canonicalizepermittedcnames", "controlpersist", "escapechar", "ipqos", "rekeylimit",
	"streamlocalbindmask", "syslogfacility", "proxycommand", "proxyjump",
	// gossh's own
	"tracefile",
}

// printName is how ssh -G spells a keyword where it is not the lower
// case one (a quirk of OpenSSH's keyword table).
var printName = map[string]string{"canonicalizepermittedcnames": "canonicalizePermittedcnames"}

// multiState maps each accepted value of a multi-state keyword (lower
// case) to the spelling ssh -G prints (readconf.c's multistate tables).
var multiState = map[string]map[string]string{
	"addressfamily":         {"inet": "inet", "inet6": "inet6", "any": "any"},
	"canonicalizehostname":  {"yes": "true", "true": "true", "no": "false", "false": "false", "always": "always"},
	"controlmaster":         {"yes": "true", "true": "true", "no": "false", "false": "false", "ask": "ask", "auto": "auto", "autoask": "autoask"},
	"fingerprinthash":       {"md5": "MD5", "sha256": "SHA256"},
	"pubkeyauthentication":  {"yes": "true", "true": "true", "no": "false", "false": "false", "unbound": "unbound", "host-bound": "host-bound"},
	"requesttty":            {"yes": "true", "true": "true", "no": "false", "false": "false", "force": "force", "auto": "auto"},
	"sessiontype":           {"none": "none", "subsystem": "subsystem", "default": "default"},
	"stricthostkeychecking": {"yes": "true", "true": "true", "no": "false", "false": "false", "off": "false", "ask": "ask", "accept-new": "accept-new"},
	"tunnel":                {"yes": "point-to-point", "true": "point-to-point", "point-to-point": "point-to-point", "ethernet": "ethernet", "no": "false", "false": "false"},
	"verifyhostkeydns":      {"yes": "true", "true": "true", "no": "false", "false": "false", "ask": "ask"},
	"updatehostkeys":        {"yes": "true", "true": "true", "no": "false", "false": "false", "ask": "ask"},
	// ssh prints QUIET as SILENT and DEBUG1 as DEBUG.
	"loglevel": {"quiet": "SILENT", "silent": "SILENT", "fatal": "FATAL", "error": "ERROR", "info": "INFO", "verbose": "VERBOSE",
		"debug": "DEBUG", "debug1": "DEBUG", "debug2": "DEBUG2", "debug3": "DEBUG3"},
	"syslogfacility": {"daemon": "DAEMON", "user": "USER", "auth": "AUTH", "local0": "LOCAL0", "local1": "LOCAL1",
		"local2": "LOCAL2", "local3": "LOCAL3", "local4": "LOCAL4", "local5": "LOCAL5", "local6": "LOCAL6", "local7": "LOCAL7"},
}

// flagKeywords are the yes/no keywords, with OpenSSH's defaults.
var flagKeywords = map[string]string{
	"batchmode": "no", "canonicalizefallbacklocal": "yes", "checkhostip": "no", "compression": "no",
	"enablesshkeysign": "no", "clearallforwardings": "no", "exitonforwardfailure": "no",
	"forwardx11": "no", "forwardx11trusted": "no", "gatewayports": "no",
	"gssapiauthentication": "no", "gssapikeyexchange": "no", "gssapidelegatecredentials": "no",
	"gssapitrustdns": "no", "gssapirenewalforcesrekey": "no", "hashknownhosts": "no",
	"hostbasedauthentication": "no", "identitiesonly": "no", "kbdinteractiveauthentication": "yes",
	"nohostauthenticationforlocalhost": "no", "passwordauthentication": "yes",
	"permitlocalcommand": "no", "proxyusefdpass": "no", "stdinnull": "no",
	"forkafterauthentication": "no", "streamlocalbindunlink": "no", "tcpkeepalive": "yes",
	"visualhostkey": "no", "enableescapecommandline": "no",
}

// multiDefaults are the defaults of the multi-state keywords.
var multiDefaults = map[string]string{
	"addressfamily": "any", "canonicalizehostname": "no", "controlmaster": "no", "fingerprinthash": "sha256",
	"pubkeyauthentication": "yes", "requesttty": "auto", "sessiontype": "default",
	"stricthostkeychecking": "ask", "tunnel": "no", "verifyhostkeydns": "no", "loglevel": "info",
	"syslogfacility": "user",
}

// normalize checks every value and rewrites it as ssh -G prints it,
// filling OpenSSH's defaults. It runs after the configuration files
// have been read (fillDefaults).
func (o *options) normalize() error {
	bad := func(key string) error {
		return fmt.Errorf("%s: unsupported option \"%s\"", o.where(key), o.get(key))
	}
	for k, def := range flagKeywords {
		switch strings.ToLower(o.getDefault(k, def)) {
		case "yes", "true":
			o.vals[k] = []string{"yes"}
		case "no", "false":
			o.vals[k] = []string{"no"}
		default:
			return bad(k)
		}
	}
	for k, tab := range multiState {
		if k == "updatehostkeys" {
			continue // fillDefaults: its default depends on other keywords
		}
		v, ok := tab[strings.ToLower(o.getDefault(k, multiDefaults[k]))]
		if !ok {
			return bad(k)
		}
		o.vals[k] = []string{v}
	}
	if o.get("clearallforwardings") == "yes" {
		// ssh's clear_forwardings: every -L, -R, -D and the tunnel.
		for _, k := range []string{"localforward", "remoteforward", "dynamicforward"} {
			delete(o.vals, k)
		}
		o.lfwd = nil
		o.vals["tunnel"] = []string{"false"}
	}
	if o.get("proxyjump") != "" && o.get("proxyjump") != "none" {
		// ProxyJump is a ProxyCommand of gossh's own making: no fd passing.
		o.vals["proxyusefdpass"] = []string{"no"}
	}
	ints := map[string]string{"canonicalizemaxdots": "1", "connectionattempts": "1", "numberofpasswordprompts": "3",
		"serveralivecountmax": "3", "requiredrsasize": "1024"}
	for k, def := range ints {
		n, err := strconv.Atoi(o.getDefault(k, def))
		if err != nil || n < 0 || (k == "connectionattempts" && n == 0) {
			return fmt.Errorf("%s: bad number for %s", o.where(k), k)
		}
		o.vals[k] = []string{strconv.Itoa(n)}
	}
	// Times, printed in seconds.
	sai := "0"
	if o.get("batchmode") == "yes" {
		sai = "300" // ssh: BatchMode turns on a 300 s ServerAliveInterval
	}
	for k, def := range map[string]string{"forwardx11timeout": "1200", "serveraliveinterval": sai, "connecttimeout": "none"} {
		v := o.getDefault(k, def)
		if v == "none" {
			o.vals[k] = []string{v}
			continue
		}
		d, err := duration(v)
		if err != nil {
			return fmt.Errorf("%s: invalid time value", o.where(k))
		}
		o.vals[k] = []string{strconv.FormatInt(int64(d/time.Second), 10)}
	}
	switch v := strings.ToLower(o.getDefault("controlpersist", "no")); v {
	case "yes", "true", "0":
		o.vals["controlpersist"] = []string{"yes"}
	case "no", "false":
		o.vals["controlpersist"] = []string{"no"}
	default:
		d, err := duration(v)
		if err != nil {
			return bad("controlpersist")
		}
		o.vals["controlpersist"] = []string{strconv.FormatInt(int64(d/time.Second), 10)}
	}
	ak, err := parseAddKeys(o.getDefault("addkeystoagent", "no"))
	if err != nil {
		return bad("addkeystoagent")
	}
	o.vals["addkeystoagent"] = []string{ak.String()}
	qos, err := parseIPQoS(o.getDefault("ipqos", "lowdelay throughput"))
	if err != nil {
		return fmt.Errorf("%s: %v", o.where("ipqos"), err)
	}
	o.vals["ipqos"] = []string{qos.String()}
	if fa := o.get("forwardagent"); fa != "" && !slices.Contains([]string{"yes", "no", "true", "false"}, strings.ToLower(fa)) {
		// As ssh: a socket path (or $VAR) to forward must exist.
		p := fa
		if strings.HasPrefix(p, "$") {
			p = os.Getenv(strings.Trim(p[1:], "{}"))
		}
		if _, err := os.Stat(expandTilde(p)); err != nil || p == "" {
			msg := fmt.Sprintf("Cannot forward agent socket path \"%s\": No such file or directory", fa)
			if o.get("exitonforwardfailure") == "yes" {
				return errors.New(msg)
			}
			o.notes = append(o.notes, msg) // ssh's error(), then no forwarding
			o.noAgentFwd = true
		}
	}
	if a := o.get("hostkeyalias"); a != "" {
		o.vals["hostkeyalias"] = []string{strings.ToLower(a)}
	}
	mask, err := strconv.ParseUint(o.getDefault("streamlocalbindmask", "0177"), 8, 32)
	if err != nil || mask > 0o777 {
		return fmt.Errorf("%s: bad mask", o.where("streamlocalbindmask"))
	}
	o.vals["streamlocalbindmask"] = []string{fmt.Sprintf("0%o", mask)}
	td, err := parseTunnelDevice(o.getDefault("tunneldevice", "any:any"))
	if err != nil {
		return fmt.Errorf("%s: bad tun device", o.where("tunneldevice"))
	}
	o.vals["tunneldevice"] = []string{td}
	if _, err := parseCNAMERules(o.get("canonicalizepermittedcnames")); err != nil {
		return fmt.Errorf("%s: %v", o.where("canonicalizepermittedcnames"), err)
	}
	for k, def := range map[string]string{"canonicaldomains": "none", "canonicalizepermittedcnames": "none",
		"logverbose": "none", "permitremoteopen": "any", "securitykeyprovider": "internal"} {
		if o.get(k) == "" {
			o.vals[k] = []string{def}
		}
	}
	switch esc := o.get("escapechar"); {
	case esc == "none":
	case len(esc) == 1:
	case len(esc) == 2 && esc[0] == '^' && esc[1] >= '@' && esc[1] <= '_' || len(esc) == 2 && esc[0] == '^' && esc[1] >= 'a' && esc[1] <= 'z':
		o.vals["escapechar"] = []string{string(rune(esc[1] & 31))}
	default:
		return fmt.Errorf("%s: Bad escape character.", o.where("escapechar"))
	}
	if rl := o.get("rekeylimit"); rl != "" && rl != "0 0" {
		b, d, err := sshconfig.ParseRekeyLimit(strings.Fields(rl))
		if err != nil {
			return fmt.Errorf("%s: %v", o.where("rekeylimit"), err)
		}
		o.vals["rekeylimit"] = []string{fmt.Sprintf("%d %d", b, int64(d/time.Second))}
	}
	if o.get("setenv") == "" {
		delete(o.vals, "setenv")
	}
	// GSSAPIKexAlgorithms: by default Debian ssh's list, which has two
	// SHA-1 families besides the RFC 8732 defaults of kex/gsskex, so
	// that gossh reaches the servers ssh reaches (paramiko has only
	// SHA-1 families).
	if o.get("gssapikexalgorithms") == "" {
		o.vals["gssapikexalgorithms"] = []string{strings.Join(gsskex.OpenSSHFamilies(), ",")}
	}
	return nil
}

// where names the line that set key, or the default.
func (o *options) where(key string) string {
	if s := o.srcs[key]; s != "" {
		return s
	}
	return "default"
}

// An addKeys is AddKeysToAgent: no, yes, ask or confirm, and a lifetime.
type addKeys struct {
	mode     string // "false", "true", "ask", "confirm"
	lifetime time.Duration
}

func parseAddKeys(s string) (addKeys, error) {
	f := strings.Fields(strings.ToLower(s))
	var a addKeys
	modes := map[string]string{"yes": "true", "true": "true", "no": "false", "false": "false", "ask": "ask", "confirm": "confirm"}
	if m, ok := modes[f[0]]; ok {
		a.mode = m
		f = f[1:]
	} else {
		a.mode = "true" // a lifetime alone means yes
	}
	if len(f) > 1 || (len(f) == 1 && a.mode != "confirm" && len(strings.Fields(s)) > 1) {
		return a, fmt.Errorf("bad AddKeysToAgent %q", s)
	}
	if len(f) == 1 {
		d, err := duration(f[0])
		if err != nil || d <= 0 {
			return a, fmt.Errorf("bad AddKeysToAgent lifetime %q", f[0])
		}
		a.lifetime = d
	}
	return a, nil
}

// String is the ssh -G form: the mode, or "[confirm] seconds".
func (a addKeys) String() string {
	if a.lifetime <= 0 {
		return a.mode
	}
	s := strconv.FormatInt(int64(a.lifetime/time.Second), 10)
	if a.mode == "confirm" {
		return "confirm " + s
	}
	return s
}

// parseTunnelDevice reads TunnelDevice local[:remote], "any" for either.
func parseTunnelDevice(s string) (string, error) {
	l, r, _ := strings.Cut(s, ":")
	if r == "" {
		r = "any"
	}
	for _, p := range []string{l, r} {
		if p == "any" {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n < 0 {
			return "", fmt.Errorf("bad tun device %q", s)
		}
	}
	return l + ":" + r, nil
}

// A forwardSpec is one parsed -L, -R or -D: a listen side and a connect
// side, each a [host]:port or a Unix socket path.
type forwardSpec struct {
	lhost, lport, lpath string
	chost, cport, cpath string
	dynamic             bool
}

// parseForwardSpec parses a forward of kind "L", "R" or "D" in
// ssh_config's syntax (space or colon between listen and connect).
func parseForwardSpec(kind, spec string) (forwardSpec, error) {
	var f forwardSpec
	parts := splitColons(spec)
	listen := func(p []string) error {
		switch {
		case len(p) == 1 && isPath(p[0]):
			f.lpath = p[0]
		case len(p) == 1:
			f.lport = p[0]
		case len(p) == 2:
			f.lhost, f.lport = p[0], p[1]
		default:
			return fmt.Errorf("bad forwarding specification '%s'", spec)
		}
		if f.lpath == "" {
			if _, err := strconv.ParseUint(f.lport, 10, 16); err != nil {
				return fmt.Errorf("bad forwarding specification '%s'", spec)
			}
		}
		return nil
	}
	if kind == "D" || (kind == "R" && (len(parts) == 1 || len(parts) == 2 && !isPath(parts[1]))) {
		f.dynamic = true
		f.chost, f.cport = "socks", "0"
		return f, listen(parts)
	}
	// The connect side is the last one part (a path) or two.
	n := 2
	if isPath(parts[len(parts)-1]) {
		n = 1
	}
	if len(parts) <= n {
		return f, fmt.Errorf("bad forwarding specification '%s'", spec)
	}
	if err := listen(parts[:len(parts)-n]); err != nil {
		return f, err
	}
	if n == 1 {
		f.cpath = parts[len(parts)-1]
	} else {
		f.chost, f.cport = parts[len(parts)-2], parts[len(parts)-1]
		if _, err := strconv.ParseUint(f.cport, 10, 16); err != nil {
			return f, fmt.Errorf("bad forwarding specification '%s'", spec)
		}
	}
	return f, nil
}

func (f forwardSpec) listenString() string {
	switch {
	case f.lpath != "":
		return f.lpath
	case f.lhost == "":
		return f.lport
	}
	return "[" + f.lhost + "]:" + f.lport
}

func (f forwardSpec) connectString() string {
	if f.cpath != "" {
		return f.cpath
	}
	return "[" + f.chost + "]:" + f.cport
}

// printG writes the effective configuration as ssh -G does, in ssh's
// order and spelling (see printOrder).
func (o *options) printG(w io.Writer, host string) {
	fmt.Fprintf(w, "host %s\n", host)
	for _, k := range printOrder {
		name := k
		if n, ok := printName[k]; ok {
			name = n
		}
		switch k {
		case "dynamicforward":
			// ssh keeps -L and -D in one list and prints as a
			// dynamicforward every entry without a connect host: the
			// -D ones, and also (an OpenSSH quirk) each -L to a Unix
			// socket path.
			for _, e := range o.lfwd {
				if f, err := parseForwardSpec(e.kind, e.spec); err == nil && (f.dynamic || f.cpath != "") {
					fmt.Fprintf(w, "%s %s\n", name, f.listenString())
				}
			}
			continue
		case "localforward", "remoteforward":
			kind := map[string]string{"localforward": "L", "remoteforward": "R"}[k]
			for _, spec := range o.all(k) {
				if f, err := parseForwardSpec(kind, spec); err == nil {
					fmt.Fprintf(w, "%s %s %s\n", name, f.listenString(), f.connectString())
				}
			}
			continue
		case "escapechar":
			if esc := o.get(k); len(esc) == 1 && esc[0] < ' ' {
				fmt.Fprintf(w, "%s \\^%c\n", name, esc[0]|'@') // vis(3)'s form
				continue
			}
		}
		for _, v := range o.vals[k] {
			fmt.Fprintf(w, "%s %s\n", name, v)
		}
	}
}

// expandPathTokens expands ~ and the % tokens of ssh_config(5)'s
// TOKENS for ControlPath, UserKnownHostsFile and the like.
func expandPathTokens(s string, o *options, mc matchContext) (string, error) {
	s, err := expandTokens(s, o, mc)
	return expandTilde(s), err
}

// connectionHash is %C: the SHA-1 of %l%h%p%r in hex (OpenSSH 9.2).
func connectionHash(o *options) string {
	h := sha1.Sum([]byte(localHostname() + o.get("hostname") + o.get("port") + o.get("user")))
	return hex.EncodeToString(h[:])
}

// localHostname is %L: the local host name up to its first dot.
func localHostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// hostIsLocal reports whether the destination is this machine, for
// NoHostAuthenticationForLocalhost: ssh's test is a loopback address.
func hostIsLocal(addr net.Addr) bool {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return false
}

// expandPaths expands what ssh -G prints expanded: ControlPath,
// RemoteCommand and the user's known_hosts files (ssh_config(5),
// TOKENS); "none" stays; ProxyJump or ProxyCommand "none" is no proxy.
func (o *options) expandPaths(mc matchContext) error {
	for _, k := range []string{"proxyjump", "proxycommand", "controlpath", "pkcs11provider"} {
		if o.get(k) == "none" {
			delete(o.vals, k)
		}
	}
	expand := func(k string, f func(string, *options, matchContext) (string, error)) error {
		v, err := f(o.get(k), o, mc)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", o.where(k), k, err)
		}
		o.vals[k] = []string{v}
		return nil
	}
	if cp := o.get("controlpath"); cp != "" {
		if err := expand("controlpath", expandPathTokens); err != nil {
			return err
		}
	}
	if ia := o.get("identityagent"); ia != "" && ia != "none" && ia != "SSH_AUTH_SOCK" && !strings.HasPrefix(ia, "$") {
		if err := expand("identityagent", expandPathTokens); err != nil {
			return err
		}
	}
	if rc := o.get("remotecommand"); rc != "" && rc != "none" {
		if err := expand("remotecommand", expandTokens); err != nil {
			return err
		}
	}
	var files []string
	for _, f := range strings.Fields(o.get("userknownhostsfile")) {
		if f != "none" {
			var err error
			if f, err = expandPathTokens(f, o, mc); err != nil {
				return fmt.Errorf("%s: userknownhostsfile: %w", o.where("userknownhostsfile"), err)
			}
		}
		files = append(files, f)
	}
	o.vals["userknownhostsfile"] = []string{strings.Join(files, " ")}
	return nil
}
