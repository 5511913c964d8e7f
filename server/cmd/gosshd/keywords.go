package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// moreConfig is the part of config for the keywords sshd -T prints that
// gosshd took later than the rest; like every keyword they are parsed,
// defaulted and printed through the table in table.go (docs/gosshd.md
// says which are applied and how).
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

// errRevoked means a key, or the CA of a certificate, is in RevokedKeys.
var errRevoked = errors.New("key is revoked (RevokedKeys)")
