package conformance_test

// A differential test of the publickey decision: OpenSSH 9.2's sshd and
// gosshd, configured alike (TrustedUserCAKeys, AuthorizedPrincipalsFile,
// one AuthorizedKeysFile they both read), are asked the same questions by
// OpenSSH's ssh with certificates made by ssh-keygen, and must answer
// alike: accepted or not, with which key (the "Accepted publickey" log
// line), and running the same forced command.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// A certSpec is a certificate that ssh-keygen issues for the user key.
type certSpec struct {
	ca         string   // "trusted" (in TrustedUserCAKeys) or "other" (only usable through cert-authority lines)
	principals string   // -n; empty for none
	validity   string   // -V; empty for forever
	opts       []string // -O options
	host       bool     // -h: a host certificate
}

// A certCase is one question to both servers.
type certCase struct {
	name       string
	principals bool      // the servers are configured with AuthorizedPrincipalsFile
	keys       string    // the AuthorizedKeysFile: {user}, {trusted}, {other} stand for those public keys
	pfile      string    // the AuthorizedPrincipalsFile's content; "" leaves it absent
	cert       *certSpec // nil: the plain key alone
	addr       string    // client address; "" for one of the case's own (per-source penalties stay apart)
	want       bool      // sshd's decision, as documented in sshd(8)
	wantOut    string    // the session's output when accepted; "" for the command's own "ran"
}

// certOutcome is what one server did with a case.
type certOutcome struct {
	ok       bool
	out      string
	accepted string // the key part of "Accepted publickey ... ssh2: ..."
}

func TestGosshdCertDecisionsMatchSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("gosshd serves other users only as root")
	}
	tests := []certCase{
		// TrustedUserCAKeys without AuthorizedPrincipalsFile: the user name must be a principal.
		{name: "trusted CA, principal root", cert: &certSpec{ca: "trusted", principals: "root"}, want: true},
		{name: "trusted CA, principal of another user", cert: &certSpec{ca: "trusted", principals: "bob"}},
		{name: "trusted CA, no principals", cert: &certSpec{ca: "trusted"}},
		{name: "trusted CA, expired", cert: &certSpec{ca: "trusted", principals: "root", validity: "20200101:20200102"}},
		{name: "trusted CA, not yet valid", cert: &certSpec{ca: "trusted", principals: "root", validity: "20990101:20990102"}},
		{name: "host certificate as user certificate", cert: &certSpec{ca: "trusted", principals: "root", host: true}},
		{name: "source-address matches", addr: "127.0.0.1", want: true,
			cert: &certSpec{ca: "trusted", principals: "root", opts: []string{"source-address=127.0.0.1/32,10.0.0.0/8"}}},
		{name: "source-address does not match", addr: "127.0.0.1",
			cert: &certSpec{ca: "trusted", principals: "root", opts: []string{"source-address=10.0.0.0/8"}}},
		{name: "force-command", want: true, wantOut: "forced-by-cert\n",
			cert: &certSpec{ca: "trusted", principals: "root", opts: []string{"force-command=echo forced-by-cert"}}},
		{name: "unknown critical option", cert: &certSpec{ca: "trusted", principals: "root", opts: []string{"critical:x-unknown@example.com=1"}}},
		{name: "untrusted CA", cert: &certSpec{ca: "other", principals: "root"}},

		// cert-authority lines, independent of TrustedUserCAKeys.
		{name: "cert-authority line", keys: "cert-authority {other}", cert: &certSpec{ca: "other", principals: "root"}, want: true},
		{name: "cert-authority line, other user", keys: "cert-authority {other}", cert: &certSpec{ca: "other", principals: "bob"}},
		{name: "cert-authority line, no principals", keys: "cert-authority {other}", cert: &certSpec{ca: "other"}, want: true},
		{name: "cert-authority principals= match", keys: `cert-authority,principals="ops,dev" {other}`,
			cert: &certSpec{ca: "other", principals: "dev"}, want: true},
		{name: "cert-authority principals= replaces the user name", keys: `cert-authority,principals="ops" {other}`,
			cert: &certSpec{ca: "other", principals: "root"}},
		{name: "cert-authority command=", keys: `cert-authority,command="echo from-ca-line" {other}`,
			cert: &certSpec{ca: "other", principals: "root"}, want: true, wantOut: "from-ca-line\n"},
		{name: "cert-authority from= refuses", keys: `cert-authority,from="10.0.0.0/8" {other}`,
			cert: &certSpec{ca: "other", principals: "root"}},
		{name: "cert-authority line, expired", keys: "cert-authority {other}",
			cert: &certSpec{ca: "other", principals: "root", validity: "20200101:20200102"}},
		{name: "cert-authority refuses, TrustedUserCAKeys admits", keys: `cert-authority,principals="ops" {trusted}`,
			cert: &certSpec{ca: "trusted", principals: "root"}, want: true},
		{name: "plain key on a cert-authority line", keys: "cert-authority {user}"},
		{name: "plain key with principals= and no cert-authority", keys: `principals="root" {user}`},
		{name: "certificate on a plain line of its CA", keys: "{other}", cert: &certSpec{ca: "other", principals: "root"}},
		{name: "certificate with its own key on a plain line", keys: "{user}", cert: &certSpec{ca: "other", principals: "root"},
			want: true}, // through the plain key, which ssh offers after the certificate

		// TrustedUserCAKeys with AuthorizedPrincipalsFile: a cert principal must be listed.
		{name: "principals file lists a cert principal", principals: true, pfile: "# team\nops\n",
			cert: &certSpec{ca: "trusted", principals: "web,ops"}, want: true},
		{name: "principals file replaces the user name", principals: true, pfile: "ops\n",
			cert: &certSpec{ca: "trusted", principals: "root"}},
		{name: "principals file command=", principals: true, pfile: `command="echo via-principals",no-pty ops` + "\n",
			cert: &certSpec{ca: "trusted", principals: "ops"}, want: true, wantOut: "via-principals\n"},
		{name: "principals file command= against force-command", principals: true, pfile: `command="echo a" ops` + "\n",
			cert: &certSpec{ca: "trusted", principals: "ops", opts: []string{"force-command=echo b"}}},
		{name: "principals file from= refuses", principals: true, pfile: `from="10.0.0.0/8" ops` + "\n",
			cert: &certSpec{ca: "trusted", principals: "ops"}},
		{name: "principals file cert-authority refuses", principals: true, pfile: "cert-authority ops\n",
			cert: &certSpec{ca: "trusted", principals: "ops"}},
		{name: "principals file absent", principals: true, cert: &certSpec{ca: "trusted", principals: "root"}},
		{name: "principals file, cert-authority line still by user name", principals: true, pfile: "ops\n",
			keys: "cert-authority {other}", cert: &certSpec{ca: "other", principals: "root"}, want: true},
	}

	dir := t.TempDir()
	keys := map[string]string{}
	for _, k := range []string{"user", "trusted", "other"} {
		p := filepath.Join(dir, k)
		sshdtest.GenerateKey(t, "ed25519", p, "")
		pub, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		keys[k] = strings.Join(strings.Fields(string(pub))[:2], " ")
	}
	type pair struct {
		sshd   *sshdtest.Server
		gosshd *svServer
		known  string // known_hosts for both
		shared string // directory of the files both read
	}
	pairs := map[bool]*pair{}
	start := func(principals bool) *pair {
		if p := pairs[principals]; p != nil {
			return p
		}
		shared := filepath.Join(dir, fmt.Sprintf("shared-%v", principals))
		if err := os.Mkdir(shared, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := []string{"TrustedUserCAKeys " + filepath.Join(dir, "trusted.pub"), "AuthorizedKeysFile " + shared + "/%u.keys", "PubkeyAuthentication yes"}
		if principals {
			cfg = append(cfg, "AuthorizedPrincipalsFile "+shared+"/principals_%u")
		}
		p := &pair{shared: shared}
		p.sshd = sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, Config: cfg})
		p.gosshd = svStart(t, []string{"ed25519"}, cfg...)
		known, err := os.ReadFile(p.gosshd.knownHosts)
		if err != nil {
			t.Fatal(err)
		}
		p.known = uaWrite(t, filepath.Join(shared, "known_hosts"), append(known, p.sshd.KnownHostsLine(t, "ed25519")...), 0o600)
		pairs[principals] = p
		return p
	}

	agree, ran := 0, 0
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran++
			p := start(tc.principals)
			caseDir := filepath.Join(dir, fmt.Sprintf("case%d", i))
			if err := os.Mkdir(caseDir, 0o755); err != nil {
				t.Fatal(err)
			}
			ak := strings.NewReplacer("{user}", keys["user"], "{trusted}", keys["trusted"], "{other}", keys["other"]).Replace(tc.keys)
			uaWrite(t, filepath.Join(p.shared, "root.keys"), []byte(ak+"\n"), 0o644)
			pf := filepath.Join(p.shared, "principals_root")
			os.Remove(pf)
			if tc.pfile != "" {
				uaWrite(t, pf, []byte(tc.pfile), 0o644)
			}
			args := []string{"-o", "UserKnownHostsFile=" + p.known, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
				"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "PreferredAuthentications=publickey", "-i", filepath.Join(dir, "user")}
			if tc.cert != nil {
				args = append(args, "-o", "CertificateFile="+issueCert(t, dir, caseDir, i, tc.cert))
			}
			addr := tc.addr
			if addr == "" {
				addr = fmt.Sprintf("127.0.0.%d", 10+i)
			}
			args = append(args, "-b", addr, "-l", "root", "127.0.0.1", "echo ran")

			sshdLog, gosshdLog := len(p.sshd.Log()), len(p.gosshd.logText())
			theirs := certRun(t, append([]string{"-p", itoa(p.sshd.Port)}, args...), func() string { return p.sshd.Log()[sshdLog:] }, addr)
			ours := certRun(t, append([]string{"-p", p.gosshd.port}, args...), func() string { return p.gosshd.logText()[gosshdLog:] }, addr)

			want := certOutcome{ok: tc.want}
			if tc.want {
				want.out = tc.wantOut
				if want.out == "" {
					want.out = "ran\n"
				}
			}
			if theirs.ok != want.ok || theirs.out != want.out {
				t.Errorf("sshd itself: accepted %v output %q, want %v %q\n%s", theirs.ok, theirs.out, want.ok, want.out, tail(p.sshd.Log()[sshdLog:]))
			}
			if ours != theirs {
				t.Errorf("gosshd %+v, sshd %+v\ngosshd log:\n%s", ours, theirs, tail(p.gosshd.logText()[gosshdLog:]))
				return
			}
			agree++
		})
	}
	t.Logf("%d of %d cases agree", agree, ran)

	// paramiko signs at once, without a query: a refused signed attempt
	// gets sshd's "Failed publickey ... ssh2: KEY" line, the same from both.
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import paramiko").Run(); err != nil {
		t.Logf("paramiko not available, failed-attempt log lines not compared: %v", err)
		return
	}
	script := uaWrite(t, filepath.Join(dir, "signed.py"), []byte(certParamiko), 0o644)
	for i, tc := range []struct {
		name string
		cert *certSpec
	}{
		{"plain key", nil},
		{"certificate", &certSpec{ca: "trusted", principals: "bob"}},
	} {
		t.Run("Failed publickey line, "+tc.name, func(t *testing.T) {
			p := start(false)
			uaWrite(t, filepath.Join(p.shared, "root.keys"), nil, 0o644)
			cert := "-"
			if tc.cert != nil {
				caseDir := filepath.Join(dir, fmt.Sprintf("log%d", i))
				if err := os.Mkdir(caseDir, 0o755); err != nil {
					t.Fatal(err)
				}
				cert = issueCert(t, dir, caseDir, 100+i, tc.cert)
			}
			addr := fmt.Sprintf("127.0.0.%d", 200+i)
			re := regexp.MustCompile(`Failed publickey for root from ` + regexp.QuoteMeta(addr) + ` port \d+ ssh2: (.*)`)
			var lines [2]string
			for j, srv := range []struct {
				port string
				log  func() string
			}{{itoa(p.sshd.Port), p.sshd.Log}, {p.gosshd.port, p.gosshd.logText}} {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				cmd := exec.CommandContext(ctx, py, script, addr, srv.port, filepath.Join(dir, "user"), cert)
				cmd.WaitDelay = 2 * time.Second
				out, err := cmd.CombinedOutput()
				cancel()
				if err != nil || strings.TrimSpace(string(out)) != "denied" {
					t.Fatalf("paramiko: %v\n%s", err, out)
				}
				for range 50 {
					if m := re.FindStringSubmatch(srv.log()); m != nil {
						lines[j] = strings.TrimSpace(m[1])
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			t.Logf("both: Failed publickey for root from %s port N ssh2: %s", addr, lines[1])
			if lines[0] == "" || lines[0] != lines[1] {
				t.Errorf("Failed publickey key: sshd %q, gosshd %q\n%s", lines[0], lines[1], tail(p.gosshd.logText()))
			}
		})
	}
}

// certParamiko tries one signed publickey request (paramiko sends no
// query) from a given source address: address, port, key, certificate
// or "-".
const certParamiko = `
import socket, sys, paramiko
addr, port, key, cert = sys.argv[1:5]
k = paramiko.Ed25519Key.from_private_key_file(key)
if cert != "-":
    k.load_certificate(cert)
s = socket.create_connection(("127.0.0.1", int(port)), timeout=20, source_address=(addr, 0))
t = paramiko.Transport(s)
t.connect()
try:
    t.auth_publickey("root", k)
    print("accepted")
except paramiko.AuthenticationException:
    print("denied")
t.close()
`

// issueCert has ssh-keygen certify the user key as spec says and returns
// the certificate file.
func issueCert(t *testing.T, dir, caseDir string, serial int, spec *certSpec) string {
	t.Helper()
	pub := filepath.Join(caseDir, "user.pub")
	data, err := os.ReadFile(filepath.Join(dir, "user.pub"))
	if err != nil {
		t.Fatal(err)
	}
	uaWrite(t, pub, data, 0o644)
	args := []string{"-q", "-s", filepath.Join(dir, spec.ca), "-I", fmt.Sprintf("case-%d", serial), "-z", itoa(serial + 1)}
	if spec.principals != "" {
		args = append(args, "-n", spec.principals)
	}
	if spec.validity != "" {
		args = append(args, "-V", spec.validity)
	}
	for _, o := range spec.opts {
		args = append(args, "-O", o)
	}
	if spec.host {
		args = append(args, "-h")
	}
	if out, err := exec.Command(sshdtest.SSHKeygen, append(args, pub)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return filepath.Join(caseDir, "user-cert.pub")
}

// certRun runs ssh and reads the server's decision: the exit status, the
// output and the key of its "Accepted publickey" line for addr.
func certRun(t *testing.T, args []string, log func() string, addr string) certOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := sshdtest.RunSSH(ctx, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	o := certOutcome{ok: res.ExitCode == 0, out: string(res.Stdout)}
	if !o.ok && res.ExitCode != 255 {
		t.Errorf("ssh exit %d: %s", res.ExitCode, tail(string(res.Stderr)))
	}
	re := regexp.MustCompile(`Accepted publickey for root from ` + regexp.QuoteMeta(addr) + ` port \d+ ssh2: (.*)`)
	// The server may write its line just after ssh has finished.
	for range 50 {
		if m := re.FindStringSubmatch(log()); m != nil {
			o.accepted = strings.TrimSpace(m[1])
			break
		}
		if !o.ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if o.ok && o.accepted == "" {
		t.Errorf("accepted without an \"Accepted publickey\" line:\n%s", tail(log()))
	}
	return o
}
