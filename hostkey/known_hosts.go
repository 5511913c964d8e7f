package hostkey

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/wire"
)

// known_hosts markers (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT).
const (
	MarkerCertAuthority = "@cert-authority"
	MarkerRevoked       = "@revoked"
)

// Sentinels that the known_hosts error types unwrap to.
var (
	ErrHostKeyUnknown = errors.New("hostkey: host key not known")
	ErrHostKeyChanged = errors.New("hostkey: host key changed")
	ErrHostKeyRevoked = errors.New("hostkey: host key revoked")
)

// A KnownHostsLine is one entry of a known_hosts file:
// [marker] hostpatterns keytype base64-key [comment].
type KnownHostsLine struct {
	File    string
	Line    int
	Marker  string   // "", MarkerCertAuthority or MarkerRevoked
	Hosts   []string // patterns (with *, ?, !) or one hashed "|1|salt|hash" entry
	Key     PublicKey
	Comment string

	salt, hash []byte // decoded hashed host, set by ParseKnownHostsLine
}

// Matches reports whether the line's host field matches a normalized
// host name (see Normalize): a hashed entry matches by HMAC-SHA1, a
// pattern list matches if a positive pattern matches and no negated one
// does. Matching ignores case.
func (l *KnownHostsLine) Matches(name string) bool {
	name = strings.ToLower(name)
	ok := false
	for _, p := range l.Hosts {
		if strings.HasPrefix(p, "|1|") {
			salt, hash := l.salt, l.hash
			if salt == nil {
				salt, hash, _ = decodeHashed(p)
			}
			if salt != nil && hashedMatch(salt, hash, name) {
				ok = true
			}
			continue
		}
		neg := strings.HasPrefix(p, "!")
		if sshconfig.Wildcard(strings.ToLower(strings.TrimPrefix(p, "!")), name) {
			if neg {
				return false
			}
			ok = true
		}
	}
	return ok
}

// decodeHashed splits "|1|salt|hash" into its decoded parts.
func decodeHashed(entry string) (salt, hash []byte, err error) {
	parts := strings.Split(entry, "|") // "", "1", salt, hash
	if len(parts) != 4 || parts[0] != "" || parts[1] != "1" {
		return nil, nil, fmt.Errorf("%w: malformed hashed host", ErrNoKey)
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	hash, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(salt) == 0 || len(hash) != sha1.Size {
		return nil, nil, fmt.Errorf("%w: malformed hashed host", ErrNoKey)
	}
	return salt, hash, nil
}

func hashedMatch(salt, want []byte, name string) bool {
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(name))
	var sum [sha1.Size]byte
	return hmac.Equal(m.Sum(sum[:0]), want)
}

// HashHostname returns the hashed known_hosts form of a normalized host
// name, "|1|" base64(salt) "|" base64(HMAC-SHA1(salt, name)), as
// ssh-keygen -H writes it. A nil salt means 20 random bytes.
func HashHostname(name string, salt []byte) string {
	if salt == nil {
		salt = make([]byte, sha1.Size)
		rand.Read(salt)
	}
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(strings.ToLower(name)))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Normalize returns the name under which known_hosts records an
// address: "host" for port 22 or no port, "[host]:port" otherwise, in
// lower case. It accepts "host", "host:port", "[host]:port" and bare
// IPv6 literals.
func Normalize(address string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(address, "["), "]"), ""
	}
	host = strings.ToLower(host)
	if port == "" || port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// hostOnly returns the host part of an address, in lower case.
func hostOnly(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(address, "["), "]")
	}
	return strings.ToLower(host)
}

// ParseKnownHostsLine parses one known_hosts line. Blank and comment
// lines give ErrNoKey.
func ParseKnownHostsLine(line []byte) (*KnownHostsLine, error) {
	s := strings.TrimSpace(string(line))
	if s == "" || s[0] == '#' {
		return nil, ErrNoKey
	}
	if len(s) > maxLineLen {
		return nil, fmt.Errorf("%w: line too long", ErrNoKey)
	}
	l := &KnownHostsLine{}
	field := func() string {
		s = strings.TrimLeft(s, " \t")
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		f := s[:i]
		s = s[i:]
		return f
	}
	f := field()
	if strings.HasPrefix(f, "@") {
		if f != MarkerCertAuthority && f != MarkerRevoked {
			return nil, fmt.Errorf("%w: unknown marker %q", ErrNoKey, wire.Sanitize(f))
		}
		l.Marker = f
		f = field()
	}
	if f == "" {
		return nil, fmt.Errorf("%w: no host field", ErrNoKey)
	}
	l.Hosts = strings.Split(f, ",")
	for _, h := range l.Hosts {
		if h == "" || h == "!" {
			return nil, fmt.Errorf("%w: empty host pattern", ErrNoKey)
		}
		if strings.HasPrefix(h, "|") {
			if len(l.Hosts) != 1 {
				return nil, fmt.Errorf("%w: hashed host in a list", ErrNoKey)
			}
			var err error
			if l.salt, l.hash, err = decodeHashed(h); err != nil {
				return nil, err
			}
		}
	}
	pub, comment, err := parseKeyFields(strings.TrimLeft(s, " \t"))
	if err != nil {
		return nil, err
	}
	l.Key, l.Comment = pub, comment
	return l, nil
}

// Status is the outcome of a known_hosts lookup. The zero value is
// StatusUnknown, so an unset result never means success.
type Status int

const (
	StatusUnknown Status = iota // no entry for this host and key type
	StatusKnown                 // the key (or its authority) is recorded for the host
	StatusChanged               // the host is recorded with a different key of the same type
	StatusRevoked               // the key or its certificate authority is @revoked
)

func (s Status) String() string {
	switch s {
	case StatusKnown:
		return "known"
	case StatusChanged:
		return "changed"
	case StatusRevoked:
		return "revoked"
	}
	return "unknown"
}

// A LookupResult reports what known_hosts says about a host key.
type LookupResult struct {
	Status Status
	// Line is the deciding entry: the matching key or authority
	// (known), the recorded key of the same type (changed), or the
	// revocation (revoked). It is nil for StatusUnknown.
	Line *KnownHostsLine
	// Others lists the host's entries with other keys; for
	// StatusUnknown they are keys of other types.
	Others []*KnownHostsLine
	// CertErr is why a host certificate was not accepted when the
	// lookup fell back to the certified plain key (as ssh does).
	CertErr error
}

// KnownHosts is a parsed set of known_hosts files. The fields may be set
// before use; it is safe for concurrent lookups if not modified.
type KnownHosts struct {
	Lines []*KnownHostsLine
	// Clock is used to check host certificates; nil means time.Now.
	Clock func() time.Time
	// Policy applies to certificate authority signatures.
	Policy *Policy
}

// ParseKnownHosts reads known_hosts entries from r. Lines with key types
// this package does not know (for example ssh-dss) are skipped silently,
// as ssh does; other malformed lines are skipped and reported as
// *LineError values joined in err. A read error is returned in err too,
// so a caller that wants to fail closed tests err != nil.
func ParseKnownHosts(r io.Reader, file string) (*KnownHosts, error) {
	k := &KnownHosts{}
	err := k.read(r, file)
	return k, err
}

func (k *KnownHosts) read(r io.Reader, file string) error {
	var errs []error
	n, serr := scanLines(r, func(num int, line []byte) {
		l, err := ParseKnownHostsLine(line)
		switch {
		case err == ErrNoKey:
		case errors.Is(err, ErrUnknownAlgorithm):
		case err != nil:
			errs = append(errs, &LineError{File: file, Line: num, Err: err})
		default:
			l.File, l.Line = file, num
			k.Lines = append(k.Lines, l)
		}
	})
	if serr != nil {
		errs = append(errs, &LineError{File: file, Line: n + 1, Err: serr})
	}
	return errors.Join(errs...)
}

// LoadKnownHosts reads the named files; a file that does not exist is
// skipped. Errors are those of ParseKnownHosts plus failures to open.
func LoadKnownHosts(files ...string) (*KnownHosts, error) {
	k := &KnownHosts{}
	var errs []error
	for _, f := range files {
		fh, err := os.Open(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("hostkey: known_hosts: %w", err))
			continue
		}
		errs = append(errs, k.read(fh, f))
		fh.Close()
	}
	return k, errors.Join(errs...)
}

// Lookup checks key for address ("host", "host:port" or "[host]:port")
// as ssh does: a matching @revoked entry for the key, a certificate's
// key or its authority wins; a host certificate is accepted if a
// matching @cert-authority entry holds its authority and the certificate
// is a valid host certificate for the host, and otherwise the certified
// key is looked up as a plain key; a plain key is known if recorded for
// the host, changed if the host has another key of the same type, and
// unknown otherwise.
func (k *KnownHosts) Lookup(address string, key PublicKey) LookupResult {
	var res LookupResult
	if k == nil || key == nil {
		return res
	}
	name := Normalize(address)
	var lines []*KnownHostsLine
	for _, l := range k.Lines {
		if l.Key != nil && l.Matches(name) {
			lines = append(lines, l)
		}
	}
	cert, _ := key.(*Certificate)
	candidates := []PublicKey{key}
	if cert != nil {
		candidates = append(candidates, cert.Key, cert.SignatureKey)
	}
	for _, l := range lines {
		if l.Marker != MarkerRevoked {
			continue
		}
		for _, c := range candidates {
			if c != nil && Equal(l.Key, c) {
				return LookupResult{Status: StatusRevoked, Line: l}
			}
		}
	}
	plain := key
	if cert != nil {
		var ca *KnownHostsLine
		cc := &CertChecker{
			IsHostAuthority: func(auth PublicKey, _ string) bool {
				for _, l := range lines {
					if l.Marker == MarkerCertAuthority && Equal(l.Key, auth) {
						ca = l
						return true
					}
				}
				return false
			},
			Clock:  k.Clock,
			Policy: k.Policy,
		}
		res.CertErr = cc.CheckHostCert(address, cert)
		if res.CertErr == nil {
			return LookupResult{Status: StatusKnown, Line: ca}
		}
		plain = cert.Key
		if plain == nil {
			return res
		}
	}
	for _, l := range lines {
		if l.Marker == "" && Equal(l.Key, plain) {
			return LookupResult{Status: StatusKnown, Line: l}
		}
	}
	for _, l := range lines {
		if l.Marker != "" {
			continue
		}
		if l.Key.Type() == plain.Type() && res.Line == nil {
			res.Status, res.Line = StatusChanged, l
		} else {
			res.Others = append(res.Others, l)
		}
	}
	return res
}

// A Verified is the proof that a host key was accepted. Verify returns a
// non-nil *Verified only on success, so code that holds one has passed
// every check (docs/security.md#h1); callers treat a nil *Verified as failure
// whatever the error says.
type Verified struct {
	Host        string    // the normalized host name
	Key         PublicKey // the key that was accepted
	File        string    // where the deciding entry is
	Line        int
	ByAuthority bool // accepted through @cert-authority
}

// A KeyUnknownError means known_hosts has no entry for the host and key
// type. Others holds entries for other key types; CertErr why a host
// certificate was refused, if one was presented.
type KeyUnknownError struct {
	Host    string
	Others  []*KnownHostsLine
	CertErr error
}

func (e *KeyUnknownError) Error() string {
	s := "hostkey: host key for " + e.Host + " not known"
	if e.CertErr != nil {
		s += " (certificate: " + e.CertErr.Error() + ")"
	}
	return s
}

func (e *KeyUnknownError) Unwrap() []error {
	if e.CertErr != nil {
		return []error{ErrHostKeyUnknown, e.CertErr}
	}
	return []error{ErrHostKeyUnknown}
}

// A KeyChangedError means the host is recorded with a different key of
// the same type: possibly a man-in-the-middle attack. File and Line name
// the recorded entry, as ssh's warning does.
type KeyChangedError struct {
	Host string
	File string
	Line int
	Want PublicKey // the recorded key
	Got  PublicKey // the key the host presented
}

func (e *KeyChangedError) Error() string {
	return fmt.Sprintf("hostkey: host key for %s changed: %s is recorded in %s:%d, got %s",
		e.Host, FingerprintSHA256(e.Want), e.File, e.Line, FingerprintSHA256(e.Got))
}

func (e *KeyChangedError) Unwrap() error { return ErrHostKeyChanged }

// A KeyRevokedError means a @revoked entry matches the key, the
// certified key or the certificate's authority (CVE-2026-42508).
type KeyRevokedError struct {
	Host string
	File string
	Line int
}

func (e *KeyRevokedError) Error() string {
	return fmt.Sprintf("hostkey: host key for %s is revoked (%s:%d)", e.Host, e.File, e.Line)
}

func (e *KeyRevokedError) Unwrap() error { return ErrHostKeyRevoked }

// Verify is Lookup turned into a decision: a *Verified and nil for
// StatusKnown, and otherwise nil and a *KeyUnknownError,
// *KeyChangedError or *KeyRevokedError (which unwrap to
// ErrHostKeyUnknown, ErrHostKeyChanged and ErrHostKeyRevoked).
func (k *KnownHosts) Verify(address string, key PublicKey) (*Verified, error) {
	host := Normalize(address)
	if key == nil {
		return nil, &KeyUnknownError{Host: host}
	}
	res := k.Lookup(address, key)
	switch res.Status {
	case StatusKnown:
		if res.Line == nil {
			break
		}
		return &Verified{Host: host, Key: key, File: res.Line.File, Line: res.Line.Line,
			ByAuthority: res.Line.Marker == MarkerCertAuthority}, nil
	case StatusChanged:
		return nil, &KeyChangedError{Host: host, File: res.Line.File, Line: res.Line.Line, Want: res.Line.Key, Got: key}
	case StatusRevoked:
		return nil, &KeyRevokedError{Host: host, File: res.Line.File, Line: res.Line.Line}
	}
	return nil, &KeyUnknownError{Host: host, Others: res.Others, CertErr: res.CertErr}
}

// HostKeyAlgorithms returns the public-key algorithms of the keys known
// for address, so kex can prefer them (as ssh orders HostKeyAlgorithms):
// certificate algorithms when an authority is recorded, then the
// algorithms of recorded keys.
func (k *KnownHosts) HostKeyAlgorithms(address string) []string {
	name := Normalize(address)
	var certs, plain []string
	for _, l := range k.Lines {
		if l.Key == nil || l.Marker == MarkerRevoked || !l.Matches(name) {
			continue
		}
		if l.Marker == MarkerCertAuthority {
			for _, t := range Algorithms() {
				for _, a := range SignatureAlgorithms(&typeOnly{t}) {
					certs = appendNew(certs, CertAlgorithm(a))
				}
			}
			continue
		}
		for _, a := range SignatureAlgorithms(l.Key) {
			plain = appendNew(plain, a)
		}
	}
	slices.Sort(certs)
	return append(certs, plain...)
}

type typeOnly struct{ t string }

func (k *typeOnly) Type() string                    { return k.t }
func (k *typeOnly) Marshal() []byte                 { return nil }
func (k *typeOnly) Verify([]byte, *Signature) error { return ErrSignature }

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// MarshalKnownHost returns a known_hosts line for key under the given
// addresses (normalized with Normalize). With hash set each address is
// hashed on a line of its own, as ssh-keygen -H does.
func MarshalKnownHost(addresses []string, key PublicKey, hash bool) []byte {
	keyPart := bytes.TrimSuffix(MarshalAuthorizedKey(key, ""), []byte("\n"))
	var b []byte
	if hash {
		for _, a := range addresses {
			b = append(b, HashHostname(Normalize(a), nil)...)
			b = append(b, ' ')
			b = append(b, keyPart...)
			b = append(b, '\n')
		}
		return b
	}
	names := make([]string, len(addresses))
	for i, a := range addresses {
		names[i] = Normalize(a)
	}
	b = append(b, strings.Join(names, ",")...)
	b = append(b, ' ')
	b = append(b, keyPart...)
	return append(b, '\n')
}

// AddKnownHost appends an entry for key to the known_hosts file
// (created with mode 0600 if missing) and to k, if k is not nil.
func (k *KnownHosts) AddKnownHost(file string, addresses []string, key PublicKey, hash bool) error {
	line := MarshalKnownHost(addresses, key, hash)
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("hostkey: adding known host: %w", err)
	}
	// Start on a new line if the file does not end with one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if rf, err := os.Open(file); err == nil {
			if _, err := rf.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				line = append([]byte{'\n'}, line...)
			}
			rf.Close()
		}
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("hostkey: adding known host: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("hostkey: adding known host: %w", err)
	}
	if k != nil {
		for l := range bytes.Lines(line) {
			if e, err := ParseKnownHostsLine(l); err == nil {
				e.File = file
				k.Lines = append(k.Lines, e)
			}
		}
	}
	return nil
}

// RemoveKnownHostsLines rewrites the known_hosts file without the given
// lines (1-based, as KnownHostsLine.Line counts them), keeping every
// other byte and the file's mode; the new file replaces the old one
// atomically.
func RemoveKnownHostsLines(file string, lines []int) error {
	if len(lines) == 0 {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("hostkey: removing known hosts: %w", err)
	}
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("hostkey: removing known hosts: %w", err)
	}
	var out []byte
	n := 0
	for l := range bytes.Lines(data) {
		n++
		if !slices.Contains(lines, n) {
			out = append(out, l...)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".known_hosts-*")
	if err != nil {
		return fmt.Errorf("hostkey: removing known hosts: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(out)
	if err == nil {
		err = tmp.Chmod(st.Mode().Perm())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		return fmt.Errorf("hostkey: removing known hosts: %w", err)
	}
	return nil
}
