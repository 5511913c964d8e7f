package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/x11"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/userauth"
)

// A keyword is one sshd_config keyword (sshd_config(5)) as gosshd
// knows it: how a value is applied, sshd's default, and how gosshd -T
// prints it. apply, the default and -T all come from the one table,
// keywords, so a keyword cannot be parsed without being printed.
type keyword struct {
	name    string   // lower case, as sshd -T prints it
	aliases []string // other spellings sshd accepts
	multi   bool     // every line adds a value; otherwise the first wins
	match   bool     // allowed inside Match (applied per connection)

	// def sets sshd's default; nil when the zero value is the default.
	// Multi-valued keywords whose default is a list (Port, HostKey,
	// AuthorizedKeysFile) get it in finish, when no line gave one.
	def func(c *config)
	// apply sets the keyword from a non-empty value; cmdline is true
	// for -o options.
	apply func(c *config, val string, cmdline bool) error
	// args, when set, is used instead of apply, for keywords that take
	// a list: it gets the line's arguments as sshconfig split them, so
	// a quoted argument with blanks stays one entry, as in sshd.
	args func(c *config, args []string, cmdline bool) error
	// print writes the keyword's -T lines through p, which prefixes
	// the name; it may print none (AllowUsers with no users).
	print func(c *config, p func(v any))
}

// keywords is every keyword gosshd takes, in the order gosshd -T prints
// them.
var keywords = []keyword{
	{name: "port", multi: true, apply: applyPort, print: func(c *config, p func(any)) {
		for _, port := range c.Ports {
			p(port)
		}
	}},
	oneOfKW("addressfamily", func(c *config) *string { return &c.more.AddressFamily }, "any", "inet", "inet6"),
	{name: "listenaddress", multi: true, args: func(c *config, args []string, _ bool) error {
		c.ListenAddresses = append(c.ListenAddresses, args[0])
		return nil
	}, print: func(c *config, p func(any)) {
		for _, a := range c.listenAddrs() {
			p(a)
		}
	}},
	{name: "requiredrsasize", match: true, aliases: []string{"rsaminsize"}, def: func(c *config) { c.more.RequiredRSASize = 1024 },
		apply: func(c *config, val string, _ bool) error {
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return fmt.Errorf("bad value %q", val)
			}
			c.more.RequiredRSASize = n
			return nil
		}, print: func(c *config, p func(any)) { p(c.more.RequiredRSASize) }},
	{name: "streamlocalbindmask", match: true, def: func(c *config) { c.more.StreamLocalBindMask = 0o177 },
		apply: func(c *config, val string, _ bool) error {
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil || n > 0o777 {
				return fmt.Errorf("bad mask %q", val)
			}
			c.more.StreamLocalBindMask = uint32(n)
			return nil
		}, print: func(c *config, p func(any)) { p(fmt.Sprintf("0%o", c.more.StreamLocalBindMask)) }}, // sshd's "0%o": 0 is "00"
	{name: "unusedconnectiontimeout", match: true, apply: func(c *config, val string, _ bool) error {
		if strings.EqualFold(val, "none") {
			c.more.UnusedConnectionTimeout = 0
			return nil
		}
		d, err := sshconfig.ParseTime(val)
		c.more.UnusedConnectionTimeout = d // server.Server.UnusedConnectionTimeout
		return err
	}, print: func(c *config, p func(any)) {
		if c.more.UnusedConnectionTimeout == 0 {
			p("none")
		} else {
			p(int(c.more.UnusedConnectionTimeout / time.Second))
		}
	}},
	{name: "ignorerhosts", match: true, def: func(c *config) { c.more.IgnoreRhosts = "yes" },
		apply: yesNoOr(func(c *config) *string { return &c.more.IgnoreRhosts }, "shosts-only"),
		print: func(c *config, p func(any)) { p(c.more.IgnoreRhosts) }},
	flagKW("ignoreuserknownhosts", false, func(c *config) *bool { return &c.more.IgnoreUserKnownHosts }),
	inMatch(flagKW("hostbasedauthentication", false, func(c *config) *bool { return &c.more.HostbasedAuthentication })),
	inMatch(flagKW("hostbasedusesnamefrompacketonly", false, func(c *config) *bool { return &c.more.HostbasedUsesNameFromPacketOnly })),
	inMatch(flagKW("kerberosauthentication", false, func(c *config) *bool { return &c.more.KerberosAuthentication })), // krb5pass.go
	flagKW("kerberosorlocalpasswd", true, func(c *config) *bool { return &c.more.KerberosOrLocalPasswd }),
	flagKW("kerberosticketcleanup", true, func(c *config) *bool { return &c.more.KerberosTicketCleanup }),
	flagKW("printmotd", true, func(c *config) *bool { return &c.more.PrintMotd }),
	flagKW("printlastlog", true, func(c *config) *bool { return &c.more.PrintLastLog }),
	inMatch(flagKW("permittty", true, func(c *config) *bool { return &c.more.PermitTTY })),
	flagKW("strictmodes", true, func(c *config) *bool { return &c.more.StrictModes }),
	flagKW("tcpkeepalive", true, func(c *config) *bool { return &c.more.TCPKeepAlive }),
	flagKW("usedns", false, func(c *config) *bool { return &c.more.UseDNS }),
	inMatch(flagKW("disableforwarding", false, func(c *config) *bool { return &c.more.DisableForwarding })),
	inMatch(flagKW("streamlocalbindunlink", false, func(c *config) *bool { return &c.more.StreamLocalBindUnlink })),
	{name: "fingerprinthash", def: func(c *config) { c.more.FingerprintHash = "SHA256" },
		apply: func(c *config, val string, _ bool) error {
			switch strings.ToLower(val) {
			case "sha256":
				c.more.FingerprintHash = "SHA256"
			case "md5":
				c.more.FingerprintHash = "MD5"
			default:
				return fmt.Errorf("bad value %q", val)
			}
			return nil
		}, print: func(c *config, p func(any)) { p(c.more.FingerprintHash) }},
	inMatch(flagKW("exposeauthinfo", false, func(c *config) *bool { return &c.more.ExposeAuthInfo })),
	stringKW("modulifile", kex.DefaultModuliFile, func(c *config) *string { return &c.more.ModuliFile }),
	inMatch(noneKW("chrootdirectory", func(c *config) *string { return &c.more.ChrootDirectory })),
	inMatch(noneKW("revokedkeys", func(c *config) *string { return &c.more.RevokedKeys })),
	stringKW("securitykeyprovider", "internal", func(c *config) *string { return &c.more.SecurityKeyProvider }),
	noneKW("versionaddendum", func(c *config) *string { return &c.more.VersionAddendum }),
	noneKW("hostkeyagent", func(c *config) *string { return &c.more.HostKeyAgent }), // applied by loadHostKeys
	inMatch(algoKW("casignaturealgorithms", nil, func(c *config) *[]string { return &c.more.CASignatureAlgorithms }, caSignatureDefaults)),
	inMatch(algoKW("hostbasedacceptedalgorithms", []string{"hostbasedacceptedkeytypes"},
		func(c *config) *[]string { return &c.more.HostbasedAcceptedAlgorithms }, hostkey.DefaultAlgorithms)),
	{name: "syslogfacility", def: func(c *config) { c.more.SyslogFacility = "AUTH" },
		apply: func(c *config, val string, _ bool) error {
			if !slices.Contains(syslogFacilities, strings.ToUpper(val)) {
				return fmt.Errorf("unsupported log facility %q", val)
			}
			c.more.SyslogFacility = strings.ToUpper(val)
			return nil
		}, print: func(c *config, p func(any)) { p(c.more.SyslogFacility) }},
	{name: "permittunnel", match: true, def: func(c *config) { c.more.PermitTunnel = "no" },
		apply: yesNoOr(func(c *config) *string { return &c.more.PermitTunnel }, "point-to-point", "ethernet"),
		print: func(c *config, p func(any)) { p(c.more.PermitTunnel) }},
	{name: "ipqos", match: true, def: func(c *config) { c.more.IPQoS = [2]int{0x10, 0x08} }, // lowdelay throughput, Debian's 9.2
		args:  applyIPQoS,
		print: func(c *config, p func(any)) { p(ipqosString(c.more.IPQoS[0]) + " " + ipqosString(c.more.IPQoS[1])) }},
	{name: "pubkeyauthoptions", match: true, args: func(c *config, args []string, _ bool) error {
		var opts []string
		for _, o := range args {
			switch o {
			case "none":
			case "touch-required", "verify-required":
				opts = append(opts, o)
			default:
				return fmt.Errorf("unsupported PubkeyAuthOptions option %s", o)
			}
		}
		c.more.PubkeyAuthOptions = opts
		return nil
	}, print: func(c *config, p func(any)) { p(strings.Join(orList(c.more.PubkeyAuthOptions, []string{"none"}), " ")) }},
	{name: "hostkey", multi: true, apply: func(c *config, val string, _ bool) error {
		c.HostKeys = append(c.HostKeys, val)
		return nil
	}, print: func(c *config, p func(any)) {
		for _, h := range c.HostKeys {
			p(h)
		}
	}},
	{name: "authorizedkeysfile", match: true, args: func(c *config, args []string, _ bool) error {
		c.AuthorizedKeysFiles = args
		return nil
	}, print: func(c *config, p func(any)) { p(strings.Join(c.AuthorizedKeysFiles, " ")) }},
	inMatch(noneKW("authorizedprincipalsfile", func(c *config) *string { return &c.AuthorizedPrincipalsFile })),
	inMatch(noneKW("authorizedkeyscommand", func(c *config) *string { return &c.AuthorizedKeysCommand })),
	inMatch(noneKW("authorizedkeyscommanduser", func(c *config) *string { return &c.AuthorizedKeysCommandUser })),
	inMatch(noneKW("authorizedprincipalscommand", func(c *config) *string { return &c.AuthorizedPrincipalsCommand })),
	inMatch(noneKW("authorizedprincipalscommanduser", func(c *config) *string { return &c.AuthorizedPrincipalsCommandUser })),
	inMatch(noneKW("trustedusercakeys", func(c *config) *string { return &c.TrustedUserCAKeys })),
	inMatch(flagKW("pubkeyauthentication", true, func(c *config) *bool { return &c.PubkeyAuthentication })),
	// sshd's defaults: passwords through PAM with UsePAM yes, against
	// /etc/shadow (package shadow) without; keyboard-interactive needs
	// PAM, so without UsePAM its default is no (finish).
	inMatch(flagKW("passwordauthentication", true, func(c *config) *bool { return &c.PasswordAuthentication })),
	inMatch(flagKW("permitemptypasswords", false, func(c *config) *bool { return &c.PermitEmptyPasswords })),
	inMatch(withAliases(flagKW("kbdinteractiveauthentication", true, func(c *config) *bool { return &c.KbdInteractiveAuth }),
		"challengeresponseauthentication")),
	{name: "authenticationmethods", match: true, apply: func(c *config, val string, _ bool) error {
		if val != "any" {
			if _, err := userauth.ParseAuthenticationMethods(val); err != nil {
				return err
			}
		}
		c.AuthenticationMethods = val
		return nil
	}, print: func(c *config, p func(any)) { p(orAny(c.AuthenticationMethods)) }},
	flagKW("usepam", false, func(c *config) *bool { return &c.UsePAM }),
	{name: "permitrootlogin", match: true, def: func(c *config) { c.PermitRootLogin = "prohibit-password" },
		apply: func(c *config, val string, _ bool) error {
			switch val {
			case "yes", "no", "prohibit-password", "forced-commands-only":
			case "without-password":
				val = "prohibit-password"
			default:
				return fmt.Errorf("bad value %q", val)
			}
			c.PermitRootLogin = val
			return nil
		}, print: func(c *config, p func(any)) {
			// sshd -T prints prohibit-password under its old name.
			p(strings.Replace(c.PermitRootLogin, "prohibit-password", "without-password", 1))
		}},
	inMatch(usersKW("allowusers", func(c *config) *[]string { return &c.AllowUsers })),
	inMatch(usersKW("denyusers", func(c *config) *[]string { return &c.DenyUsers })),
	// keywords3.go.
	{name: "allowgroups", match: true, multi: true, args: applyAllowGroups, print: func(c *config, p func(any)) { printEach(c.more3.AllowGroups, p) }},
	{name: "denygroups", match: true, multi: true, args: applyDenyGroups, print: func(c *config, p func(any)) { printEach(c.more3.DenyGroups, p) }},
	{name: "hostcertificate", multi: true, apply: applyHostCertificate, print: func(c *config, p func(any)) { printEach(c.more3.HostCertificates, p) }},
	{name: "channeltimeout", match: true, args: applyChannelTimeout, print: printChannelTimeout},
	algoKW("kexalgorithms", nil, func(c *config) *[]string { return &c.KexAlgorithms }, kex.DefaultMethods, kex.Methods),
	algoKW("ciphers", nil, func(c *config) *[]string { return &c.Ciphers }, cipher.DefaultCiphers, cipher.Ciphers),
	algoKW("macs", nil, func(c *config) *[]string { return &c.MACs }, cipher.DefaultMACs, cipher.MACs),
	algoKW("hostkeyalgorithms", nil, func(c *config) *[]string { return &c.HostKeyAlgorithms }, hostkey.DefaultAlgorithms),
	inMatch(algoKW("pubkeyacceptedalgorithms", []string{"pubkeyacceptedkeytypes"},
		func(c *config) *[]string { return &c.PubkeyAcceptedAlgorithms }, hostkey.DefaultAlgorithms)),
	inMatch(flagKW("gssapiauthentication", false, func(c *config) *bool { return &c.GSSAPIAuthentication })),
	flagKW("gssapikeyexchange", false, func(c *config) *bool { return &c.GSSAPIKeyExchange }),
	flagKW("gssapistrictacceptorcheck", true, func(c *config) *bool { return &c.GSSAPIStrictAcceptor }),
	flagKW("gssapicleanupcredentials", true, func(c *config) *bool { return &c.GSSAPICleanupCreds }),
	{name: "gssapistorecredentialsonrekey", apply: func(c *config, val string, _ bool) error {
		v, err := yesNo(val)
		if err != nil || !v {
			return err
		}
		return fmt.Errorf("yes: %w", errUnsupported)
	}, print: func(c *config, p func(any)) { p("no") }},
	{name: "gssapikexalgorithms", apply: func(c *config, val string, _ bool) error {
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
		return nil
	}, print: func(c *config, p func(any)) {
		p(strings.Join(orList(c.GSSAPIKexAlgorithms, defaultGSSKexAlgorithms()), ","))
	}},
	forwardingKW("allowtcpforwarding", func(c *config) *string { return &c.AllowTCPForwarding }),
	forwardingKW("allowstreamlocalforwarding", func(c *config) *string { return &c.AllowStreamLocal }),
	inMatch(flagKW("allowagentforwarding", true, func(c *config) *bool { return &c.AllowAgentForwarding })),
	{name: "compression", def: func(c *config) { c.Compression = true },
		apply: func(c *config, val string, _ bool) error {
			// sshd accepts "delayed" as a synonym of yes
			// (zlib@openssh.com only, after authentication).
			switch val {
			case "yes", "delayed":
				c.Compression = true
			case "no":
				c.Compression = false
			default:
				return fmt.Errorf("bad value %q", val)
			}
			return nil
		}, print: func(c *config, p func(any)) { p(yesNoString(c.Compression)) }},
	inMatch(flagKW("x11forwarding", false, func(c *config) *bool { return &c.X11Forwarding })),
	{name: "x11displayoffset", match: true, def: func(c *config) { c.X11DisplayOffset = x11.DefaultDisplayOffset },
		apply: func(c *config, val string, _ bool) error {
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n >= x11.MaxDisplays {
				return fmt.Errorf("bad value %q", val)
			}
			c.X11DisplayOffset = n
			return nil
		}, print: func(c *config, p func(any)) { p(c.X11DisplayOffset) }},
	inMatch(flagKW("x11uselocalhost", true, func(c *config) *bool { return &c.X11UseLocalhost })),
	stringKW("xauthlocation", "/usr/bin/xauth", func(c *config) *string { return &c.XAuthLocation }),
	inMatch(flagKW("permituserrc", true, func(c *config) *bool { return &c.PermitUserRC })),
	{name: "permituserenvironment", def: func(c *config) { c.PermitUserEnvironment = "no" },
		apply: func(c *config, val string, _ bool) error {
			if v, err := yesNo(val); err == nil {
				val = yesNoString(v)
			}
			c.PermitUserEnvironment = val
			return nil
		}, print: func(c *config, p func(any)) { p(c.PermitUserEnvironment) }},
	{name: "permitopen", match: true, args: func(c *config, args []string, _ bool) error {
		c.PermitOpen = args
		return nil
	}, print: func(c *config, p func(any)) { p(strings.Join(orList(c.PermitOpen, []string{"any"}), " ")) }},
	{name: "permitlisten", match: true, args: func(c *config, args []string, _ bool) error {
		c.PermitListen = slices.Clone(args)
		for k, e := range c.PermitListen {
			if e != "any" && e != "none" && !strings.Contains(e, ":") {
				c.PermitListen[k] = "*:" + e // a bare port: any listen host, as sshd stores it
			}
		}
		return nil
	}, print: func(c *config, p func(any)) { p(strings.Join(orList(c.PermitListen, []string{"any"}), " ")) }},
	inMatch(oneOfKW("gatewayports", func(c *config) *string { return &c.GatewayPorts }, "no", "yes", "clientspecified")),
	{name: "subsystem", multi: true, args: func(c *config, f []string, _ bool) error {
		if len(f) < 2 {
			return errors.New("missing command")
		}
		// As sshd: the command and its arguments joined by one space,
		// each argument as written (blanks inside quotes kept).
		name, cmd := f[0], strings.Join(f[1:], " ")
		if _, dup := c.Subsystems[name]; !dup {
			c.Subsystems[name] = cmd
			c.SubsystemOrder = append(c.SubsystemOrder, name)
		}
		return nil
	}, print: func(c *config, p func(any)) {
		for _, n := range c.SubsystemOrder {
			p(n + " " + c.Subsystems[n])
		}
	}},
	{name: "forcecommand", match: true, apply: func(c *config, val string, _ bool) error {
		c.ForceCommand = val
		return nil
	}, print: func(c *config, p func(any)) { p(orNone(c.ForceCommand)) }},
	inMatch(noneKW("banner", func(c *config) *string { return &c.Banner })),
	{name: "tracedir", apply: func(c *config, val string, _ bool) error { // gosshd's own; sshd has none
		if val != "none" {
			c.TraceDir = val
		}
		return nil
	}, print: func(c *config, p func(any)) {
		if c.TraceDir != "" {
			p(c.TraceDir)
		}
	}},
	durationKW("logingracetime", server.DefaultLoginGraceTime, func(c *config) *time.Duration { return &c.LoginGraceTime }),
	inMatch(intKW("maxauthtries", userauth.DefaultMaxAuthTries, func(c *config) *int { return &c.MaxAuthTries })),
	inMatch(intKW("maxsessions", 10, func(c *config) *int { return &c.MaxSessions })),
	{name: "maxstartups", def: func(c *config) { c.MaxStartups = server.DefaultStartups }, apply: applyMaxStartups,
		print: func(c *config, p func(any)) {
			p(fmt.Sprintf("%d:%d:%d", c.MaxStartups.Start, c.MaxStartups.Rate, c.MaxStartups.Full))
		}},
	{name: "persourcemaxstartups", def: func(c *config) { c.PerSourceMaxStartups = server.DefaultPerSourceMaxStartups },
		apply: func(c *config, val string, _ bool) error {
			if val == "none" {
				c.PerSourceMaxStartups = -1
				return nil
			}
			n, err := strconv.Atoi(val)
			c.PerSourceMaxStartups = n
			return err
		}, print: func(c *config, p func(any)) {
			if c.PerSourceMaxStartups < 0 {
				p("none")
			} else {
				p(c.PerSourceMaxStartups)
			}
		}},
	{name: "persourcepenalties", def: func(c *config) { c.PerSourcePenalties = defaultPenalties() },
		apply: func(c *config, val string, _ bool) error { return c.PerSourcePenalties.parse(val) },
		print: func(c *config, p func(any)) { p(c.PerSourcePenalties.String()) }},
	{name: "persourcepenaltyexemptlist", apply: func(c *config, val string, _ bool) error {
		if strings.EqualFold(val, "none") {
			val = ""
		} else if addrMatchList("", val) != 0 {
			return errors.New("invalid address argument") // as sshd: host bits set, bad mask, empty entry
		}
		c.PerSourcePenaltyExemptList = val
		return nil
	}, print: func(c *config, p func(any)) { p(orNone(c.PerSourcePenaltyExemptList)) }},
	{name: "persourcenetblocksize", def: func(c *config) { c.PerSourceNetBlockSize = server.NetBlockSize{IPv4: 32, IPv6: 128} },
		apply: func(c *config, val string, _ bool) error {
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
			return nil
		}, print: func(c *config, p func(any)) {
			p(fmt.Sprintf("%d:%d", c.PerSourceNetBlockSize.IPv4, c.PerSourceNetBlockSize.IPv6))
		}},
	inMatch(durationKW("clientaliveinterval", 0, func(c *config) *time.Duration { return &c.ClientAliveInterval })),
	inMatch(intKW("clientalivecountmax", 3, func(c *config) *int { return &c.ClientAliveCountMax })),
	{name: "rekeylimit", match: true, args: func(c *config, args []string, _ bool) (err error) {
		c.RekeyBytes, c.RekeyInterval, err = sshconfig.ParseRekeyLimit(args)
		return err
	}, print: func(c *config, p func(any)) { p(fmt.Sprintf("%d %d", c.RekeyBytes, int(c.RekeyInterval/time.Second))) }},
	// As sshd: the first SetEnv line gives the list (a later one, or
	// one in Match, replaces nothing), a repeated name keeps its first
	// value, and every entry needs '='. The first-wins rule applies, so
	// SetEnv is not multi; forConnErr starts a Match's list afresh.
	{name: "setenv", match: true, args: func(c *config, args []string, _ bool) error {
		for _, e := range args {
			name, _, ok := strings.Cut(e, "=")
			if !ok || e == "" {
				return errors.New("Invalid environment")
			}
			if !slices.ContainsFunc(c.SetEnv, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
				c.SetEnv = append(c.SetEnv, e)
			}
		}
		return nil
	}, print: func(c *config, p func(any)) {
		for _, e := range c.SetEnv {
			p(e)
		}
	}},
	{name: "acceptenv", match: true, multi: true, args: func(c *config, args []string, _ bool) error {
		c.AcceptEnv = append(c.AcceptEnv, args...)
		return nil
	}, print: func(c *config, p func(any)) {
		for _, e := range c.AcceptEnv {
			p(e)
		}
	}},
	{name: "loglevel", match: true, def: func(c *config) { c.LogLevel = "INFO" }, apply: func(c *config, val string, _ bool) error {
		switch strings.ToUpper(val) {
		case "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3":
			c.LogLevel = strings.ToUpper(val)
			return nil
		}
		return fmt.Errorf("bad value %q", val)
	}, print: func(c *config, p func(any)) {
		switch name := c.LogLevel; name { // sshd -T's names of DEBUG1 and QUIET
		case "DEBUG1":
			p("DEBUG")
		case "QUIET":
			p("SILENT")
		default:
			p(name)
		}
	}},
	stringKW("pidfile", "/run/gosshd.pid", func(c *config) *string { return &c.PidFile }),
	// Not printed by sshd -T (it has no such line either); kept last.
	stringKW("pamservicename", "sshd", func(c *config) *string { return &c.PamServiceName }),
}

// keywordIndex maps every spelling in keywords to its entry.
var keywordIndex = func() map[string]*keyword {
	m := map[string]*keyword{}
	for i := range keywords {
		k := &keywords[i]
		for _, n := range append([]string{k.name}, k.aliases...) {
			if m[n] != nil {
				panic("gosshd: keyword " + n + " twice in the table")
			}
			m[n] = k
		}
	}
	return m
}()

// lookupKeyword returns the table entry for a keyword in any case or
// spelling, or nil.
func lookupKeyword(kw string) *keyword { return keywordIndex[strings.ToLower(kw)] }

func yesNoString(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// flagKW is a yes/no keyword.
func flagKW(name string, def bool, f func(*config) *bool) keyword {
	k := keyword{name: name, apply: func(c *config, val string, _ bool) error {
		v, err := yesNo(val)
		*f(c) = v
		return err
	}, print: func(c *config, p func(any)) { p(yesNoString(*f(c))) }}
	if def {
		k.def = func(c *config) { *f(c) = true }
	}
	return k
}

// stringKW is a keyword taken and printed as written.
func stringKW(name, def string, f func(*config) *string) keyword {
	return keyword{name: name, def: func(c *config) { *f(c) = def },
		apply: func(c *config, val string, _ bool) error { *f(c) = val; return nil },
		print: func(c *config, p func(any)) { p(*f(c)) }}
}

// noneKW is a path or string whose default, and whose value "none", is
// the empty string, printed as none.
func noneKW(name string, f func(*config) *string) keyword {
	return keyword{name: name, apply: func(c *config, val string, _ bool) error {
		if strings.EqualFold(val, "none") {
			val = ""
		}
		*f(c) = val
		return nil
	}, print: func(c *config, p func(any)) { p(orNone(*f(c))) }}
}

// oneOfKW takes one of vals in any case and stores it in lower case;
// the first of vals is the default.
func oneOfKW(name string, f func(*config) *string, vals ...string) keyword {
	return keyword{name: name, def: func(c *config) { *f(c) = vals[0] },
		apply: func(c *config, val string, _ bool) error { return oneOf(f(c), val, vals...) },
		print: func(c *config, p func(any)) { p(*f(c)) }}
}

func oneOf(dst *string, val string, vals ...string) error {
	if !slices.Contains(vals, strings.ToLower(val)) {
		return fmt.Errorf("bad value %q", val)
	}
	*dst = strings.ToLower(val)
	return nil
}

// yesNoOr takes yes/no (and true/false) or one of more.
func yesNoOr(f func(*config) *string, more ...string) func(*config, string, bool) error {
	return func(c *config, val string, _ bool) error {
		if v, err := yesNo(val); err == nil {
			*f(c) = yesNoString(v)
			return nil
		}
		return oneOf(f(c), val, more...)
	}
}

// intKW is a decimal integer.
func intKW(name string, def int, f func(*config) *int) keyword {
	return keyword{name: name, def: func(c *config) { *f(c) = def },
		apply: func(c *config, val string, _ bool) error { v, err := strconv.Atoi(val); *f(c) = v; return err },
		print: func(c *config, p func(any)) { p(*f(c)) }}
}

// durationKW is a TIME FORMAT value (sshd_config(5)), printed in
// seconds.
func durationKW(name string, def time.Duration, f func(*config) *time.Duration) keyword {
	return keyword{name: name, def: func(c *config) { *f(c) = def },
		apply: func(c *config, val string, _ bool) error { v, err := sshconfig.ParseTime(val); *f(c) = v; return err },
		print: func(c *config, p func(any)) { p(int(*f(c) / time.Second)) }}
}

// algoKW is an algorithm list with OpenSSH's +, - and ^ modifiers over
// defaults(); names come from defaults, more and, when more is empty,
// every key algorithm. A nil list prints as the defaults.
func algoKW(name string, aliases []string, f func(*config) *[]string, defaults func() []string, more ...func() []string) keyword {
	all := allKeyAlgorithms
	if len(more) > 0 {
		all = more[0]
	}
	return keyword{name: name, aliases: aliases,
		apply: func(c *config, val string, _ bool) (err error) {
			*f(c), err = algorithmList(defaults(), all(), val)
			return err
		}, print: func(c *config, p func(any)) { p(strings.Join(orList(*f(c), defaults()), ",")) }}
}

// usersKW is AllowUsers or DenyUsers: every line adds patterns; none
// prints nothing, as in sshd -T.
func usersKW(name string, f func(*config) *[]string) keyword {
	return keyword{name: name, multi: true, args: func(c *config, args []string, _ bool) error {
		*f(c) = append(*f(c), args...)
		return nil
	}, print: func(c *config, p func(any)) { printEach(*f(c), p) }} // one line per pattern, as sshd -T
}

// forwardingKW is AllowTcpForwarding or AllowStreamLocalForwarding.
func forwardingKW(name string, f func(*config) *string) keyword {
	return keyword{name: name, match: true, def: func(c *config) { *f(c) = "yes" },
		apply: func(c *config, val string, _ bool) error {
			switch val {
			case "yes", "no", "local", "remote":
			case "all":
				val = "yes"
			default:
				return fmt.Errorf("bad value %q", val)
			}
			*f(c) = val
			return nil
		}, print: func(c *config, p func(any)) { p(*f(c)) }}
}

func inMatch(k keyword) keyword { k.match = true; return k }

func withAliases(k keyword, aliases ...string) keyword { k.aliases = aliases; return k }

func applyPort(c *config, val string, cmdline bool) error {
	if c.cmdlinePort && !cmdline {
		return nil // -p replaces the file's Port lines, as in sshd
	}
	if cmdline {
		c.cmdlinePort = true
	}
	p, err := strconv.Atoi(val)
	if err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("bad port %q", val)
	}
	c.Ports = append(c.Ports, p)
	return nil
}

func applyIPQoS(c *config, f []string, _ bool) error {
	if len(f) > 2 {
		return fmt.Errorf("bad value %q", strings.Join(f, " "))
	}
	for i := range 2 {
		v, err := parseIPQoS(f[min(i, len(f)-1)])
		if err != nil {
			return err
		}
		c.more.IPQoS[i] = v
	}
	return nil
}

func applyMaxStartups(c *config, val string, _ bool) error {
	parts := strings.Split(val, ":")
	nums := make([]int, len(parts))
	for k, p := range parts {
		var err error
		if nums[k], err = strconv.Atoi(p); err != nil {
			return fmt.Errorf("bad value %q", val)
		}
	}
	switch len(nums) {
	case 1:
		c.MaxStartups = server.Startups{Start: nums[0], Rate: 100, Full: nums[0]}
	case 3:
		c.MaxStartups = server.Startups{Start: nums[0], Rate: nums[1], Full: nums[2]}
	default:
		return fmt.Errorf("bad value %q", val)
	}
	return nil
}
