package hostkey_test

import (
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
)

// Requirement: 4251-4.1-check
func TestKnownHostsLookup(t *testing.T) {
	ed := signerFor(t, hostkey.ED25519).PublicKey()
	ec := signerFor(t, hostkey.ECDSAP256).PublicKey()
	ec2 := signerFor(t, hostkey.ECDSAP384).PublicKey()
	rsaKey := signerFor(t, hostkey.RSA).PublicKey()
	other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	kt := func(p hostkey.PublicKey) string {
		return strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(p, "")))
	}
	file := strings.Join([]string{
		"# known hosts",
		"server.example.com,192.0.2.1 " + kt(ed),
		"[server.example.com]:2222 " + kt(ec),
		"*.wild.example.com,!bad.wild.example.com " + kt(ec2),
		"host?.example.org " + kt(rsaKey),
		hostkey.HashHostname("hashed.example.com", nil) + " " + kt(ed) + " hashed",
		hostkey.HashHostname("[hashed.example.com]:2200", nil) + " " + kt(ec),
		"@revoked * " + kt(other.PublicKey()),
		"ssh-dss-host ssh-dss AAAAB3NzaC1kc3MAAACBAP==",
		"",
	}, "\n")
	kh, err := hostkey.ParseKnownHosts(strings.NewReader(file), "known_hosts")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		addr string
		key  hostkey.PublicKey
		want hostkey.Status
		line int
	}{
		{"plain", "server.example.com", ed, hostkey.StatusKnown, 2},
		{"port 22 normalized", "server.example.com:22", ed, hostkey.StatusKnown, 2},
		{"case-insensitive", "SERVER.example.COM", ed, hostkey.StatusKnown, 2},
		{"ip in list", "192.0.2.1", ed, hostkey.StatusKnown, 2},
		{"non-default port", "server.example.com:2222", ec, hostkey.StatusKnown, 3},
		{"port not matched by plain", "server.example.com:2222", ed, hostkey.StatusUnknown, 0},
		{"changed same type", "server.example.com", other.PublicKey(), hostkey.StatusRevoked, 8},
		{"changed", "server.example.com", func() hostkey.PublicKey {
			s, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
			return s.PublicKey()
		}(), hostkey.StatusChanged, 2},
		{"other type unknown", "server.example.com", rsaKey, hostkey.StatusUnknown, 0},
		{"wildcard", "a.wild.example.com", ec2, hostkey.StatusKnown, 4},
		{"negated", "bad.wild.example.com", ec2, hostkey.StatusUnknown, 0},
		{"question mark", "host1.example.org", rsaKey, hostkey.StatusKnown, 5},
		{"question mark one char", "host12.example.org", rsaKey, hostkey.StatusUnknown, 0},
		{"hashed", "hashed.example.com", ed, hostkey.StatusKnown, 6},
		{"hashed with port", "[hashed.example.com]:2200", ec, hostkey.StatusKnown, 7},
		{"hashed changed", "hashed.example.com", func() hostkey.PublicKey {
			s, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
			return s.PublicKey()
		}(), hostkey.StatusChanged, 6},
		{"unknown host", "nowhere.example.net", ed, hostkey.StatusUnknown, 0},
		{"revoked", "anything", other.PublicKey(), hostkey.StatusRevoked, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := kh.Lookup(tt.addr, tt.key)
			if res.Status != tt.want {
				t.Fatalf("Status = %v, want %v", res.Status, tt.want)
			}
			if tt.line != 0 && (res.Line == nil || res.Line.Line != tt.line) {
				t.Fatalf("Line = %+v, want %d", res.Line, tt.line)
			}
			v, err := kh.Verify(tt.addr, tt.key)
			if (v != nil) != (tt.want == hostkey.StatusKnown) || (err == nil) != (v != nil) {
				t.Fatalf("Verify = %v, %v", v, err)
			}
			switch tt.want {
			case hostkey.StatusChanged:
				var ce *hostkey.KeyChangedError
				if !errors.As(err, &ce) || ce.File != "known_hosts" || ce.Line != tt.line || !errors.Is(err, hostkey.ErrHostKeyChanged) {
					t.Fatalf("changed error %v", err)
				}
			case hostkey.StatusRevoked:
				var re *hostkey.KeyRevokedError
				if !errors.As(err, &re) || !errors.Is(err, hostkey.ErrHostKeyRevoked) {
					t.Fatalf("revoked error %v", err)
				}
			case hostkey.StatusUnknown:
				var ue *hostkey.KeyUnknownError
				if !errors.As(err, &ue) || !errors.Is(err, hostkey.ErrHostKeyUnknown) {
					t.Fatalf("unknown error %v", err)
				}
			}
		})
	}
	if got := kh.HostKeyAlgorithms("server.example.com"); len(got) != 1 || got[0] != hostkey.ED25519 {
		t.Errorf("HostKeyAlgorithms = %v", got)
	}
}

// TestKnownHostsCertAuthority covers @cert-authority and @revoked applied
// to a certificate's authority (CVE-2026-42508).
func TestKnownHostsCertAuthority(t *testing.T) {
	ca := signerFor(t, hostkey.ED25519)
	host := signerFor(t, hostkey.ECDSAP256)
	kt := func(p hostkey.PublicKey) string {
		return strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(p, "")))
	}
	cert := &hostkey.Certificate{Key: host.PublicKey(), CertType: hostkey.HostCert, ValidPrincipals: []string{"srv.example.com"},
		ValidAfter: uint64(certNow.Unix() - 10), ValidBefore: uint64(certNow.Unix() + 10)}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return certNow }
	base := "@cert-authority *.example.com " + kt(ca.PublicKey()) + "\n"
	tests := []struct {
		name  string
		file  string
		addr  string
		clock func() time.Time
		want  hostkey.Status
	}{
		{"trusted CA", base, "srv.example.com", clock, hostkey.StatusKnown},
		{"CA not for this host", base, "srv.example.org", clock, hostkey.StatusUnknown},
		{"wrong principal", base, "other.example.com", clock, hostkey.StatusUnknown},
		{"expired falls back to plain key", base + "srv.example.com " + kt(host.PublicKey()) + "\n", "srv.example.com", func() time.Time { return certNow.Add(time.Hour) }, hostkey.StatusKnown},
		{"expired, no plain key", base, "srv.example.com", func() time.Time { return certNow.Add(time.Hour) }, hostkey.StatusUnknown},
		{"CA revoked", base + "@revoked * " + kt(ca.PublicKey()) + "\n", "srv.example.com", clock, hostkey.StatusRevoked},
		{"certified key revoked", base + "@revoked * " + kt(host.PublicKey()) + "\n", "srv.example.com", clock, hostkey.StatusRevoked},
		{"certificate revoked", base + "@revoked * " + kt(cert) + "\n", "srv.example.com", clock, hostkey.StatusRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kh, err := hostkey.ParseKnownHosts(strings.NewReader(tt.file), "kh")
			if err != nil {
				t.Fatal(err)
			}
			kh.Clock = tt.clock
			res := kh.Lookup(tt.addr, cert)
			if res.Status != tt.want {
				t.Fatalf("Status = %v (cert: %v), want %v", res.Status, res.CertErr, tt.want)
			}
			v, err := kh.Verify(tt.addr, cert)
			if (v != nil) != (tt.want == hostkey.StatusKnown) {
				t.Fatalf("Verify = %v, %v", v, err)
			}
		})
	}
	kh, _ := hostkey.ParseKnownHosts(strings.NewReader(base), "kh")
	kh.Clock = func() time.Time { return certNow.Add(time.Hour) }
	_, err := kh.Verify("srv.example.com", cert)
	if !errors.Is(err, hostkey.ErrCertExpired) || !errors.Is(err, hostkey.ErrHostKeyUnknown) {
		t.Fatalf("expired cert error %v", err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	r.n = 0
	return copy(p, "host ssh-ed25519 AAAA\n"), nil
}

// TestH1FailClosed: no error path yields a verified host (docs/security.md#h1).
// Requirement: 4251-4.1-check
func TestH1FailClosed(t *testing.T) {
	ed := signerFor(t, hostkey.ED25519).PublicKey()
	if _, err := hostkey.ParseKnownHosts(&failingReader{n: 1}, "kh"); err == nil {
		t.Error("read error not reported")
	}
	if _, err := hostkey.ParseKnownHosts(strings.NewReader("@bogus host "+strings.TrimSpace(string(hostkey.MarshalAuthorizedKey(ed, "")))+"\n"), "kh"); err == nil {
		t.Error("bad marker not reported")
	}
	var nilKH *hostkey.KnownHosts
	for _, tc := range []struct {
		name string
		kh   *hostkey.KnownHosts
		key  hostkey.PublicKey
	}{{"nil known_hosts", nilKH, ed}, {"nil key", &hostkey.KnownHosts{}, nil}, {"empty", &hostkey.KnownHosts{}, ed}} {
		v, err := tc.kh.Verify("h", tc.key)
		if v != nil || err == nil {
			t.Errorf("%s: Verify = %v, %v", tc.name, v, err)
		}
	}
	var zero hostkey.LookupResult
	if zero.Status == hostkey.StatusKnown {
		t.Error("zero Status means known")
	}
	// An unreadable file is an error, a missing one is not.
	dir := t.TempDir()
	if _, err := hostkey.LoadKnownHosts(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("missing file: %v", err)
	}
	if _, err := hostkey.LoadKnownHosts(dir); err == nil {
		t.Error("directory as known_hosts: no error")
	}
}

func TestAddKnownHost(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "known_hosts")
	os.WriteFile(file, []byte("# no newline"), 0o600)
	ed := signerFor(t, hostkey.ED25519).PublicKey()
	ec := signerFor(t, hostkey.ECDSAP256).PublicKey()
	kh := &hostkey.KnownHosts{}
	if err := kh.AddKnownHost(file, []string{"a.example.com", "b.example.com:2022"}, ed, false); err != nil {
		t.Fatal(err)
	}
	if err := kh.AddKnownHost(file, []string{"c.example.com:2022"}, ec, true); err != nil {
		t.Fatal(err)
	}
	if _, err := kh.Verify("b.example.com:2022", ed); err != nil {
		t.Fatal(err)
	}
	loaded, err := hostkey.LoadKnownHosts(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		key  hostkey.PublicKey
	}{{"a.example.com", ed}, {"[b.example.com]:2022", ed}, {"c.example.com:2022", ec}} {
		if v, err := loaded.Verify(tc.addr, tc.key); err != nil || v.File != file {
			t.Errorf("%s: %v", tc.addr, err)
		}
	}
	b, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(b), "# no newline\na.example.com,[b.example.com]:2022 ssh-ed25519 ") {
		t.Errorf("file:\n%s", b)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Host":            "host",
		"host:22":         "host",
		"host:2222":       "[host]:2222",
		"[host]:2222":     "[host]:2222",
		"[::1]:22":        "::1",
		"[::1]:2200":      "[::1]:2200",
		"::1":             "::1",
		"192.0.2.1:65535": "[192.0.2.1]:65535",
	} {
		if got := hostkey.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRemoveKnownHostsLines: the named lines go, every other byte and the
// file mode stay.
func TestRemoveKnownHostsLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	in := "# comment\nhost1 ssh-ed25519 AAAA\n\nhost2 ssh-ed25519 BBBB\nhost3 ssh-rsa CCCC" // no final newline
	if err := os.WriteFile(file, []byte(in), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := hostkey.RemoveKnownHostsLines(file, []int{2, 5}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	if want := "# comment\n\nhost2 ssh-ed25519 BBBB\n"; string(got) != want {
		t.Errorf("file %q, want %q", got, want)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	if err := hostkey.RemoveKnownHostsLines(filepath.Join(t.TempDir(), "missing"), []int{1}); err == nil {
		t.Error("a missing file was not an error")
	}
}
