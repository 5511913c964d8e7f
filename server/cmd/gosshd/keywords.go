package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/wire"
)

// The keywords of this file are those sshd -T prints that gosshd took
// later than the rest: they are parsed by applyMore and printed by
// dumpMore with sshd's defaults and spelling (docs/gosshd.md says which
// are applied and how).

// moreConfig is the part of config for these keywords.
type moreConfig struct {
	AddressFamily                   string // any, inet, inet6
	CASignatureAlgorithms           []string
	ChrootDirectory                 string // "" for none
	DisableForwarding               bool
	ExposeAuthInfo                  bool
	FingerprintHash                 string // SHA256 or MD5
	HostbasedAcceptedAlgorithms     []string
	HostbasedAuthentication         bool
	HostbasedUsesNameFromPacketOnly bool
	HostKeyAgent                    string
	IgnoreRhosts                    string // yes, no, shosts-only
	IgnoreUserKnownHosts            bool
	IPQoS                           [2]int // interactive, bulk; ipqosNone for none
	KerberosAuthentication          bool
	KerberosOrLocalPasswd           bool
	KerberosTicketCleanup           bool
	ModuliFile                      string
	PermitTTY                       bool
	PermitTunnel                    string // no, yes, point-to-point, ethernet
	PrintLastLog                    bool
	PrintMotd                       bool
	PubkeyAuthOptions               []string // touch-required, verify-required
	RequiredRSASize                 int
	RevokedKeys                     string
	SecurityKeyProvider             string
	StreamLocalBindMask             uint32
	StreamLocalBindUnlink           bool
	StrictModes                     bool
	SyslogFacility                  string
	TCPKeepAlive                    bool
	UnusedConnectionTimeout         time.Duration // 0 for none
	UseDNS                          bool
	VersionAddendum                 string
}

// ipqosNone is IPQoS none: the ToS byte is left alone.
const ipqosNone = math.MaxInt32

func defaultMore() moreConfig {
	return moreConfig{
		AddressFamily:         "any",
		FingerprintHash:       "SHA256",
		IgnoreRhosts:          "yes",
		IPQoS:                 [2]int{0x10, 0x08}, // lowdelay throughput, Debian's 9.2
		KerberosOrLocalPasswd: true,
		KerberosTicketCleanup: true,
		ModuliFile:            kex.DefaultModuliFile,
		PermitTTY:             true,
		PermitTunnel:          "no",
		PrintLastLog:          true,
		PrintMotd:             true,
		RequiredRSASize:       1024,
		SecurityKeyProvider:   "internal",
		StreamLocalBindMask:   0o177,
		StrictModes:           true,
		SyslogFacility:        "AUTH",
		TCPKeepAlive:          true,
	}
}

// ipqosNames is OpenSSH's table of IPQoS names (misc.c ipqos), in its
// order: iptos2str prints the first name of a value.
var ipqosNames = []struct {
	name string
	v    int
}{
	{"none", ipqosNone},
	{"af11", 0x28}, {"af12", 0x30}, {"af13", 0x38}, {"af21", 0x48}, {"af22", 0x50}, {"af23", 0x58},
	{"af31", 0x68}, {"af32", 0x70}, {"af33", 0x78}, {"af41", 0x88}, {"af42", 0x90}, {"af43", 0x98},
	{"cs0", 0x00}, {"cs1", 0x20}, {"cs2", 0x40}, {"cs3", 0x60}, {"cs4", 0x80}, {"cs5", 0xa0}, {"cs6", 0xc0}, {"cs7", 0xe0},
	{"ef", 0xb8}, {"le", 0x04}, {"lowdelay", 0x10}, {"throughput", 0x08}, {"reliability", 0x04},
}

func parseIPQoS(s string) (int, error) {
	for _, n := range ipqosNames {
		if strings.EqualFold(n.name, s) {
			return n.v, nil
		}
	}
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil || v < 0 || v > 255 {
		return 0, fmt.Errorf("bad IPQoS value %q", s)
	}
	return int(v), nil
}

func ipqosString(v int) string {
	for _, n := range ipqosNames {
		if n.v == v {
			return n.name
		}
	}
	return fmt.Sprintf("0x%02x", v)
}

// tunnelModes are the tun@openssh.com modes a PermitTunnel value allows.
func tunnelModes(v string) []uint32 {
	switch v {
	case "yes":
		return []uint32{wire.TunModePointToPoint, wire.TunModeEthernet}
	case "point-to-point":
		return []uint32{wire.TunModePointToPoint}
	case "ethernet":
		return []uint32{wire.TunModeEthernet}
	}
	return nil
}

// syslogFacilities are the SyslogFacility values sshd takes.
var syslogFacilities = []string{"DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3",
	"LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"}

// applyMore sets one keyword of this file; ok is false for others.
func (c *config) applyMore(lk, val string) (ok bool, err error) {
	m := &c.more
	b := func(dst *bool) error { v, err := yesNo(val); *dst = v; return err }
	oneOf := func(dst *string, vals ...string) error {
		if !slices.Contains(vals, strings.ToLower(val)) {
			return fmt.Errorf("bad value %q", val)
		}
		*dst = strings.ToLower(val)
		return nil
	}
	switch lk {
	case "addressfamily":
		return true, oneOf(&m.AddressFamily, "any", "inet", "inet6")
	case "casignaturealgorithms":
		m.CASignatureAlgorithms, err = algorithmList(caSignatureDefaults(), allKeyAlgorithms(), val)
	case "chrootdirectory":
		if strings.EqualFold(val, "none") {
			val = ""
		}
		m.ChrootDirectory = val
	case "disableforwarding":
		return true, b(&m.DisableForwarding)
	case "exposeauthinfo":
		return true, b(&m.ExposeAuthInfo)
	case "fingerprinthash":
		switch strings.ToLower(val) {
		case "sha256":
			m.FingerprintHash = "SHA256"
		case "md5":
			m.FingerprintHash = "MD5"
		default:
			return true, fmt.Errorf("bad value %q", val)
		}
	case "hostbasedacceptedalgorithms", "hostbasedacceptedkeytypes":
		m.HostbasedAcceptedAlgorithms, err = algorithmList(hostkey.DefaultAlgorithms(), allKeyAlgorithms(), val)
	case "hostbasedauthentication":
		return true, b(&m.HostbasedAuthentication)
	case "hostbasedusesnamefrompacketonly":
		return true, b(&m.HostbasedUsesNameFromPacketOnly)
	case "hostkeyagent":
		if strings.EqualFold(val, "none") {
			val = ""
		}
		m.HostKeyAgent = val // applied by loadHostKeys
	case "ignorerhosts":
		if v, err := yesNo(val); err == nil {
			m.IgnoreRhosts = map[bool]string{true: "yes", false: "no"}[v]
			return true, nil
		}
		return true, oneOf(&m.IgnoreRhosts, "shosts-only")
	case "ignoreuserknownhosts":
		return true, b(&m.IgnoreUserKnownHosts)
	case "ipqos":
		f := strings.Fields(val)
		if len(f) > 2 {
			return true, fmt.Errorf("bad value %q", val)
		}
		for i := range 2 {
			v, err := parseIPQoS(f[min(i, len(f)-1)])
			if err != nil {
				return true, err
			}
			m.IPQoS[i] = v
		}
	case "kerberosauthentication":
		return true, b(&m.KerberosAuthentication) // krb5pass.go
	case "kerberosorlocalpasswd":
		return true, b(&m.KerberosOrLocalPasswd)
	case "kerberosticketcleanup":
		return true, b(&m.KerberosTicketCleanup)
	case "modulifile":
		m.ModuliFile = val
	case "permittty":
		return true, b(&m.PermitTTY)
	case "permittunnel":
		if v, err := yesNo(val); err == nil {
			m.PermitTunnel = map[bool]string{true: "yes", false: "no"}[v]
		} else if err := oneOf(&m.PermitTunnel, "point-to-point", "ethernet"); err != nil {
			return true, err
		}
	case "printlastlog":
		return true, b(&m.PrintLastLog)
	case "printmotd":
		return true, b(&m.PrintMotd)
	case "pubkeyauthoptions":
		var opts []string
		for _, o := range strings.Fields(val) {
			switch o {
			case "none":
			case "touch-required", "verify-required":
				opts = append(opts, o)
			default:
				return true, fmt.Errorf("unsupported PubkeyAuthOptions option %s", o)
			}
		}
		m.PubkeyAuthOptions = opts
	case "requiredrsasize", "rsaminsize":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return true, fmt.Errorf("bad value %q", val)
		}
		m.RequiredRSASize = n
	case "revokedkeys":
		if strings.EqualFold(val, "none") {
			val = ""
		}
		m.RevokedKeys = val
	case "securitykeyprovider":
		m.SecurityKeyProvider = val
	case "streamlocalbindmask":
		n, err := strconv.ParseUint(val, 8, 32)
		if err != nil || n > 0o777 {
			return true, fmt.Errorf("bad mask %q", val)
		}
		m.StreamLocalBindMask = uint32(n)
	case "streamlocalbindunlink":
		return true, b(&m.StreamLocalBindUnlink)
	case "strictmodes":
		return true, b(&m.StrictModes)
	case "syslogfacility":
		if !slices.Contains(syslogFacilities, strings.ToUpper(val)) {
			return true, fmt.Errorf("unsupported log facility %q", val)
		}
		m.SyslogFacility = strings.ToUpper(val)
	case "tcpkeepalive":
		return true, b(&m.TCPKeepAlive)
	case "unusedconnectiontimeout":
		if strings.EqualFold(val, "none") {
			m.UnusedConnectionTimeout = 0
			return true, nil
		}
		d, err := kex.ParseTime(val)
		if err != nil {
			return true, err
		}
		m.UnusedConnectionTimeout = d // server.Server.UnusedConnectionTimeout
	case "usedns":
		return true, b(&m.UseDNS)
	case "versionaddendum":
		if strings.EqualFold(val, "none") {
			val = ""
		}
		m.VersionAddendum = val
	default:
		return false, nil
	}
	return true, err
}

// caSignatureDefaults is sshd's default CASignatureAlgorithms less the
// algorithms hostkey does not know.
func caSignatureDefaults() []string {
	var out []string
	for _, a := range []string{hostkey.ED25519, hostkey.ECDSAP256, hostkey.ECDSAP384, hostkey.ECDSAP521,
		hostkey.SKED25519, hostkey.SKECDSAP256, hostkey.RSASHA512, hostkey.RSASHA256} {
		if slices.Contains(allKeyAlgorithms(), a) {
			out = append(out, a)
		}
	}
	return out
}

// listenAddrs is the addresses gosshd binds, as sshd -T prints them:
// each ListenAddress with each Port (or with its own port), or, with
// none, the wildcard address of each family AddressFamily allows.
func (c *config) listenAddrs() []string {
	var out []string
	if len(c.ListenAddresses) == 0 {
		for _, p := range c.Ports {
			ps := strconv.Itoa(p)
			if c.more.AddressFamily != "inet" {
				out = append(out, net.JoinHostPort("::", ps))
			}
			if c.more.AddressFamily != "inet6" {
				out = append(out, net.JoinHostPort("0.0.0.0", ps))
			}
		}
		return out
	}
	for _, a := range c.ListenAddresses {
		if h, p, err := net.SplitHostPort(a); err == nil {
			out = append(out, net.JoinHostPort(h, p))
			continue
		}
		for _, p := range c.Ports {
			out = append(out, net.JoinHostPort(strings.Trim(a, "[]"), strconv.Itoa(p)))
		}
	}
	return out
}

// network is the net.Listen network for AddressFamily.
func (c *config) network() string {
	switch c.more.AddressFamily {
	case "inet":
		return "tcp4"
	case "inet6":
		return "tcp6"
	}
	return "tcp"
}

// dumpMore prints the keywords of this file as sshd -T does.
func (c *config) dumpMore(w io.Writer) {
	m := &c.more
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	p := func(k string, v any) { fmt.Fprintf(w, "%s %v\n", k, v) }
	p("addressfamily", m.AddressFamily)
	for _, a := range c.listenAddrs() {
		p("listenaddress", a)
	}
	p("requiredrsasize", m.RequiredRSASize)
	p("streamlocalbindmask", fmt.Sprintf("0%o", m.StreamLocalBindMask)) // sshd's "0%o": 0 is "00"
	if m.UnusedConnectionTimeout == 0 {
		p("unusedconnectiontimeout", "none")
	} else {
		p("unusedconnectiontimeout", int(m.UnusedConnectionTimeout/time.Second))
	}
	p("ignorerhosts", m.IgnoreRhosts)
	p("ignoreuserknownhosts", yn(m.IgnoreUserKnownHosts))
	p("hostbasedauthentication", yn(m.HostbasedAuthentication))
	p("hostbasedusesnamefrompacketonly", yn(m.HostbasedUsesNameFromPacketOnly))
	p("kerberosauthentication", yn(m.KerberosAuthentication))
	p("kerberosorlocalpasswd", yn(m.KerberosOrLocalPasswd))
	p("kerberosticketcleanup", yn(m.KerberosTicketCleanup))
	p("printmotd", yn(m.PrintMotd))
	p("printlastlog", yn(m.PrintLastLog))
	p("permittty", yn(m.PermitTTY))
	p("strictmodes", yn(m.StrictModes))
	p("tcpkeepalive", yn(m.TCPKeepAlive))
	p("usedns", yn(m.UseDNS))
	p("disableforwarding", yn(m.DisableForwarding))
	p("streamlocalbindunlink", yn(m.StreamLocalBindUnlink))
	p("fingerprinthash", m.FingerprintHash)
	p("exposeauthinfo", yn(m.ExposeAuthInfo))
	p("modulifile", m.ModuliFile)
	p("chrootdirectory", orNone(m.ChrootDirectory))
	p("revokedkeys", orNone(m.RevokedKeys))
	p("securitykeyprovider", m.SecurityKeyProvider)
	p("versionaddendum", orNone(m.VersionAddendum))
	p("hostkeyagent", orNone(m.HostKeyAgent))
	p("casignaturealgorithms", strings.Join(orList(m.CASignatureAlgorithms, caSignatureDefaults()), ","))
	p("hostbasedacceptedalgorithms", strings.Join(orList(m.HostbasedAcceptedAlgorithms, hostkey.DefaultAlgorithms()), ","))
	p("syslogfacility", m.SyslogFacility)
	p("permittunnel", m.PermitTunnel)
	p("ipqos", ipqosString(m.IPQoS[0])+" "+ipqosString(m.IPQoS[1]))
	p("pubkeyauthoptions", strings.Join(orList(m.PubkeyAuthOptions, []string{"none"}), " "))
}

// errRevoked means a key, or the CA of a certificate, is in RevokedKeys.
var errRevoked = errors.New("key is revoked (RevokedKeys)")
