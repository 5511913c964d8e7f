package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/x11"
	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/sshconfig"
)

// keyword kinds.
const (
	kSingle      = iota // first value wins
	kMulti              // every value accumulates (IdentityFile, forwards, SendEnv)
	kUnsupported        // an OpenSSH keyword gossh does not implement yet
)

// keywords are the ssh_config(5) keywords gossh knows, lower case:
// every keyword of OpenSSH 9.2's ssh -G (printOrder), gossh's own
// TraceFile, and a few of later OpenSSH versions.
var keywords = map[string]int{
	"host": kSingle, "match": kSingle, // handled by the parser
	"identityfile": kMulti, "certificatefile": kMulti,
	"localforward": kMulti, "remoteforward": kMulti, "dynamicforward": kMulti,
	"sendenv": kMulti, "setenv": kSingle,
	"pubkeyacceptedkeytypes": kSingle, "challengeresponseauthentication": kSingle, // old names

	// Keywords of OpenSSH after 9.2.
	"obscurekeystroketiming": kUnsupported, "channeltimeout": kUnsupported, "tag": kUnsupported,
}

func init() {
	for _, k := range printOrder {
		if _, ok := keywords[k]; !ok {
			keywords[k] = kSingle
		}
	}
}

// unsupportedValue reports whether value v of key asks for something
// gossh does not do; setting it warns (and is otherwise ignored). No
// value of an OpenSSH 9.2 keyword does any more; the keywords of later
// OpenSSH versions are kUnsupported as a whole.
func unsupportedValue(key, v string) bool { return false }

// An options is the effective configuration: the first value of each
// keyword, or every value of a multi-valued one.
type options struct {
	vals       map[string][]string
	srcs       map[string]string
	warnings   []string // known but unsupported keywords that were set
	lfwd       []lfwdEntry
	wantFinal  bool               // a "Match final" was seen (resolve)
	notes      []string           // errors ssh prints and goes on after (run prints them)
	noAgentFwd bool               // ForwardAgent names a socket that is not there
	hostConn   connRef            // the socket to the server, for ssh-keysign (hostbased)
	dns        *dnsCheck          // VerifyHostKeyDNS of the connection gated makes, for the prompt
	gssCred    *gssapi.Credential // GSSAPIClientIdentity's credential (clientConfig), or nil
	gssKex     atomic.Bool        // the key exchange was a GSS-API one (KexDone)
}

// A connRef is the connection a Dial made, set before authentication
// starts and read by it.
type connRef struct{ v atomic.Value }

func (r *connRef) set(nc net.Conn) { r.v.Store(&nc) }

func (r *connRef) get() net.Conn {
	if p, ok := r.v.Load().(*net.Conn); ok {
		return *p
	}
	return nil
}

// An lfwdEntry is a -L or -D in the order given, as ssh keeps both in
// one list (printG).
type lfwdEntry struct{ kind, spec string }

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
		if ign := o.get("ignoreunknown"); ign != "" && matchHostPatterns(key, []string{ign}) {
			return nil // IgnoreUnknown
		}
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
		o.warnings = append(o.warnings, fmt.Sprintf("%s: %s is not supported by gossh yet; ignored", where, key))
		return nil
	}
	if kind == kMulti {
		v := strings.Join(args, " ")
		switch key {
		case "sendenv":
			o.vals[key] = append(o.vals[key], args...)
		case "localforward", "dynamicforward", "remoteforward":
			kind := map[string]string{"localforward": "L", "dynamicforward": "D", "remoteforward": "R"}[key]
			f, err := parseForwardSpec(kind, v)
			if err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
			// ssh drops a forward that is already in the list.
			for _, e := range o.vals[key] {
				if g, _ := parseForwardSpec(kind, e); g == f {
					return nil
				}
			}
			o.vals[key] = append(o.vals[key], v)
			if kind != "R" {
				o.lfwd = append(o.lfwd, lfwdEntry{kind, v})
			}
		default:
			if !slices.Contains(o.vals[key], v) {
				o.vals[key] = append(o.vals[key], v)
			}
		}
		return nil
	}
	if _, done := o.vals[key]; done {
		return nil
	}
	// ProxyJump and ProxyCommand exclude each other: the first wins.
	if _, done := o.vals[map[string]string{"proxyjump": "proxycommand", "proxycommand": "proxyjump"}[key]]; done {
		return nil
	}
	if key == "setenv" {
		// The first SetEnv line wins, all its variables.
		o.vals[key] = args
		o.srcs[key] = where
		return nil
	}
	if key == "logverbose" {
		// As ssh 9.2's readconf.c: "none" only alone, and only the
		// first pattern list is kept (the others are parsed, then
		// dropped).
		for i, a := range args {
			if strings.EqualFold(a, "none") && (i > 0 || len(args) > 1) {
				return fmt.Errorf("%s: keyword %s \"none\" argument must appear alone.", where, key)
			}
		}
		args = args[:1]
	}
	v := strings.Join(args, " ")
	if unsupportedValue(key, v) {
		o.warnings = append(o.warnings, fmt.Sprintf("%s: %s is not supported by gossh yet; ignored", where, key))
	}
	o.vals[key] = []string{v}
	o.srcs[key] = where
	return nil
}

// setOption parses a command-line -o argument.
func (o *options) setOption(arg string) error {
	l, err := sshconfig.SplitLine(arg)
	if err != nil {
		return fmt.Errorf("command-line: %w", err)
	}
	if l.Keyword == "" {
		return nil
	}
	if strings.EqualFold(l.Keyword, "include") {
		return errors.New("command-line: Include directive not supported as a command-line option")
	}
	return o.set(l.Keyword, lineArgs(&l), "command-line line 0")
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
	// ssh looks hosts up in lower case.
	if o.get("hostname") == "" {
		o.vals["hostname"] = []string{strings.ToLower(host)}
	} else {
		o.vals["hostname"] = []string{strings.ToLower(strings.ReplaceAll(o.get("hostname"), "%h", host))}
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
		dns := strings.ToLower(o.get("verifyhostkeydns"))
		if (uk == "" || uk == "~/.ssh/known_hosts") && (dns == "" || dns == "no" || dns == "false") {
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
		{"hostbasedacceptedalgorithms", client.AlgKeys}, {"casignaturealgorithms", client.AlgKeys},
	} {
		spec := o.get(a.key)
		var list []string
		if spec == "" {
			list = client.DefaultAlgorithms(a.kind)
			if a.key == "pubkeyacceptedalgorithms" {
				list = withSKAlgorithms(list)
			}
			if a.key == "casignaturealgorithms" {
				// A CA signs with a plain key, never a certificate.
				list = slices.DeleteFunc(slices.Clone(list), func(s string) bool { return strings.Contains(s, "-cert-") })
			}
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
		"userknownhostsfile":   "~/.ssh/known_hosts ~/.ssh/known_hosts2",
		"globalknownhostsfile": "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2",
		"rekeylimit":           "0 0", "escapechar": "~", "forwardagent": "no",
		"xauthlocation": x11.DefaultXAuthLocation,
	}
	for k, v := range defaults {
		if o.get(k) == "" {
			o.vals[k] = []string{v}
		}
	}
	return o.normalize()
}

// duration reads ssh's time values: "none" or empty is zero, else
// OpenSSH's TIME FORMAT (sshconfig.ParseTime).
func duration(s string) (time.Duration, error) {
	if s == "" || s == "none" {
		return 0, nil
	}
	return sshconfig.ParseTime(s)
}

// clientTokens are the % tokens of ssh_config(5) that gossh knows,
// OpenSSH's DEFAULT_CLIENT_PERCENT_EXPAND_ARGS: %h (HostName), %p
// (Port), %r (User), %n (original host), %u (local user), %d (home),
// %l and %L (local host name, long and short), %C (connection hash),
// %i (uid), %k (host key alias). Those that cost a system call or a
// hash (%l %L %C) are worked out only when s has them.
func clientTokens(o *options, mc matchContext, s string) map[byte]string {
	t := map[byte]string{
		'h': o.getDefault("hostname", mc.host),
		'p': o.getDefault("port", "22"),
		'r': o.getDefault("user", mc.user),
		'n': mc.originalHost,
		'u': mc.localUser,
		'd': homeDir(),
		'i': strconv.Itoa(os.Getuid()),
		'k': o.getDefault("hostkeyalias", o.getDefault("hostname", mc.host)),
	}
	if strings.Contains(s, "%l") || strings.Contains(s, "%L") {
		t['l'] = localHostname()
		t['L'], _, _ = strings.Cut(t['l'], ".")
	}
	if strings.Contains(s, "%C") {
		t['C'] = connectionHash(o)
	}
	return t
}

// expandTokens substitutes clientTokens in s (sshconfig.Expand): an
// unknown token is an error, as in ssh.
func expandTokens(s string, o *options, mc matchContext) (string, error) {
	return sshconfig.Expand(s, clientTokens(o, mc, s))
}

// expandProxyTokens substitutes ProxyCommand's tokens, which are fewer
// than the others' in ssh (sshconnect.c expand_proxy_command): %h,
// %k, %n, %p and %r.
func expandProxyTokens(s string, o *options, mc matchContext) (string, error) {
	all := clientTokens(o, mc, s)
	t := map[byte]string{}
	for _, c := range []byte("hknpr") {
		t[c] = all[c]
	}
	return sshconfig.Expand(s, t)
}

// withSKAlgorithms adds the FIDO security key algorithms that ssh's
// default PubkeyAcceptedAlgorithms has, at ssh's places (after the
// ECDSA ones, certificates and plain keys apart), so that an sk-* identity
// file is offered by default (SecurityKeyProvider). The client library's
// own default list leaves them out: they need an authenticator.
func withSKAlgorithms(list []string) []string {
	supported := client.SupportedAlgorithms(client.AlgKeys)
	var out []string
	for _, a := range list {
		out = append(out, a)
		var add []string
		switch a {
		case "ecdsa-sha2-nistp521-cert-v01@openssh.com":
			add = []string{"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"}
		case "ecdsa-sha2-nistp521":
			add = []string{"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"}
		}
		for _, s := range add {
			if slices.Contains(supported, s) && !slices.Contains(list, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
