package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/agentauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// clientConfig turns options into a client.Config for user@hostname.
func clientConfig(o *options, lg *logger, p *prompter, host string) (*client.Config, io.Closer, error) {
	cfg := &client.Config{
		User:              o.get("user"),
		KexAlgorithms:     splitList(o.get("kexalgorithms")),
		Ciphers:           splitList(o.get("ciphers")),
		MACs:              splitList(o.get("macs")),
		HostKeyAlgorithms: splitList(o.get("hostkeyalgorithms")),
		HostKeyAlias:      o.get("hostkeyalias"),
		HashKnownHosts:    o.yes("hashknownhosts", false),
		Logger:            lg.slog(),
	}
	cfg.ForwardAgent, cfg.AgentSocket = agentForwarding(o)
	for _, k := range []string{"kexalgorithms", "ciphers", "macs", "hostkeyalgorithms"} {
		if strings.HasPrefix(o.get(k), "") && o.get(k) == "" {
			return nil, nil, fmt.Errorf("empty %s", k)
		}
	}
	if o.yes("compression", false) {
		cfg.Compression = client.CompressionYes
	}
	var err error
	if cfg.Timeout, err = duration(o.get("connecttimeout")); err != nil {
		return nil, nil, err
	}
	if cfg.KeepaliveInterval, err = duration(o.get("serveraliveinterval")); err != nil {
		return nil, nil, err
	}
	cfg.KeepaliveCountMax, _ = strconv.Atoi(o.get("serveralivecountmax"))
	if rl := o.get("rekeylimit"); rl != "" {
		if cfg.RekeyBytes, cfg.RekeyInterval, err = sshconfig.ParseRekeyLimit(strings.Fields(rl)); err != nil {
			return nil, nil, err
		}
	}
	switch strings.ToLower(o.get("stricthostkeychecking")) {
	case "yes", "true":
		cfg.StrictHostKeyChecking = client.StrictYes
	case "accept-new":
		cfg.StrictHostKeyChecking = client.StrictAcceptNew
	case "no", "off", "false":
		cfg.StrictHostKeyChecking = client.StrictNo
	case "ask":
		cfg.StrictHostKeyChecking = client.StrictAsk
		cfg.AskHostKey = func(name string, key hostkey.PublicKey) bool {
			if o.yes("batchmode", false) {
				return false
			}
			return p.confirmHostKey(name, key, o.dns.promptNote())
		}
	default:
		return nil, nil, fmt.Errorf("unsupported StrictHostKeyChecking %q", o.get("stricthostkeychecking"))
	}
	cfg.HostKeyAdded = func(name string, key hostkey.PublicKey) {
		lg.info("Warning: Permanently added '%s' (%s) to the list of known hosts.", name, keyName(key))
	}
	switch o.get("updatehostkeys") {
	case "true":
		cfg.UpdateHostKeys = true
		cfg.HostKeyLearned = func(_ string, key hostkey.PublicKey) {
			lg.verbose("Learned new hostkey: %s %s", keyName(key), o.fingerprint(key))
		}
		cfg.HostKeyDeprecated = func(_ string, key hostkey.PublicKey) {
			lg.verbose("Deprecating obsolete hostkey: %s %s", keyName(key), o.fingerprint(key))
		}
	case "ask":
		lg.info("UpdateHostKeys ask is not supported by gossh; host keys are not updated")
	}
	if cfg.KeyLog, err = keyLog(lg); err != nil {
		return nil, nil, err
	}
	cfg.UserKnownHostsFiles = expandFiles(o.get("userknownhostsfile"))
	cfg.GlobalKnownHostsFiles = expandFiles(o.get("globalknownhostsfile"))
	cfg.KexDone = func(a kex.Algorithms, key hostkey.PublicKey) {
		lg.debug(1, "kex: algorithm: %s", a.Kex)
		lg.debug(1, "kex: host key algorithm: %s", a.HostKey)
		for _, d := range []struct {
			name string
			d    kex.DirectionAlgorithms
		}{{"server->client", a.ServerToClient}, {"client->server", a.ClientToServer}} {
			mac := d.d.MAC
			if mac == "" {
				mac = "<implicit>"
			}
			lg.debug(1, "kex: %s cipher: %s MAC: %s compression: %s", d.name, d.d.Cipher, mac, orNone(d.d.Compression))
		}
		if key != nil {
			lg.debug(1, "Server host key: %s %s", key.Type(), o.fingerprint(key))
		}
		o.gssKex.Store(strings.HasPrefix(a.Kex, "gss-"))
	}
	if lg.level >= 2 {
		cfg.Banner = func(m string) { fmt.Fprint(os.Stderr, m) }
	}
	if lg.level >= 6 {
		cfg.Trace = lg.trace
	}
	if tr, err := traceFile(o, host); err != nil {
		return nil, nil, err
	} else if tr != nil {
		if prev := cfg.Trace; prev != nil {
			cfg.Trace = func(e wire.TraceEvent) { prev(e); tr(e) }
		} else {
			cfg.Trace = tr
		}
	}
	gssID := o.get("gssapiserveridentity")
	if gssID == "" && o.yes("gssapitrustdns", false) && (o.yes("gssapiauthentication", false) || o.yes("gssapikeyexchange", false)) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		gssID = gssCanonicalHost(ctx, host)
		cancel()
		lg.debug(1, "GSSAPITrustDns: target host@%s", gssID)
	}
	gssOn := o.yes("gssapiauthentication", false) || o.yes("gssapikeyexchange", false)
	var gssCred *gssapi.Credential
	if id := o.get("gssapiclientidentity"); id != "" && gssOn {
		if gssCred, err = gssClientCredential(context.Background(), id); err != nil {
			// As ssh: without that identity's credential neither GSS-API
			// method is tried; the others still are.
			lg.errorf("GSSAPIClientIdentity %s: %v", id, err)
			gssOn = false
		} else {
			lg.debug(1, "GSSAPIClientIdentity: using the credential of %s", gssCred.Name())
		}
	}
	o.gssCred = gssCred
	if gssOn {
		g := &client.GSSAPI{
			KeyExchange:     o.yes("gssapikeyexchange", false),
			Delegate:        o.yes("gssapidelegatecredentials", false),
			ServerIdentity:  gssID,
			Cred:            gssCred,
			DelegateOnRekey: o.yes("gssapirenewalforcesrekey", false),
		}
		if fams := o.get("gssapikexalgorithms"); fams != "" {
			// OpenSSH lists families as "gss-curve25519-sha256-".
			g.KexFamilies = append(g.KexFamilies, splitList(fams)...)
		}
		cfg.GSSAPI = g
	}
	if !gssOn {
		o.vals["gssapiauthentication"] = []string{"no"}
	}
	auth, closer, err := authSources(o, lg, p, host, gssID)
	if err != nil {
		return nil, nil, err
	}
	cfg.Auth = auth
	return cfg, closer, nil
}

// gssCanonicalHost is GSSAPITrustDns: the name of host's address in
// reverse DNS, if it resolves back to that address, as OpenSSH takes the
// remote host's canonical name for the target host@<name>; host itself
// when any lookup fails. Without GSSAPITrustDns (the default) the name
// given is used, so DNS cannot redirect the ticket request.
func gssCanonicalHost(ctx context.Context, host string) string {
	r := net.DefaultResolver
	addrs, err := r.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return host
	}
	names, err := r.LookupAddr(ctx, addrs[0])
	if err != nil || len(names) == 0 {
		return host
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	back, err := r.LookupHost(ctx, name)
	if err != nil || !slices.Contains(back, addrs[0]) {
		return host
	}
	return name
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func expandFiles(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if f != "none" {
			out = append(out, expandTilde(f))
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// authSources builds the auth sources in PreferredAuthentications order.
func authSources(o *options, lg *logger, p *prompter, host, gssID string) ([]userauth.Method, io.Closer, error) {
	var out []userauth.Method
	var cs closers
	batch := o.yes("batchmode", false)
	user := o.get("user")
	prefs := o.getDefault("preferredauthentications", "gssapi-with-mic,hostbased,publickey,keyboard-interactive,password")
	for _, m := range strings.Split(prefs, ",") {
		switch m {
		case "publickey":
			if !o.yes("pubkeyauthentication", true) {
				continue
			}
			accepted := splitList(o.get("pubkeyacceptedalgorithms"))
			sock := expandTilde(o.get("identityagent"))
			if sock == "" {
				sock = os.Getenv("SSH_AUTH_SOCK")
			}
			if sock != "" && sock != "none" && !o.yes("identitiesonly", false) {
				srcs, c, err := agentauth.Sources(context.Background(), sock)
				if err == nil {
					for _, s := range srcs {
						if pk, ok := s.(*userauth.PrivateKey); ok {
							pk.Algorithms = accepted
						}
						out = append(out, s)
					}
					cs = append(cs, c)
				} else {
					lg.debug(1, "get_agent_identities: ssh_get_authentication_socket: %v", err)
				}
			}
			// As ssh: the token's keys come before the identity files.
			if prov := pkcs11Provider(o); prov != "" {
				srcs, c := pkcs11Sources(context.Background(), o, lg, p, prov, accepted)
				out = append(out, srcs...)
				if c != nil {
					cs = append(cs, c)
				}
			}
			for _, id := range o.all("identityfile") {
				path := expandTilde(strings.ReplaceAll(id, "%d", homeDir()))
				if _, err := os.Stat(path); err != nil {
					lg.debug(1, "identity file %s type -1", path)
					continue
				}
				lg.debug(1, "identity file %s", path)
				if err := o.checkRSASize(path, pubKeyOf(path)); err != nil {
					lg.debug(1, "Skipping %s: %v", path, err)
					continue
				}
				if !keyAccepted(path, accepted) {
					lg.debug(1, "Skipping %s: its key type is not in PubkeyAcceptedAlgorithms", path)
					continue
				}
				if sk, ok := pubKeyOf(path).(*hostkey.SKPublicKey); ok {
					// A FIDO key: signed by the authenticator through
					// ssh-sk-helper and SecurityKeyProvider.
					// As ssh, its certificate beside it first.
					for _, src := range skSources(o, lg, p, path, sk, batch, certFiles(o, lg, path)) {
						src.Algorithms = accepted
						out = append(out, src)
					}
					continue
				}
				var pass func(context.Context, string) ([]byte, error)
				if !batch {
					pass = func(ctx context.Context, path string) ([]byte, error) {
						if pp, ok := p.keys.cached(path); ok { // typed for the certificate
							return pp, nil
						}
						s, err := p.ask(fmt.Sprintf("Enter passphrase for key '%s': ", path), false)
						p.keys.passphrase(path, []byte(s))
						return []byte(s), err
					}
				}
				// As ssh: the certificates first (beside the key, then
				// CertificateFile), then the plain key, which a server
				// without the CA still takes.
				for _, c := range append(certFiles(o, lg, path), "") {
					src := userauth.OnDiskPrivateKey(path, c, pass)
					src.Label = path
					src.Algorithms = accepted
					p.keys.add(src, path)
					out = append(out, src)
				}
			}
		case "keyboard-interactive":
			if batch || !o.yes("kbdinteractiveauthentication", true) {
				continue
			}
			devs := o.get("kbdinteractivedevices")
			out = append(out, &userauth.KeyboardInteractive{Submethods: devs, Respond: func(ctx context.Context, ch userauth.Challenge) ([]string, error) {
				if ch.Name != "" {
					p.show(wire.Sanitize(ch.Name))
				}
				if ch.Instruction != "" {
					p.show(wire.Sanitize(ch.Instruction))
				}
				answers := make([]string, len(ch.Prompts))
				for i, pr := range ch.Prompts {
					a, err := p.ask(fmt.Sprintf("(%s@%s) %s", user, host, wire.Sanitize(pr.Text)), pr.Echo)
					if err != nil {
						return nil, err
					}
					answers[i] = a
				}
				return answers, nil
			}})
		case "password":
			if batch || !o.yes("passwordauthentication", true) {
				continue
			}
			n, _ := strconv.Atoi(o.get("numberofpasswordprompts"))
			for range max(n, 1) {
				out = append(out, &userauth.Password{Get: func(ctx context.Context) (string, error) {
					return p.ask(fmt.Sprintf("%s@%s's password: ", user, host), false)
				}})
			}
		case "gssapi-with-mic":
			if o.yes("gssapiauthentication", false) {
				out = append(out, &gssauth.WithMIC{Host: host, ServerIdentity: gssID, Cred: o.gssCred,
					Delegate: o.yes("gssapidelegatecredentials", false)})
			}
		case "gssapi-keyex":
			// The client library tries it first, and only, after a
			// GSS-API key exchange (client.GSSAPI.KeyExchange); it has
			// no place in the list of its own.
			if !o.yes("gssapikeyexchange", false) {
				lg.debug(1, "authentication method gssapi-keyex needs a GSS-API key exchange and GSSAPIKeyExchange is no; skipped")
			}
		case "hostbased":
			out = append(out, hostbasedSources(o, lg)...)
		case "none":
			out = append(out, userauth.NoneAuth{})
		default:
			lg.debug(1, "unknown authentication method %s; skipped", m)
		}
	}
	// ssh always asks "none" first, which learns the methods that can
	// continue (and logs in where the server needs nothing more).
	if len(out) == 0 || out[0] != (userauth.NoneAuth{}) {
		out = append([]userauth.Method{userauth.NoneAuth{}}, out...)
	}
	if len(cs) == 0 {
		return out, nil, nil
	}
	return out, cs, nil
}

// keyAccepted reports whether the key in path (judged by its .pub file)
// can sign with one of the accepted algorithms. Without a readable .pub
// file the key is tried.
func keyAccepted(path string, accepted []string) bool {
	data, err := os.ReadFile(path + ".pub")
	if err != nil || len(accepted) == 0 {
		return true
	}
	pub, _, err := hostkey.ParsePublicKeyFile(data)
	if err != nil {
		return true
	}
	for _, a := range hostkey.SignatureAlgorithms(pub) {
		if slices.Contains(accepted, a) {
			return true
		}
	}
	return false
}

// pubKeyOf reads the public key of the identity file at path from its
// .pub file; nil if there is none.
func pubKeyOf(path string) hostkey.PublicKey {
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		return nil
	}
	pub, _, err := hostkey.ParsePublicKeyFile(data)
	if err != nil {
		return nil
	}
	return pub
}

// certFiles are the certificates for the identity file at path: its
// "-cert.pub" beside it, if there is one, then every CertificateFile
// whose certificate is for the identity's public key (judged by its
// .pub file), as ssh pairs them.
func certFiles(o *options, lg *logger, path string) []string {
	var out []string
	if _, err := os.Stat(path + "-cert.pub"); err == nil {
		out = append(out, path+"-cert.pub")
	}
	pub := pubKeyOf(path)
	if pub == nil {
		return out
	}
	for _, cf := range o.all("certificatefile") {
		cp := expandTilde(strings.ReplaceAll(cf, "%d", homeDir()))
		if cp == "none" || slices.Contains(out, cp) {
			continue
		}
		data, err := os.ReadFile(cp)
		if err != nil {
			lg.debug(1, "certificate file %s: %v", cp, err)
			continue
		}
		c, _, err := hostkey.ParsePublicKeyFile(data)
		cert, ok := c.(*hostkey.Certificate)
		if err != nil || !ok {
			lg.debug(1, "certificate file %s: not a certificate", cp)
			continue
		}
		if hostkey.Equal(cert.Key, pub) {
			out = append(out, cp)
		}
	}
	return out
}

// hostbasedSources is ssh's HostbasedAuthentication yes: one hostbased
// attempt per public host key (client.LocalHostKeys) that
// HostbasedAcceptedAlgorithms allows, each signed by ssh-keysign, which
// itself requires EnableSSHKeysign yes in /etc/ssh/ssh_config.
func hostbasedSources(o *options, lg *logger) []userauth.Method {
	if !o.yes("hostbasedauthentication", false) {
		return nil
	}
	accepted := splitList(o.get("hostbasedacceptedalgorithms"))
	keys := client.LocalHostKeys()
	if len(keys) == 0 {
		lg.debug(1, "HostbasedAuthentication enabled but no local public host keys could be loaded.")
	}
	var out []userauth.Method
	for _, k := range keys {
		if !slices.ContainsFunc(hostkey.SignatureAlgorithms(k), func(a string) bool { return slices.Contains(accepted, a) }) {
			lg.debug(1, "hostbased key %s not in HostbasedAcceptedAlgorithms", k.Type())
			continue
		}
		out = append(out, &client.HostbasedKeysign{Key: k, Conn: o.hostConn.get})
	}
	return out
}

// agentForwarding is ForwardAgent: whether to forward the agent, and
// its socket ("" for IdentityAgent's, or $SSH_AUTH_SOCK). ForwardAgent
// may name the agent socket to forward, or an environment variable
// holding it ($NAME).
func agentForwarding(o *options) (on bool, socket string) {
	on, socket = o.yes("forwardagent", false), expandTilde(o.get("identityagent"))
	if fa := o.get("forwardagent"); fa != "" && !slices.Contains([]string{"yes", "no", "true", "false"}, strings.ToLower(fa)) {
		if strings.HasPrefix(fa, "$") {
			fa = os.Getenv(strings.Trim(fa[1:], "{}"))
		}
		on, socket = !o.noAgentFwd, expandTilde(fa)
	}
	return on, socket
}
