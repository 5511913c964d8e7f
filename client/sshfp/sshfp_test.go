package sshfp_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/sshstack/sshstack/client/sshfp"
	"github.com/sshstack/sshstack/client/sshfp/sshfptest"
	"github.com/sshstack/sshstack/hostkey"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Recorded with OpenSSH 9.2: ssh-keygen -r h -f k.pub for this key.
const (
	vecEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAxgcAObazhGFImUva58/3Kk6Kd+Q3ozt3HS7VWhU4K2 test"
	vecRSA1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCzt5RkxeL6QZj+w3c9ZvGp7JZlGlRFYTt2t4K9LE3j73w85K8FX4kJWg7hP+tjrNDqIQaPHouvILrEDQokGMU5doO/Jwrjme4e3pu0h4V7bHD6Ba1hrYqGw0YbME/VxGFVB6CTjZZrSEsZcV6YviNJ9tvYmvmPXfbkTJn7kp2dHQ== r"
)

func pub(t *testing.T, s string) hostkey.PublicKey {
	t.Helper()
	k, _, err := hostkey.ParsePublicKeyFile([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRecordsMatchSSHKeygen(t *testing.T) {
	want := sshKeygenRecords(t, vecEd25519)
	var got []string
	for _, r := range sshfp.Records(pub(t, vecEd25519)) {
		got = append(got, r.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Records (-ssh-keygen +got):\n%s", diff)
	}
}

func TestParseRecord(t *testing.T) {
	good := sshfp.Records(pub(t, vecEd25519))
	for _, r := range good {
		b := r.Append(nil)
		got, err := sshfp.ParseRecord(b)
		if err != nil || !cmp.Equal(got, r) {
			t.Errorf("round trip %v: %v %v", r, got, err)
		}
		for i := range len(b) { // every cut is an error
			if _, err := sshfp.ParseRecord(b[:i]); !errors.Is(err, sshfp.ErrRecord) {
				t.Errorf("cut at %d: %v", i, err)
			}
		}
	}
	if _, err := sshfp.ParseRecord([]byte{4, 9, 1, 2, 3}); err != nil {
		t.Errorf("unknown fingerprint type refused: %v", err)
	}
}

func TestVerify(t *testing.T) {
	ed, rsa := pub(t, vecEd25519), pub(t, vecRSA1024)
	edRecs, rsaRecs := sshfp.Records(ed), sshfp.Records(rsa)
	bad := sshfp.Record{Algorithm: sshfp.AlgEd25519, FingerprintType: sshfp.SHA256, Fingerprint: bytes.Repeat([]byte{1}, 32)}
	for _, tt := range []struct {
		name string
		a    *sshfp.Answer
		want sshfp.Result
	}{
		{"nil", nil, sshfp.Result{}},
		{"none", &sshfp.Answer{Secure: true}, sshfp.Result{}},
		{"match secure", &sshfp.Answer{Records: edRecs, Secure: true}, sshfp.Result{Found: true, Match: true, Secure: true}},
		{"match insecure", &sshfp.Answer{Records: edRecs}, sshfp.Result{Found: true, Match: true}},
		{"sha256 only", &sshfp.Answer{Records: edRecs[1:]}, sshfp.Result{Found: true, Match: true}},
		{"other key's", &sshfp.Answer{Records: rsaRecs, Secure: true}, sshfp.Result{Found: true, Secure: true}},
		{"both keys", &sshfp.Answer{Records: append(rsaRecs, edRecs...)}, sshfp.Result{Found: true, Match: true}},
		{"mismatch cancels match", &sshfp.Answer{Records: append(edRecs, bad)}, sshfp.Result{Found: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sshfp.Verify(tt.a, ed)); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	recs := sshfp.Records(pub(t, vecEd25519))
	srv := sshfptest.Start(t, map[string]sshfptest.Zone{
		"secure.test":   {Records: recs, AD: true},
		"insecure.test": {Records: recs},
		"empty.test":    {},
		"alias.test":    {CNAME: "Secure.TEST", AD: true},
		"big.test":      {Records: recs, AD: true, TC: true},
		"fail.test":     {RCode: dnsmessage.RCodeServerFailure},
	})
	for _, tt := range []struct {
		name    string
		trustAD bool
		want    *sshfp.Answer
		err     bool
	}{
		{"secure.test", true, &sshfp.Answer{Records: recs, Secure: true}, false},
		{"secure.test.", false, &sshfp.Answer{Records: recs}, false}, // AD not believed
		{"insecure.test", true, &sshfp.Answer{Records: recs}, false},
		{"empty.test", true, &sshfp.Answer{}, false},
		{"missing.test", true, &sshfp.Answer{}, false},
		{"alias.test", true, &sshfp.Answer{Records: recs, Secure: true}, false},
		{"big.test", true, &sshfp.Answer{Records: recs, Secure: true}, false}, // over TCP
		{"fail.test", true, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := &sshfp.Resolver{Servers: []string{srv.Addr}, TrustAD: tt.trustAD, Attempts: 1}
			got, err := r.Lookup(ctx, tt.name)
			if (err != nil) != tt.err {
				t.Fatalf("Lookup: %v", err)
			}
			var rc *sshfp.RCodeError
			if tt.err && !errors.As(err, &rc) {
				t.Errorf("error %v is not an *RCodeError", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLookupTimeout: a silent server fails by the Resolver's timeout,
// and a cancelled context stops the lookup with ctx's error.
func TestLookupTimeout(t *testing.T) {
	srv := sshfptest.Start(t, map[string]sshfptest.Zone{"mute.test": {Mute: true}})
	r := &sshfp.Resolver{Servers: []string{srv.Addr}, Timeout: 100 * time.Millisecond, Attempts: 2}
	_, err := r.Lookup(context.Background(), "mute.test")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("silent server: %v, want a timeout", err)
	}
	if n := srv.Queries(); n != 2 {
		t.Errorf("%d queries, want one per attempt (2)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Timeout = time.Minute
	if _, err := r.Lookup(ctx, "mute.test"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestReadResolvConf(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/resolv.conf"
	writeFile(t, file, "# c\nsearch example\nnameserver 192.0.2.1\nnameserver ::1\nnameserver bogus\nnameserver 192.0.2.2\nnameserver 192.0.2.3\noptions edns0 trust-ad timeout:2 attempts:3\n")
	r, err := sshfp.ReadResolvConf(file)
	if err != nil {
		t.Fatal(err)
	}
	want := &sshfp.Resolver{Servers: []string{"192.0.2.1:53", "[::1]:53", "192.0.2.2:53"}, TrustAD: true, Timeout: 2 * time.Second, Attempts: 3}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("ReadResolvConf (-want +got):\n%s", diff)
	}
	if r, err := sshfp.ReadResolvConf(dir + "/missing"); err != nil || r.TrustAD || len(r.Servers) != 0 {
		t.Errorf("missing file: %+v %v", r, err)
	}
}

func writeFile(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshKeygenRecords runs OpenSSH's ssh-keygen -r on key and returns the
// RDATA of each line ("4 1 hex").
func sshKeygenRecords(t *testing.T, key string) []string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		wiretest.MissingPeer(t, "no ssh-keygen")
	}
	file := t.TempDir() + "/k.pub"
	writeFile(t, file, key+"\n")
	out, err := exec.Command("ssh-keygen", "-r", "h", "-f", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 || f[2] != "SSHFP" {
			t.Fatalf("ssh-keygen -r line %q", line)
		}
		recs = append(recs, strings.Join(f[3:], " "))
	}
	return recs
}
