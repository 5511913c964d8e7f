package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// certOptions is what -O and -h make of a certificate's options.
type certOptions struct {
	flags    map[string]bool // permit-* extensions, no-touch-required
	command  string
	srcAddr  string
	verify   bool
	critical map[string]string
	ext      map[string]string
}

var userPermits = []string{"permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc"}

// parseCertOptions applies -O in order, as ssh-keygen's
// add_cert_option, after -h has cleared the default permissions.
func parseCertOptions(opts []string, host bool) (*certOptions, error) {
	c := &certOptions{flags: map[string]bool{}, critical: map[string]string{}, ext: map[string]string{}}
	if !host {
		for _, p := range userPermits {
			c.flags[p] = true
		}
	}
	perm := map[string]string{"x11-forwarding": "permit-X11-forwarding", "agent-forwarding": "permit-agent-forwarding",
		"port-forwarding": "permit-port-forwarding", "pty": "permit-pty", "user-rc": "permit-user-rc"}
	for _, o := range opts {
		lo := strings.ToLower(o)
		switch {
		case lo == "clear":
			c.flags = map[string]bool{}
		case strings.HasPrefix(lo, "no-") && perm[lo[3:]] != "":
			delete(c.flags, perm[lo[3:]])
		case strings.HasPrefix(lo, "permit-") && perm[lo[7:]] != "":
			c.flags[perm[lo[7:]]] = true
		case lo == "no-touch-required":
			c.flags[hostkey.ExtNoTouchRequired] = true
		case lo == "touch-required":
			delete(c.flags, hostkey.ExtNoTouchRequired)
		case lo == "verify-required":
			c.verify = true
		case lo == "no-verify-required":
			c.verify = false
		case strings.HasPrefix(lo, "force-command="):
			if c.command != "" {
				return nil, fatalf("force-command already specified")
			}
			c.command = o[len("force-command="):]
		case strings.HasPrefix(lo, "source-address="):
			if c.srcAddr != "" {
				return nil, fatalf("source-address already specified")
			}
			c.srcAddr = o[len("source-address="):]
			for _, a := range strings.Split(c.srcAddr, ",") {
				if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
					return nil, fatalf("Invalid source-address list")
				}
			}
		case strings.HasPrefix(lo, "extension:"), strings.HasPrefix(lo, "critical:"):
			crit := strings.HasPrefix(lo, "critical:")
			_, spec, _ := strings.Cut(o, ":")
			name, val, _ := strings.Cut(spec, "=")
			if name == "" {
				return nil, fatalf("Invalid certificate option \"%s\"", o)
			}
			if crit {
				c.critical[name] = val
			} else {
				c.ext[name] = val
			}
		default:
			return nil, fatalf("Unsupported certificate option \"%s\"", o)
		}
	}
	return c, nil
}

func (c *certOptions) apply(cert *hostkey.Certificate, host bool) {
	cert.CriticalOptions, cert.Extensions = map[string]string{}, map[string]string{}
	if !host {
		if c.command != "" {
			cert.CriticalOptions[hostkey.OptForceCommand] = c.command
		}
		if c.srcAddr != "" {
			cert.CriticalOptions[hostkey.OptSourceAddress] = c.srcAddr
		}
		if c.verify {
			cert.CriticalOptions[hostkey.OptVerifyRequired] = ""
		}
		for f := range c.flags {
			cert.Extensions[f] = ""
		}
	}
	for k, v := range c.critical {
		cert.CriticalOptions[k] = v
	}
	for k, v := range c.ext {
		cert.Extensions[k] = v
	}
}

// convtime parses ssh's time intervals: 90, 1h30m, 2w (s m h d w).
func convtime(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty interval")
	}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad interval")
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, err
		}
		s = s[i:]
		mul := int64(1)
		if s != "" {
			switch s[0] {
			case 's', 'S':
			case 'm', 'M':
				mul = 60
			case 'h', 'H':
				mul = 3600
			case 'd', 'D':
				mul = 86400
			case 'w', 'W':
				mul = 7 * 86400
			default:
				return 0, fmt.Errorf("bad unit")
			}
			s = s[1:]
		}
		total += n * mul
	}
	return total, nil
}

// parseAbsTime reads YYYYMMDD[HHMM[SS]] in local time, or UTC with a
// trailing Z.
func parseAbsTime(s string) (uint64, error) {
	loc := time.Local
	if t, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = t, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(s) == len(layout) {
			t, err := time.ParseInLocation(layout, s, loc)
			if err != nil || t.Unix() < 0 {
				return 0, fmt.Errorf("bad time")
			}
			return uint64(t.Unix()), nil
		}
	}
	return 0, fmt.Errorf("bad time")
}

// parseValidity is -V, as ssh-keygen's parse_cert_times.
func parseValidity(spec string, now time.Time) (from, to uint64, err error) {
	if spec == "" {
		return 0, hostkey.CertTimeInfinity, nil
	}
	n := now.Unix()
	if spec[0] == '+' && !strings.Contains(spec, ":") {
		secs, err := convtime(spec[1:])
		if err != nil {
			return 0, 0, fatalf("Invalid relative certificate life %s", spec)
		}
		// Backdated a minute, for hosts with poorly synchronised clocks.
		return uint64((n - 59) / 60 * 60), uint64(n + secs), nil
	}
	f, t, ok := strings.Cut(spec, ":")
	if !ok || f == "" || t == "" {
		return 0, 0, fatalf("Invalid certificate life specification %s", spec)
	}
	rel := func(s string) (uint64, error) {
		secs, err := convtime(s[1:])
		if err != nil {
			return 0, err
		}
		if s[0] == '-' {
			return uint64(n - secs), nil
		}
		return uint64(n + secs), nil
	}
	switch {
	case f[0] == '-' || f[0] == '+':
		from, err = rel(f)
	case f == "always":
		from = 0
	default:
		from, err = parseAbsTime(f)
	}
	if err != nil {
		return 0, 0, fatalf("Invalid from time \"%s\"", f)
	}
	switch {
	case t[0] == '-' || t[0] == '+':
		to, err = rel(t)
	case t == "forever":
		to = hostkey.CertTimeInfinity
	default:
		to, err = parseAbsTime(t)
	}
	if err != nil {
		return 0, 0, fatalf("Invalid to time \"%s\"", t)
	}
	if to <= from {
		return 0, 0, fatalf("Empty certificate validity interval")
	}
	return from, to, nil
}

func fmtTime(t uint64) string {
	if t > 1<<62 {
		return "infinity"
	}
	return time.Unix(int64(t), 0).Format("2006-01-02T15:04:05")
}

// validity is sshkey_format_cert_validity.
func validity(c *hostkey.Certificate) string {
	switch {
	case c.ValidAfter == 0 && c.ValidBefore == hostkey.CertTimeInfinity:
		return "forever"
	case c.ValidAfter == 0:
		return "before " + fmtTime(c.ValidBefore)
	case c.ValidBefore == hostkey.CertTimeInfinity:
		return "after " + fmtTime(c.ValidAfter)
	}
	return "from " + fmtTime(c.ValidAfter) + " to " + fmtTime(c.ValidBefore)
}

// algSigner signs with one algorithm (-t with -s: rsa-sha2-256 ...).
type algSigner struct {
	hostkey.AlgorithmSigner
	alg string
}

func (s algSigner) Sign(r io.Reader, data []byte) (*hostkey.Signature, error) {
	return s.SignWithAlgorithm(r, data, s.alg)
}

// signCerts is -s: certify each public key file as <name>-cert.pub.
func (f *flags) signCerts() error {
	if f.identity == "" {
		return fatalf("Must specify key id (-I) when certifying")
	}
	if len(f.args) == 0 {
		return errUsage
	}
	if f.set['U'] {
		return fatalf("gossh-keygen: -U (CA key in an agent) is not supported by gossh-keygen yet (docs/gossh-keygen.md)")
	}
	ca, _, err := f.loadPrivate(f.caKey, "Enter passphrase: ")
	if err != nil {
		return err
	}
	var authority hostkey.Signer = ca
	if f.keyType != "" {
		if !slices.Contains(hostkey.SignatureAlgorithms(ca.PublicKey()), f.keyType) {
			return fatalf("CA key type %s doesn't match specified %s", ca.PublicKey().Type(), f.keyType)
		}
		authority = algSigner{ca, f.keyType}
	}
	host := f.set['h']
	opts, err := parseCertOptions(f.options, host)
	if err != nil {
		return err
	}
	from, to, err := parseValidity(f.validity, f.now)
	if err != nil {
		return err
	}
	var serial uint64
	if f.serial != "" {
		if serial, err = strconv.ParseUint(f.serial, 10, 64); err != nil {
			return fatalf("Invalid serial number \"%s\"", f.serial)
		}
	}
	var principals []string
	if f.principals != "" {
		principals = strings.Split(f.principals, ",")
	}
	for _, file := range f.args {
		data, err := f.readFile(file)
		if err != nil {
			return fatalf("load pubkey \"%s\": %s", file, strerror(err))
		}
		pub, comment, err := hostkey.ParsePublicKeyFile(data)
		if err != nil {
			return fatalf("load pubkey \"%s\": invalid format", file)
		}
		if c, ok := pub.(*hostkey.Certificate); ok {
			pub = c.Key
		}
		cert := &hostkey.Certificate{Key: pub, Serial: serial, CertType: hostkey.UserCert, KeyID: f.identity,
			ValidPrincipals: principals, ValidAfter: from, ValidBefore: to}
		if host {
			cert.CertType = hostkey.HostCert
		}
		opts.apply(cert, host)
		if err := cert.SignCert(rand.Reader, authority); err != nil {
			return fatalf("Couldn't certify key %s: %v", file, err)
		}
		out := strings.TrimSuffix(file, ".pub") + "-cert.pub"
		if err := os.WriteFile(out, hostkey.MarshalAuthorizedKey(cert, comment), 0o644); err != nil {
			return fatalf("Could not open \"%s\" for writing: %v", out, err)
		}
		if !f.quiet {
			kind := "user"
			if host {
				kind = "host"
			}
			forp := ""
			if f.principals != "" {
				forp = " for " + f.principals
			}
			f.logit("Signed %s key %s: id \"%s\" serial %d%s valid %s", kind, out, cert.KeyID, cert.Serial, forp, validity(cert))
		}
	}
	return nil
}

// showCerts is -L: each certificate of the file as ssh-keygen prints it.
func (f *flags) showCerts() error {
	file, err := f.askFile("Enter file in which the key is", defaultKeyFile("rsa"))
	if err != nil {
		return err
	}
	if err := f.checkHash(); err != nil {
		return err
	}
	data, err := f.readFile(file)
	if err != nil {
		return fatalf("%s: %s", file, strerror(err))
	}
	n := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		pub, _, err := hostkey.ParsePublicKeyFile(line)
		if err != nil {
			return fatalf("%s:%d: invalid format", file, i+1)
		}
		cert, ok := pub.(*hostkey.Certificate)
		if !ok {
			return &exitError{code: 1, msg: fmt.Sprintf("%s:%d is not a certificate", file, i+1)}
		}
		if n == 0 {
			fmt.Fprintf(f.stdout, "%s:\n", file)
		} else {
			fmt.Fprintf(f.stdout, "%s:%d:\n", file, i+1)
		}
		n++
		if err := f.printCert(cert); err != nil {
			return err
		}
	}
	return nil
}

func (f *flags) printCert(c *hostkey.Certificate) error {
	keyFP, err := f.fingerprintOf(c.Key)
	if err != nil {
		return err
	}
	caFP, _ := f.fingerprintOf(c.SignatureKey)
	kind := "user"
	if c.CertType == hostkey.HostCert {
		kind = "host"
	}
	w := f.stdout
	fmt.Fprintf(w, "        Type: %s %s certificate\n", c.Type(), kind)
	fmt.Fprintf(w, "        Public key: %s %s\n", keyName(c), keyFP)
	fmt.Fprintf(w, "        Signing CA: %s %s (using %s)\n", keyName(c.SignatureKey), caFP, c.Signature.Format)
	fmt.Fprintf(w, "        Key ID: \"%s\"\n", c.KeyID)
	fmt.Fprintf(w, "        Serial: %d\n", c.Serial)
	fmt.Fprintf(w, "        Valid: %s\n", validity(c))
	fmt.Fprint(w, "        Principals: ")
	if len(c.ValidPrincipals) == 0 {
		fmt.Fprint(w, "(none)\n")
	} else {
		for _, p := range c.ValidPrincipals {
			fmt.Fprintf(w, "\n                %s", p)
		}
		fmt.Fprint(w, "\n")
	}
	showOptions(w, "Critical Options", c.CriticalOptions, true)
	showOptions(w, "Extensions", c.Extensions, false)
	return nil
}

// showOptions is ssh-keygen's show_options, names in wire (sorted) order.
func showOptions(w io.Writer, title string, opts map[string]string, critical bool) {
	fmt.Fprintf(w, "        %s: ", title)
	if len(opts) == 0 {
		fmt.Fprint(w, "(none)\n")
		return
	}
	fmt.Fprint(w, "\n")
	names := make([]string, 0, len(opts))
	for n := range opts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := opts[n]
		fmt.Fprintf(w, "                %s", n)
		switch {
		case !critical && (slices.Contains(userPermits, n) || n == hostkey.ExtNoTouchRequired):
			fmt.Fprint(w, "\n")
		case critical && (n == hostkey.OptForceCommand || n == hostkey.OptSourceAddress):
			fmt.Fprintf(w, " %s\n", v)
		case critical && n == hostkey.OptVerifyRequired:
			fmt.Fprint(w, "\n")
		case v != "":
			data := wire.AppendString(nil, v)
			fmt.Fprintf(w, " UNKNOWN OPTION: %s (len %d)\n", hex.EncodeToString(data), len(data))
		default:
			fmt.Fprint(w, " UNKNOWN FLAG OPTION\n")
		}
	}
}
