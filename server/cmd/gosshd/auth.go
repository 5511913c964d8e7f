package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/shadow"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
	"github.com/sshstack/sshstack/wire"
)

// account is a local user as the session needs it.
type account struct {
	Name     string
	UID, GID uint32
	Groups   []uint32
	Home     string
	Shell    string
}

// lookupAccount finds a user in the system database; the shell comes
// from /etc/passwd (os/user does not report it).
func lookupAccount(name string) (*account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, server.ErrInvalidUser
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	a := &account{Name: u.Username, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir, Shell: "/bin/sh"}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				a.Groups = append(a.Groups, uint32(n))
			}
		}
	}
	if f, err := os.Open("/etc/passwd"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) == 7 && fields[0] == name && fields[6] != "" {
				a.Shell = fields[6]
			}
		}
		f.Close()
	}
	return a, nil
}

// policy holds what the auth callbacks need.
type policy struct {
	cfg    *config
	self   *account // the user gosshd runs as when not root
	root   bool
	cas    []hostkey.PublicKey // fixed user CAs (tests); else read from cfg.TrustedUserCAKeys per login
	banner string
	log    *slog.Logger // for "Failed publickey" lines; nil logs nothing
	ownLog bool         // log is a Match's LogLevel's, for the whole connection

	shadowFile string // for tests: the shadow file instead of shadowFile's
}

// userAllowed applies the account checks of sshd: running as an
// ordinary user serves only that user; DenyUsers, AllowUsers, DenyGroups,
// AllowGroups. from is the client's address for the log; it may be nil.
func (p *policy) userAllowed(name string, from net.Addr) (*account, error) {
	if !p.root && (p.self == nil || name != p.self.Name) {
		return nil, server.ErrInvalidUser
	}
	a, err := lookupAccount(name)
	if err != nil {
		return nil, err
	}
	if err := p.shadowAccount(a); err != nil {
		return nil, err
	}
	match := func(list []string) bool {
		for _, pat := range list {
			u, _, _ := strings.Cut(pat, "@")
			if ok, _ := path.Match(u, name); ok {
				return true
			}
		}
		return false
	}
	if match(p.cfg.DenyUsers) || (len(p.cfg.AllowUsers) > 0 && !match(p.cfg.AllowUsers)) {
		return nil, fmt.Errorf("user %s not allowed by AllowUsers/DenyUsers", name)
	}
	if err := p.groupsAllowed(name, from); err != nil {
		return nil, err
	}
	if a.UID == 0 && p.cfg.PermitRootLogin == "no" {
		return nil, errors.New("root login refused")
	}
	return a, nil
}

// pathTokens are sshd's tokens of AuthorizedKeysFile,
// AuthorizedPrincipalsFile and ChrootDirectory: %h (home), %u (user)
// and %U (uid); %% is a '%'.
func pathTokens(a *account) map[byte]string {
	return map[byte]string{'h': a.Home, 'u': a.Name, 'U': strconv.Itoa(int(a.UID))}
}

// expandTokens expands the tokens of AuthorizedKeysFile or
// AuthorizedPrincipalsFile (pathTokens); a relative result is taken
// from the user's home directory. An unknown token is an error, as in
// sshd (whose session ends on it).
func expandTokens(s string, a *account) (string, error) {
	out, err := sshconfig.Expand(s, pathTokens(a))
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(a.Home, out)
	}
	return out, nil
}

func (p *policy) keyTypeAllowed(k hostkey.PublicKey) bool {
	if p.cfg.PubkeyAcceptedAlgorithms == nil {
		return true
	}
	typ := k.Type()
	for _, alg := range p.cfg.PubkeyAcceptedAlgorithms {
		if alg == typ || hostkey.KeyTypeForAlgorithm(alg) == typ {
			return true
		}
	}
	return false
}

// publicKey decides a publickey request as sshd's user_key_allowed
// (auth2-pubkey.c) does: first the AuthorizedKeysFile entries, where a
// plain key needs a line of its own and a certificate a cert-authority
// line for its authority; then, for a certificate,
// TrustedUserCAKeys with AuthorizedPrincipalsFile (trustedCert). A
// signed attempt that fails for an existing user is logged as sshd logs
// it: at VERBOSE, or at INFO from MaxAuthTries/2 failures on.
func (p *policy) publicKey(ctx context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
	a, err := p.userAllowed(m.User, m.RemoteAddr)
	if err != nil {
		return nil, err
	}
	perms, err := p.keyAllowed(ctx, a, remoteIP(m.RemoteAddr), key)
	if err != nil && m.Signed && p.log != nil {
		// As sshd's auth_log: VERBOSE, or INFO once half of
		// MaxAuthTries has failed.
		level := levelVerbose
		if max := p.cfg.MaxAuthTries; max <= 0 || m.Failures >= max/2 {
			level = slog.LevelInfo
		}
		addr, port := addrPort(m.RemoteAddr)
		p.log.Log(context.Background(), level, fmt.Sprintf("Failed publickey for %s from %s port %d ssh2: %s", wire.Sanitize(m.User), addr, port, server.KeyDescription(key)),
			"user", m.User, "method", m.Method, "err", err)
	}
	return perms, err
}

// keyAllowed is the decision of publicKey for the account a and a
// client at ip.
func (p *policy) keyAllowed(ctx context.Context, a *account, ip net.IP, key hostkey.PublicKey) (*userauth.Permissions, error) {
	if !p.keyTypeAllowed(key) {
		return nil, errors.New("key type not in PubkeyAcceptedAlgorithms")
	}
	if err := p.keyPolicy(key); err != nil {
		return nil, err
	}
	r, err := p.authorizedKeys(ctx, a, ip, key)
	if cert, ok := key.(*hostkey.Certificate); ok && err != nil {
		tr, terr := p.trustedCert(ctx, a, ip, cert)
		if terr != nil {
			return nil, errors.Join(err, terr)
		}
		r, err = tr, nil
	}
	if err != nil {
		return nil, err
	}
	if r.VerifyRequired && isSecurityKey(key) {
		// The signature was verified before this callback under the
		// server-wide policy, which cannot see this line's
		// verify-required: refuse rather than skip the check.
		return nil, errors.New("verify-required cannot be enforced for this login")
	}
	perms := userauth.PermissionsFromRestrictions(r)
	if r.Tunnel != "" { // tunnel="n": the only unit this key may forward
		if perms.Extensions == nil {
			perms.Extensions = map[string]string{}
		}
		perms.Extensions[server.ExtTunnel] = r.Tunnel
	}
	if a.UID == 0 && p.cfg.PermitRootLogin == "forced-commands-only" && perms.ForceCommand == "" {
		return nil, errors.New("root login needs a forced command")
	}
	return perms, nil
}

// authorizedKeys checks the AuthorizedKeysFile entries (hostkey.Authorize).
// A certificate through a cert-authority line without principals=
// needs the user name among its principals, or no principals at all:
// sshd does not require a principal list there (it does for
// TrustedUserCAKeys).
func (p *policy) authorizedKeys(ctx context.Context, a *account, ip net.IP, key hostkey.PublicKey) (*hostkey.Restrictions, error) {
	// As sshd's user_key_allowed: the AuthorizedKeysCommand's lines
	// first, then the files.
	entries, err := p.commandKeys(ctx, a, key)
	if err != nil && p.log != nil {
		p.log.Error(fmt.Sprintf("AuthorizedKeysCommand %s: %v", p.cfg.AuthorizedKeysCommand, err))
	}
	for _, f := range p.cfg.AuthorizedKeysFiles {
		if strings.EqualFold(f, "none") {
			continue
		}
		path, err := expandTokens(f, a)
		if err != nil {
			if p.log != nil {
				p.log.Error(fmt.Sprintf("AuthorizedKeysFile %s: %v", f, err))
			}
			continue
		}
		data, ok := p.readUserFile(path, a, "authorized keys")
		if !ok {
			continue
		}
		e, _ := hostkey.ParseAuthorizedKeys(bytes.NewReader(data), f)
		entries = append(entries, e...)
	}
	_, r, err := hostkey.Authorize(entries, hostkey.AuthorizeRequest{User: a.Name, Key: key, RemoteIP: ip, RemoteHost: p.hostName(ip)},
		&hostkey.CertChecker{AllowEmptyPrincipals: true})
	return r, err
}

// hostName is the client's name for from= options: with UseDNS yes its
// verified reverse name (dns.go), else "" (from= then tests the address
// only, as sshd whose host name is then the address).
func (p *policy) hostName(ip net.IP) string {
	if ip == nil || !p.cfg.more.UseDNS {
		return ""
	}
	if h := p.cfg.remoteHost(ip.String()); h != ip.String() {
		return h
	}
	return ""
}

// errNoPrincipal means no line of the AuthorizedPrincipalsFile names a
// principal of the certificate.
var errNoPrincipal = errors.New("certificate does not contain an authorized principal")

// trustedCert decides a certificate signed by a TrustedUserCAKeys
// authority, as sshd's user_cert_trusted_ca: a user certificate, valid
// now, with no unknown critical option, whose source-address admits the
// client, and either (without AuthorizedPrincipalsFile) listing the user
// name as a principal, or listing a principal named by the first
// matching line of the AuthorizedPrincipalsFile, whose options are then
// checked and merged with the certificate's (hostkey.Restrictions.Merge).
func (p *policy) trustedCert(ctx context.Context, a *account, ip net.IP, cert *hostkey.Certificate) (*hostkey.Restrictions, error) {
	cas := p.cas
	if cas == nil {
		// As sshd, the file is read for each login, so a CA added or
		// revoked takes effect without a restart.
		var err error
		if cas, err = loadCAs(p.cfg.TrustedUserCAKeys); err != nil {
			return nil, fmt.Errorf("TrustedUserCAKeys: %w", err)
		}
	}
	if !slices.ContainsFunc(cas, func(ca hostkey.PublicKey) bool { return hostkey.Equal(ca, cert.SignatureKey) }) {
		return nil, hostkey.ErrCertUntrusted
	}
	if cert.CertType != hostkey.UserCert {
		return nil, fmt.Errorf("%w: want a user certificate", hostkey.ErrCertType)
	}
	// As sshd's user_cert_trusted_ca: the AuthorizedPrincipalsFile, then
	// the AuthorizedPrincipalsCommand; with either configured, one of the
	// certificate's principals must be on a line (the user name no
	// longer counts).
	principal := a.Name
	var line *hostkey.AuthorizedPrincipal
	match := func(lines []*hostkey.AuthorizedPrincipal) bool {
		i := slices.IndexFunc(lines, func(l *hostkey.AuthorizedPrincipal) bool { return slices.Contains(cert.ValidPrincipals, l.Name) })
		if i >= 0 {
			line, principal = lines[i], lines[i].Name
		}
		return i >= 0
	}
	useFile := p.cfg.AuthorizedPrincipalsFile != "" && !strings.EqualFold(p.cfg.AuthorizedPrincipalsFile, "none")
	useCommand := p.cfg.AuthorizedPrincipalsCommand != "" && !strings.EqualFold(p.cfg.AuthorizedPrincipalsCommand, "none")
	found := false
	if useFile {
		var data []byte
		if path, err := expandTokens(p.cfg.AuthorizedPrincipalsFile, a); err == nil {
			data, _ = p.readUserFile(path, a, "authorized principals") // a missing file lists nobody
		} else if p.log != nil {
			p.log.Error(fmt.Sprintf("AuthorizedPrincipalsFile %s: %v", p.cfg.AuthorizedPrincipalsFile, err))
		}
		lines, _ := hostkey.ParseAuthorizedPrincipals(bytes.NewReader(data), p.cfg.AuthorizedPrincipalsFile)
		found = match(lines)
	}
	if !found && useCommand {
		lines, err := p.commandPrincipals(ctx, a, cert)
		if err != nil && p.log != nil {
			p.log.Error(fmt.Sprintf("AuthorizedPrincipalsCommand %s: %v", p.cfg.AuthorizedPrincipalsCommand, err))
		}
		found = match(lines)
	}
	if (useFile || useCommand) && !found {
		return nil, errNoPrincipal
	}
	if err := (&hostkey.CertChecker{}).CheckCert(principal, cert); err != nil {
		return nil, err
	}
	cr, err := cert.Restrictions()
	if err != nil {
		return nil, err
	}
	if !cr.AllowsFrom(ip, p.hostName(ip)) {
		return nil, fmt.Errorf("%w: client address not in source-address", hostkey.ErrCertCriticalOption)
	}
	if line == nil {
		return cr, nil
	}
	if err := hostkey.CheckPrincipalLine(line, time.Now(), ip, ""); err != nil {
		return nil, err
	}
	return line.Restrictions.Merge(cr)
}

// isSecurityKey reports whether k, or the key k certifies, is a FIDO
// security key (sk-*), whose signatures carry user-presence and
// user-verification flags.
func isSecurityKey(k hostkey.PublicKey) bool {
	if c, ok := k.(*hostkey.Certificate); ok {
		k = c.Key
	}
	return k != nil && strings.HasPrefix(k.Type(), "sk-")
}

func remoteIP(a net.Addr) net.IP {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP
	}
	return nil
}

// addrPort splits a client address for sshd-style log lines.
func addrPort(a net.Addr) (string, int) {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String(), ta.Port
	}
	if a == nil {
		return "UNKNOWN", 0
	}
	return a.String(), 0
}

// A pamMessage is one message of a PAM conversation (pam_conv(3)).
type pamMessage struct {
	Text   string
	Prompt bool // PAM_PROMPT_ECHO_OFF or PAM_PROMPT_ECHO_ON: an answer is wanted
	Echo   bool // PAM_PROMPT_ECHO_ON
}

func (p *policy) rootPasswordAllowed(a *account) bool {
	return a.UID != 0 || p.cfg.PermitRootLogin == "yes"
}

func (p *policy) password(ctx context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
	a, err := p.userAllowed(m.User, m.RemoteAddr)
	if err != nil {
		// Hash anyway for an equal answer time (docs/security.md#a7).
		if p.cfg.UsePAM {
			pamAuthenticate(p.cfg.PamServiceName, "\x01invalid", func(pamMessage) (string, error) { return pw, nil })
		} else {
			shadow.Verify(dummyHash, pw)
		}
		return nil, err
	}
	if !p.rootPasswordAllowed(a) {
		return nil, errors.New("root password login refused")
	}
	if pw == "" && !p.cfg.PermitEmptyPasswords {
		// As sshd's auth_password, before PAM or the shadow file.
		return nil, errors.New("empty password refused (PermitEmptyPasswords no)")
	}
	if p.cfg.more.KerberosAuthentication {
		// As sshd's auth_password: Kerberos first (krb5pass.go), then,
		// with KerberosOrLocalPasswd, the local check.
		perms, err := p.kerberosPassword(ctx, a, pw)
		if err == nil {
			return perms, nil
		}
		if p.log != nil {
			p.log.Debug("debug1: " + err.Error())
		}
		if !p.cfg.more.KerberosOrLocalPasswd {
			return nil, err
		}
	}
	if !p.cfg.UsePAM {
		return p.shadowPassword(a, pw)
	}
	err = pamAuthenticate(p.cfg.PamServiceName, m.User, func(msg pamMessage) (string, error) {
		if msg.Prompt {
			return pw, nil
		}
		return "", nil
	})
	return nil, err
}

// shadowFile is the shadow password file read with UsePAM no. Tests
// that run a built gosshd link another one in with
// -ldflags "-X main.shadowFile=..."; there is no run-time setting.
var shadowFile = shadow.DefaultFile

// dummyHash is checked for unknown users with UsePAM no, so that they
// take as long as a user with Debian's default yescrypt hash.
const dummyHash = "$y$j9T$wRNOzBt/o8Eo5ypI9JKut.$8H/Zftk.v1OXcDJp/4KMZxioh9lbPKnWRO3MlK3znu9"

func (p *policy) shadowPath() string {
	if p.shadowFile != "" {
		return p.shadowFile
	}
	return shadowFile
}

// shadowPassword checks pw against a's hash in the shadow file, as
// sshd's sys_auth_passwd does with UsePAM no (the account checks, locked
// and expired, are in shadowAccount, for every method). An expired
// password still logs in, but, as in sshd, only to change it: the
// session runs passwd(1) on a terminal, or fails without one, with
// forwarding off.
func (p *policy) shadowPassword(a *account, pw string) (*userauth.Permissions, error) {
	e, err := shadow.Lookup(p.shadowPath(), a.Name)
	if err != nil {
		shadow.Verify(dummyHash, pw)
		return nil, fmt.Errorf("reading the shadow entry: %w", err)
	}
	if err := shadow.Verify(e.Hash, pw); err != nil {
		return nil, err
	}
	if !e.PasswordExpired(time.Now()) {
		return nil, nil
	}
	why := "password aged"
	if e.LastChange == 0 {
		why = "root forced"
	}
	if p.log != nil {
		p.log.Info(fmt.Sprintf("User %s password has expired (%s)", a.Name, why))
	}
	return &userauth.Permissions{
		ForceCommand:      passwordChangeCommand,
		NoPortForwarding:  true,
		NoAgentForwarding: true,
		NoX11Forwarding:   true,
		NoUserRC:          true,
	}, nil
}

// passwordChangeCommand is what the session of a login with an expired
// password runs: sshd's do_pwchange, in sh.
const passwordChangeCommand = `echo "WARNING: Your password has expired." >&2; ` +
	`if [ -t 0 ]; then echo "You must change your password now and login again!" >&2; exec passwd; fi; ` +
	`echo "Password change required but no TTY available." >&2; exit 1`

// shadowAccount applies sshd's shadow checks for every method when PAM
// is off (allowed_user in auth.c): a locked hash ("!...") or an account
// past its expiry day refuses the login. An unreadable shadow file (gosshd
// not root) or a user without an entry is not refused here, as in sshd.
func (p *policy) shadowAccount(a *account) error {
	if p.cfg.UsePAM {
		return nil
	}
	e, err := shadow.Lookup(p.shadowPath(), a.Name)
	if err != nil {
		return nil
	}
	var line string
	switch {
	case e.AccountExpired(time.Now()):
		line = fmt.Sprintf("Account %s has expired", a.Name)
	case e.Locked():
		line = fmt.Sprintf("User %s not allowed because account is locked", a.Name)
	default:
		return nil
	}
	if p.log != nil {
		p.log.Info(line) // sshd's words
	}
	return errors.New("account locked or expired in " + p.shadowPath())
}

func (p *policy) keyboardInteractive(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
	a, err := p.userAllowed(m.User, m.RemoteAddr)
	if err != nil {
		// Ask the same prompt for unknown users (docs/security.md#a7).
		ask(ctx, userauth.Challenge{Prompts: []wire.Prompt{{Text: "Password: "}}})
		return nil, err
	}
	if !p.rootPasswordAllowed(a) {
		return nil, errors.New("root password login refused")
	}
	var info strings.Builder
	err = pamAuthenticate(p.cfg.PamServiceName, m.User, func(msg pamMessage) (string, error) {
		if !msg.Prompt {
			info.WriteString(msg.Text + "\n")
			return "", nil
		}
		ans, err := ask(ctx, userauth.Challenge{Instruction: info.String(), Prompts: []wire.Prompt{{Text: msg.Text, Echo: msg.Echo}}})
		info.Reset()
		if err != nil {
			return "", err
		}
		if len(ans) != 1 {
			return "", errors.New("wrong number of answers")
		}
		return ans[0], nil
	})
	return nil, err
}

// authConfig builds the userauth policy from the configuration. With
// Match sections, the policy of each connection is built again once the
// first request names its user (userauth.ServerConfig.ForUser), from
// the configuration those sections give for the user, the client's
// address and host name and the local address and port, as sshd does
// for authentication: the methods offered and their "can continue"
// list, AuthenticationMethods, MaxAuthTries, the Banner, the key files
// and commands and every other check of the callbacks.
func (p *policy) authConfig() (*userauth.ServerConfig, error) {
	cfg, err := p.userConfig()
	if err != nil {
		return nil, err
	}
	if len(p.cfg.matches) > 0 {
		cfg.ForUser = func(_ context.Context, m userauth.ConnMeta) (*userauth.ServerConfig, error) {
			return p.forUser(m).userConfig()
		}
	}
	return cfg, nil
}

// forUser returns the policy for the user of m: p with the configuration
// the Match sections give for the connection.
func (p *policy) forUser(m userauth.ConnMeta) *policy {
	ec := p.cfg.forConn(p.cfg.connInfoOf(m.User, m.RemoteAddr, m.LocalAddr))
	if ec == p.cfg {
		return p
	}
	u := *p
	u.cfg = ec
	if ec.LogLevel != p.cfg.LogLevel && p.log != nil {
		// sshd's log_change_level once the user is known: this login's
		// lines, to the end of the connection, at the Match's level.
		u.log = withLevel(p.log, ec.LogLevel)
		u.ownLog = true
	}
	if ec.Banner != p.cfg.Banner {
		// Read for each login, as sshd reads its Banner; a file that
		// cannot be read sends none.
		u.banner = ""
		if ec.Banner != "" {
			b, err := os.ReadFile(ec.Banner)
			if err != nil && p.log != nil {
				p.log.Error(fmt.Sprintf("Banner %s: %v", ec.Banner, err))
			}
			u.banner = string(b)
		}
	}
	return &u
}

// methodEnabled reports whether the configuration enables an
// authentication method that AuthenticationMethods may name; a method
// gosshd does not configure here is left to package userauth.
func (c *config) methodEnabled(method string) bool {
	switch method {
	case wire.MethodPublicKey:
		return c.PubkeyAuthentication
	case wire.MethodPassword:
		return c.PasswordAuthentication
	case wire.MethodKeyboardInteractive:
		return c.KbdInteractiveAuth
	case wire.MethodHostbased:
		return c.more.HostbasedAuthentication
	case wire.MethodGSSAPIWithMIC:
		return c.GSSAPIAuthentication
	case wire.MethodGSSAPIKeyex:
		return c.GSSAPIAuthentication && c.GSSAPIKeyExchange
	}
	return true
}

// authChains parses AuthenticationMethods and, as sshd's
// auth2_setup_methods_lists, leaves out the lists that name a method
// the configuration does not enable; none left is an error.
func (p *policy) authChains() ([][]string, error) {
	if p.cfg.AuthenticationMethods == "" {
		return nil, nil
	}
	chains, err := userauth.ParseAuthenticationMethods(p.cfg.AuthenticationMethods)
	if err != nil || chains == nil {
		return nil, err
	}
	var out [][]string
	for _, chain := range chains {
		if i := slices.IndexFunc(chain, func(m string) bool { return !p.cfg.methodEnabled(m) }); i >= 0 {
			if p.log != nil {
				p.log.Info(fmt.Sprintf("Authentication methods list \"%s\" contains disabled method, skipping", strings.Join(chain, ",")))
			}
			continue
		}
		out = append(out, chain)
	}
	if out == nil {
		return nil, errors.New("AuthenticationMethods cannot be satisfied by enabled authentication methods")
	}
	return out, nil
}

// userConfig builds the userauth policy of p's configuration.
func (p *policy) userConfig() (*userauth.ServerConfig, error) {
	cfg := &userauth.ServerConfig{MaxAuthTries: p.cfg.MaxAuthTries}
	if p.cfg.PubkeyAuthentication {
		// Certificates come to publicKey too, which decides them from
		// TrustedUserCAKeys and the user's cert-authority lines together.
		cfg.PublicKeyCallback = func(ctx context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
			return p.restrict(m)(p.publicKey(ctx, m, key))
		}
		cfg.PublicKeyCallbackCerts = true
		if p.cfg.PubkeyAcceptedAlgorithms != nil {
			for _, a := range p.cfg.PubkeyAcceptedAlgorithms {
				if a == hostkey.RSA {
					cfg.KeyPolicy = &hostkey.Policy{AllowSHA1: true}
				}
			}
		}
	}
	if m := &p.cfg.more; m.HostbasedAuthentication {
		cfg.HostbasedCallback = p.hostbased
		cfg.HostbasedAlgorithms = orList(m.HostbasedAcceptedAlgorithms, hostkey.DefaultAlgorithms())
		if slices.Contains(cfg.HostbasedAlgorithms, hostkey.RSA) {
			cfg.KeyPolicy = &hostkey.Policy{AllowSHA1: true}
		}
	}
	if p.cfg.PasswordAuthentication {
		cfg.PasswordCallback = func(ctx context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
			return p.restrict(m)(p.password(ctx, m, pw))
		}
	}
	if p.cfg.KbdInteractiveAuth {
		cfg.KeyboardInteractiveCallback = func(ctx context.Context, m userauth.ConnMeta,
			ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
			return p.restrict(m)(p.keyboardInteractive(ctx, m, ask))
		}
	}
	chains, err := p.authChains()
	if err != nil {
		return nil, err
	}
	cfg.AuthenticationMethods = chains
	if !p.cfg.GSSAPIAuthentication {
		// Off for this configuration even when package server has
		// GSS-API for another (server.Server.Auth).
		cfg.Handlers = map[string]userauth.Handler{wire.MethodGSSAPIWithMIC: nil}
	}
	if p.banner != "" {
		banner := p.banner
		cfg.Banner = func(userauth.ConnMeta) string { return banner }
	}
	if p.ownLog {
		cfg.Logger = p.log // package server's and userauth's lines too
	}
	return cfg, nil
}

// gssServer is the GSS-API policy (GSSAPIAuthentication): the account
// checks of userAllowed, no GSS-API login for root under PermitRootLogin
// forced-commands-only (sshd allows only publickey with a forced command
// there), then ~/.k5login or user@default_realm as krb5_kuserok.
func (p *policy) gssServer() *gssauth.Server {
	return &gssauth.Server{
		StrictAcceptorCheck: p.cfg.GSSAPIStrictAcceptor,
		UserOK: func(_ context.Context, m userauth.ConnMeta, principal string) (*userauth.Permissions, error) {
			p := p.forUser(m)
			a, err := p.userAllowed(m.User, m.RemoteAddr)
			if err != nil {
				return nil, err
			}
			if a.UID == 0 && p.cfg.PermitRootLogin == "forced-commands-only" {
				return nil, errors.New("root login refused")
			}
			return p.restrict(m)(gssauth.K5LoginUserOK(nil, func(string) (string, error) { return a.Home, nil }, m.User, principal))
		},
	}
}

// loadCAs reads TrustedUserCAKeys.
func loadCAs(file string) ([]hostkey.PublicKey, error) {
	if file == "" || file == "none" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []hostkey.PublicKey
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, err := hostkey.ParsePublicKeyFile(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// restrict adds to a successful factor's Permissions what sshd_config
// (with the Match sections for this user and address) takes away from
// every login: PermitTTY no refuses pty-req, DisableForwarding yes every
// forwarding (the forwarding hooks check it too). The Permissions of
// the factors are merged, so one factor's restriction holds for the
// connection.
func (p *policy) restrict(m userauth.ConnMeta) func(*userauth.Permissions, error) (*userauth.Permissions, error) {
	return func(perms *userauth.Permissions, err error) (*userauth.Permissions, error) {
		if err != nil {
			return perms, err
		}
		if perms == nil {
			perms = &userauth.Permissions{}
		}
		ci := p.cfg.connInfoOf(m.User, m.RemoteAddr, m.LocalAddr)
		ec := p.cfg.forConn(ci)
		if !ec.more.PermitTTY {
			perms.NoPTY = true
		}
		if ec.more.DisableForwarding {
			perms.NoPortForwarding, perms.NoAgentForwarding, perms.NoX11Forwarding = true, true, true
		}
		return perms, nil
	}
}
