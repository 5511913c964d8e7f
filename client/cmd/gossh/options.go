package main

import (
	"fmt"
	"io"
	"os/user"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/x11"
	"github.com/sshstack/sshstack/kex"
)

// keyword kinds.
const (
	kSingle      = iota // first value wins
	kMulti              // every value accumulates (IdentityFile, forwards, SendEnv)
	kUnsupported        // an OpenSSH keyword gossh does not implement yet
)

// keywords are the ssh_config(5) keywords gossh knows, lower case.
var keywords = map[string]int{
	"host": kSingle, "match": kSingle, // handled by the parser
	"port": kSingle, "user": kSingle, "hostname": kSingle,
	"identityfile": kMulti, "certificatefile": kMulti, "identitiesonly": kSingle, "identityagent": kSingle,
	"kexalgorithms": kSingle, "ciphers": kSingle, "macs": kSingle,
	"hostkeyalgorithms": kSingle, "pubkeyacceptedalgorithms": kSingle, "pubkeyacceptedkeytypes": kSingle,
	"stricthostkeychecking": kSingle, "userknownhostsfile": kSingle, "globalknownhostsfile": kSingle,
	"hashknownhosts": kSingle, "hostkeyalias": kSingle,
	"batchmode": kSingle, "preferredauthentications": kSingle,
	"passwordauthentication": kSingle, "kbdinteractiveauthentication": kSingle,
	"challengeresponseauthentication": kSingle, "pubkeyauthentication": kSingle,
	"numberofpasswordprompts": kSingle,
	"connecttimeout":          kSingle, "serveraliveinterval": kSingle, "serveralivecountmax": kSingle,
	"rekeylimit": kSingle, "compression": kSingle, "proxyjump": kSingle, "proxycommand": kSingle,
	"localforward": kMulti, "remoteforward": kMulti, "dynamicforward": kMulti,
	"forwardagent": kSingle, "sendenv": kMulti, "setenv": kMulti, "requesttty": kSingle,
	"loglevel": kSingle, "addressfamily": kSingle, "exitonforwardfailure": kSingle,
	"sessiontype": kSingle, "stdinnull": kSingle, "escapechar": kSingle,
	"checkhostip": kSingle, "connectionattempts": kSingle,
	"forwardx11": kSingle, "forwardx11trusted": kSingle, "forwardx11timeout": kSingle, "xauthlocation": kSingle,
	"tracefile": kSingle, // gossh's own: the JSON-lines trace file (see traceFile)

	// Known to OpenSSH, not implemented by gossh yet.
	"gssapiauthentication":        kSingle,
	"gssapikeyexchange":           kSingle,
	"gssapidelegatecredentials":   kSingle,
	"gssapikexalgorithms":         kSingle,
	"gssapiserveridentity":        kSingle,
	"gssapiclientidentity":        kUnsupported,
	"gssapirenewalforcesrekey":    kUnsupported,
	"gssapitrustdns":              kSingle,
	"hostbasedauthentication":     kUnsupported,
	"hostbasedacceptedalgorithms": kUnsupported,
	"controlmaster":               kUnsupported, "controlpath": kUnsupported,
	"controlpersist": kUnsupported, "canonicalizehostname": kUnsupported, "canonicaldomains": kUnsupported,
	"canonicalizefallbacklocal": kUnsupported, "canonicalizemaxdots": kUnsupported,
	"canonicalizepermittedcnames": kUnsupported, "addkeystoagent": kUnsupported, "bindaddress": kUnsupported,
	"bindinterface": kUnsupported, "clearallforwardings": kUnsupported, "enableescapecommandline": kUnsupported,
	"enablesshkeysign": kUnsupported, "fingerprinthash": kUnsupported, "forkafterauthentication": kUnsupported,
	"gatewayports": kUnsupported, "ignoreunknown": kUnsupported, "ipqos": kUnsupported,
	"kbdinteractivedevices": kUnsupported, "knownhostscommand": kUnsupported, "localcommand": kUnsupported,
	"nohostauthenticationforlocalhost": kUnsupported, "permitlocalcommand": kUnsupported,
	"permitremoteopen": kUnsupported, "pkcs11provider": kUnsupported, "proxyusefdpass": kUnsupported,
	"remotecommand": kUnsupported, "requiredrsasize": kUnsupported, "revokedhostkeys": kUnsupported,
	"securitykeyprovider": kUnsupported, "streamlocalbindmask": kUnsupported,
	"streamlocalbindunlink": kUnsupported, "syslogfacility": kUnsupported, "tcpkeepalive": kUnsupported,
	"tunnel": kUnsupported, "tunneldevice": kUnsupported, "updatehostkeys": kSingle,
	"verifyhostkeydns": kUnsupported, "visualhostkey": kUnsupported, "logverbose": kUnsupported,
	"obscurekeystroketiming": kUnsupported, "channeltimeout": kUnsupported, "tag": kUnsupported,
}

// harmless lists values of unsupported keywords that match what gossh
// does anyway, so they are not reported.
var harmless = map[string][]string{
	"hostbasedauthentication": {"no"}, "controlmaster": {"no"}, "controlpath": {"none"},
	"canonicalizehostname": {"no"}, "addkeystoagent": {"no"},
	"verifyhostkeydns": {"no"}, "visualhostkey": {"no"}, "tcpkeepalive": {"yes"},
	"clearallforwardings": {"no"}, "gatewayports": {"no"}, "hashknownhosts": {"no"},
}

// An options is the effective configuration: the first value of each
// keyword, or every value of a multi-valued one.
type options struct {
	vals     map[string][]string
	srcs     map[string]string
	warnings []string // known but unsupported keywords that were set
}

func newOptions() *options {
	return &options{vals: map[string][]string{}, srcs: map[string]string{}}
}

// errBadOption names an unknown keyword, as ssh's "Bad configuration
// option".
type badOptionError struct {
	where, key string
}

func (e *badOptionError) Error() string {
	return fmt.Sprintf("%s: Bad configuration option: %s", e.where, e.key)
}

// set records a keyword unless it has a value already (first value
// wins); multi-valued keywords accumulate.
func (o *options) set(key string, args []string, where string) error {
	key = strings.ToLower(key)
	kind, ok := keywords[key]
	if !ok {
		return &badOptionError{where, key}
	}
	if len(args) == 0 {
		return fmt.Errorf("%s: missing argument for %s", where, key)
	}
	switch key {
	case "pubkeyacceptedkeytypes":
		key = "pubkeyacceptedalgorithms"
	case "challengeresponseauthentication":
		key = "kbdinteractiveauthentication"
	}
	if kind == kUnsupported {
		v := strings.ToLower(strings.Join(args, " "))
		if !slices.Contains(harmless[key], v) {
			o.warnings = append(o.warnings, fmt.Sprintf("%s: %s is not supported by gossh yet; ignored", where, key))
		}
		return nil
	}
	if kind == kMulti {
		v := strings.Join(args, " ")
		if key == "sendenv" || key == "setenv" {
			o.vals[key] = append(o.vals[key], args...)
		} else if !slices.Contains(o.vals[key], v) {
			o.vals[key] = append(o.vals[key], v)
		}
		return nil
	}
	if _, done := o.vals[key]; done {
		return nil
	}
	o.vals[key] = []string{strings.Join(args, " ")}
	o.srcs[key] = where
	return nil
}

// setOption parses a command-line -o argument.
func (o *options) setOption(arg string) error {
	key, args, err := splitConfigLine(arg)
	if err != nil {
		return fmt.Errorf("command-line: %v", err)
	}
	return o.set(key, args, "command-line line 0")
}

func (o *options) get(key string) string {
	v := o.vals[key]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (o *options) all(key string) []string { return o.vals[key] }

// getDefault returns the value of key, or def.
func (o *options) getDefault(key, def string) string {
	if v := o.get(key); v != "" {
		return v
	}
	return def
}

func (o *options) yes(key string, def bool) bool {
	switch strings.ToLower(o.get(key)) {
	case "yes", "true":
		return true
	case "no", "false":
		return false
	}
	return def
}

// fillDefaults sets what ssh -G prints for options nobody set.
func (o *options) fillDefaults(host string) error {
	if o.get("hostname") == "" {
		o.vals["hostname"] = []string{host}
	} else {
		o.vals["hostname"] = []string{strings.ReplaceAll(o.get("hostname"), "%h", host)}
	}
	if o.get("user") == "" {
		u, err := user.Current()
		if err != nil {
			return err
		}
		o.vals["user"] = []string{u.Username}
	}
	// UpdateHostKeys: ssh's default is on unless UserKnownHostsFile names
	// other files or VerifyHostKeyDNS is on; -G prints true/false/ask.
	switch v := strings.ToLower(o.get("updatehostkeys")); v {
	case "":
		uk := o.get("userknownhostsfile")
		def := "false"
		if (uk == "" || uk == "~/.ssh/known_hosts") && !o.yes("verifyhostkeydns", false) {
			def = "true"
		}
		o.vals["updatehostkeys"] = []string{def}
	case "yes", "true":
		o.vals["updatehostkeys"] = []string{"true"}
	case "no", "false":
		o.vals["updatehostkeys"] = []string{"false"}
	case "ask":
	default:
		return fmt.Errorf("unsupported UpdateHostKeys %q", v)
	}
	if o.get("port") == "" {
		o.vals["port"] = []string{"22"}
	}
	if _, err := strconv.ParseUint(o.get("port"), 10, 16); err != nil {
		return fmt.Errorf("bad port '%s'", o.get("port"))
	}
	if len(o.all("identityfile")) == 0 {
		o.vals["identityfile"] = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
			"~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"}
	}
	// Algorithm lists: resolve the +, - and ^ modifiers against our
	// defaults, and check every name.
	for _, a := range []struct{ key, kind string }{
		{"kexalgorithms", client.AlgKex}, {"ciphers", client.AlgCiphers}, {"macs", client.AlgMACs},
		{"hostkeyalgorithms", client.AlgKeys}, {"pubkeyacceptedalgorithms", client.AlgKeys},
	} {
		spec := o.get(a.key)
		var list []string
		if spec == "" {
			list = client.DefaultAlgorithms(a.kind)
		} else {
			if err := cipher.CheckNames(client.SupportedAlgorithms(a.kind), spec); err != nil {
				return fmt.Errorf("%s: Bad SSH2 %s spec '%s': %w", o.srcs[a.key], a.key, spec, err)
			}
			l, err := client.ApplyModifiers(a.kind, nil, spec)
			if err != nil {
				return fmt.Errorf("%s: Bad SSH2 %s spec '%s': %w", o.srcs[a.key], a.key, spec, err)
			}
			list = l
		}
		o.vals[a.key] = []string{strings.Join(list, ",")}
	}
	defaults := map[string]string{
		"addressfamily": "any", "batchmode": "no", "compression": "no", "connecttimeout": "none",
		"forwardagent": "no", "identitiesonly": "no", "kbdinteractiveauthentication": "yes",
		"loglevel": "INFO", "passwordauthentication": "yes", "pubkeyauthentication": "true",
		"preferredauthentications": "gssapi-with-mic,publickey,keyboard-interactive,password",
		"gssapiauthentication":     "no", "gssapikeyexchange": "no", "gssapidelegatecredentials": "no", "gssapitrustdns": "no",
		"requesttty": "auto", "serveralivecountmax": "3", "serveraliveinterval": "0",
		"stricthostkeychecking": "ask", "hashknownhosts": "no", "exitonforwardfailure": "no",
		"userknownhostsfile":   "~/.ssh/known_hosts ~/.ssh/known_hosts2",
		"globalknownhostsfile": "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2",
		"rekeylimit":           "0 0", "sessiontype": "default", "stdinnull": "no", "escapechar": "~",
		"connectionattempts": "1", "numberofpasswordprompts": "3", "checkhostip": "no",
		// OpenSSH's defaults; Debian's ssh builds ForwardX11Trusted yes.
		"forwardx11": "no", "forwardx11trusted": "no", "forwardx11timeout": "1200",
		"xauthlocation": x11.DefaultXAuthLocation,
	}
	for k, v := range defaults {
		if o.get(k) == "" {
			o.vals[k] = []string{v}
		}
	}
	// ssh -G prints ForwardX11Timeout in seconds.
	d, err := duration(o.get("forwardx11timeout"))
	if err != nil {
		return fmt.Errorf("%s: invalid time value", o.srcs["forwardx11timeout"])
	}
	o.vals["forwardx11timeout"] = []string{strconv.FormatInt(int64(d/time.Second), 10)}
	return nil
}

// printG writes the effective configuration as ssh -G does: one
// "keyword value" line per option, keywords in lower case.
func (o *options) printG(w io.Writer, host string) {
	fmt.Fprintf(w, "host %s\n", host)
	keys := make([]string, 0, len(o.vals))
	for k := range o.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "host" || k == "match" {
			continue
		}
		switch k {
		case "sendenv", "setenv":
			for _, v := range o.vals[k] {
				fmt.Fprintf(w, "%s %s\n", k, v)
			}
			continue
		}
		for _, v := range o.vals[k] {
			fmt.Fprintf(w, "%s %s\n", k, v)
		}
	}
}

// duration reads ssh's time values: "none" or empty is zero, else
// OpenSSH's TIME FORMAT (kex.ParseTime).
func duration(s string) (time.Duration, error) {
	if s == "" || s == "none" {
		return 0, nil
	}
	return kex.ParseTime(s)
}

// expandTokens substitutes the % tokens of ssh_config(5) that gossh
// knows: %h (HostName), %p (Port), %r (User), %n (original host), %u
// (local user), %d (home), %%.
func expandTokens(s string, o *options, mc matchContext) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'h':
			b.WriteString(o.getDefault("hostname", mc.host))
		case 'p':
			b.WriteString(o.getDefault("port", "22"))
		case 'r':
			b.WriteString(o.getDefault("user", mc.user))
		case 'n':
			b.WriteString(mc.originalHost)
		case 'u':
			b.WriteString(mc.localUser)
		case 'd':
			b.WriteString(homeDir())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
