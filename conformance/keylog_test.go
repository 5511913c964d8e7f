package conformance_test

// The key log of gossh and gosshd ($SSHKEYLOGFILE, kex.Config.KeyLog)
// decrypts a capture in Wireshark: a session through a recording proxy
// (pcap_test.go), then tshark with ssh.keylog_file must show the
// messages that only exist inside the encryption.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/wire"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

const tshark = "/usr/bin/tshark"

// tsharkFields are the fields tsharkMessages asks for: the message
// number and fields that only a decrypted message can have.
var tsharkFields = []string{"ssh.message_code", "ssh.service_name", "ssh.userauth_user_name",
	"ssh.userauth_method_name", "ssh.connection_type_name", "ssh.channel_data_length"}

// tsharkMessages runs tshark on a capture with a key log and returns the
// SSH message numbers it decoded, in frame order, one entry per message
// (a frame may hold several), and the values of the other tsharkFields
// (keyed by field name). The dissector's debug output goes to debugFile.
func tsharkMessages(t *testing.T, capture, keyLog, debugFile string, port uint16) (codes []string, fields map[string][]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	args := []string{"-n", "-r", capture, "-d", fmt.Sprintf("tcp.port==%d,ssh", port),
		"-o", "ssh.keylog_file:" + keyLog, "-o", "ssh.debug_file:" + debugFile,
		"-T", "fields", "-E", "separator=|", "-E", "aggregator=,"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	cmd := exec.CommandContext(ctx, tshark, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark %q: %v\n%s", args, err, errb.String())
	}
	fields = map[string][]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		for i, col := range strings.Split(l, "|") {
			for _, v := range strings.Split(col, ",") {
				if v = strings.TrimSpace(v); v == "" || i >= len(tsharkFields) {
					continue
				}
				if i == 0 {
					codes = append(codes, v)
				} else {
					fields[tsharkFields[i]] = append(fields[tsharkFields[i]], v)
				}
			}
		}
	}
	return codes, fields
}

// checkDecrypted fails t unless tshark's output holds every message of
// want and the decoded fields of the session keyLogRun ran as user.
func checkDecrypted(t *testing.T, what string, codes []string, fields map[string][]string, want map[string]string, user string) {
	t.Helper()
	if miss := missingMessages(codes, want); len(miss) > 0 {
		t.Errorf("tshark with %s did not decrypt %v; it saw %v", what, miss, codes)
	}
	for f, v := range map[string]string{"ssh.service_name": "ssh-userauth", "ssh.userauth_user_name": user,
		"ssh.userauth_method_name": "publickey", "ssh.connection_type_name": "session"} {
		if _, ok := want["90"]; !ok && f == "ssh.connection_type_name" {
			continue
		}
		// gossh authenticates with publickey-hostbound-v00@openssh.com
		// where the server offers it.
		if !slices.ContainsFunc(fields[f], func(got string) bool { return got == v || got == v+"-hostbound-v00@openssh.com" }) {
			t.Errorf("tshark with %s: %s is %q, want %q among them", what, f, fields[f], v)
		}
	}
	if _, ok := want["94"]; ok && !slices.Contains(fields["ssh.channel_data_length"], "17") {
		t.Errorf("tshark with %s: no CHANNEL_DATA of 17 bytes (hello, wireshark); lengths %q", what, fields["ssh.channel_data_length"])
	}
}

// checkOpaque fails t if tshark decoded, without a key log, any of the
// field values checkDecrypted looks for. (Without keys tshark 4.0.17
// parses some ciphertext as messages, so random message numbers and
// lengths do turn up; these strings do not.)
func checkOpaque(t *testing.T, fields map[string][]string, user string) {
	t.Helper()
	for f, v := range map[string]string{"ssh.service_name": "ssh-userauth", "ssh.userauth_user_name": user,
		"ssh.connection_type_name": "session", "ssh.channel_data_length": "17"} {
		if slices.Contains(fields[f], v) {
			t.Errorf("without the key log tshark decoded %s = %q", f, v)
		}
	}
}

// The messages that exist only inside the encryption, by number: their
// presence in tshark's output proves the key log decrypted the session.
var keyLogWant = map[string]string{
	"5": "SERVICE_REQUEST", "50": "USERAUTH_REQUEST", "52": "USERAUTH_SUCCESS",
	"90": "CHANNEL_OPEN", "98": "CHANNEL_REQUEST", "94": "CHANNEL_DATA",
}

// missingMessages returns the names of the keyLogWant messages codes
// lacks, sorted.
func missingMessages(codes []string, want map[string]string) []string {
	var miss []string
	for n, name := range want {
		if !slices.Contains(codes, n) {
			miss = append(miss, name)
		}
	}
	slices.Sort(miss)
	return miss
}

// keyLogSecrets returns the SHARED_SECRET lines of a key log file as
// cookie -> secret, and their count.
func keyLogSecrets(t *testing.T, path string) (map[string]string, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	var secrets []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		switch {
		case l == "":
		case len(f) == 3 && f[1] == "SHARED_SECRET" && len(f[0]) == 32:
			m[f[0]] = f[2]
			secrets = append(secrets, f[2])
		case len(f) == 2 && len(f[0]) == 32:
		default:
			t.Fatalf("key log line %q", l)
		}
	}
	return m, secrets
}

// keyLogPeer is a server for gossh to reach through the proxy.
type keyLogPeer struct {
	name       string
	addr       string   // the server's own address
	args       []string // gossh arguments but -p and UserKnownHostsFile
	user       string
	knownHosts func(port uint16) string // a known_hosts file for the proxy's port
	serverLog  string                   // the server's own key log, or ""
}

func knownHostsFor(t *testing.T, lines string, port uint16) string {
	re := regexp.MustCompile(`(?m)^\[127\.0\.0\.1\]:\d+`)
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(re.ReplaceAllString(lines, fmt.Sprintf("[127.0.0.1]:%d", port))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keyLogPeers starts OpenSSH's sshd and gosshd, the latter with
// SSHKEYLOGFILE in its environment.
func keyLogPeers(t *testing.T) []keyLogPeer {
	e := clStart(t, "RekeyLimit 1G")
	var kh strings.Builder
	for _, typ := range clHostKeyTypes {
		kh.WriteString(e.srv.KnownHostsLine(t, typ))
	}
	sshd := keyLogPeer{name: "sshd", addr: e.srv.Addr, args: []string{"-i", e.keyFile(t)}, user: e.user,
		knownHosts: func(port uint16) string { return knownHostsFor(t, kh.String(), port) }}

	gosshdLog := filepath.Join(t.TempDir(), "gosshd-keys.log")
	t.Setenv("SSHKEYLOGFILE", gosshdLog) // read by gosshd at start; gossh gets its own below
	s := svStart(t, []string{"ed25519"}, "Ciphers chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
		"MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-256")
	os.Unsetenv("SSHKEYLOGFILE")
	if fi, err := os.Stat(gosshdLog); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("gosshd's key log: %v, mode %v", err, fi.Mode())
	}
	khb, err := os.ReadFile(s.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	gosshd := keyLogPeer{name: "gosshd", addr: "127.0.0.1:" + s.port, args: []string{"-i", s.userKey}, user: "root",
		knownHosts: func(port uint16) string { return knownHostsFor(t, string(khb), port) }, serverLog: gosshdLog}
	return []keyLogPeer{sshd, gosshd}
}

// keyLogRun runs gossh through a recording proxy to p with $SSHKEYLOGFILE
// and the extra options, then writes the capture. It returns the capture,
// gossh's key log and the proxy.
func keyLogRun(t *testing.T, bin string, p keyLogPeer, stdin []byte, command string, opts ...string) (capture, keyLog string, proxy *pcapProxy) {
	t.Helper()
	proxy = startPcapProxy(t, p.addr)
	dir := t.TempDir()
	keyLog = filepath.Join(dir, "gossh-keys.log")
	args := append([]string{"-F", "none", "-p", fmt.Sprint(proxy.port), "-o", "UserKnownHostsFile=" + p.knownHosts(proxy.port),
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes"}, p.args...)
	for _, o := range opts {
		args = append(args, "-o", o)
	}
	if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "KexAlgorithms=") }) {
		args = append(args, "-o", "KexAlgorithms=curve25519-sha256")
	}
	args = append(args, "-l", p.user, "127.0.0.1", command)
	r := clGossh(t, bin, stdin, []string{"SSHKEYLOGFILE=" + keyLog}, args...)
	if r.code != 0 {
		t.Fatalf("gossh %q: %+v", args, r)
	}
	if fi, err := os.Stat(keyLog); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("gossh's key log: %v, mode %v", err, fi.Mode())
	}
	// gossh has exited; wait for the proxy to see both FINs.
	deadline := time.Now().Add(5 * time.Second)
	for !proxy.done() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	capture = filepath.Join(dir, "session.pcap")
	proxy.writePcap(t, capture)
	return capture, keyLog, proxy
}

// TestKeyLogWireshark: tshark decrypts gossh's sessions with sshd and
// with gosshd from gossh's key log alone, and those with gosshd from
// gosshd's key log alone, for each cipher and MAC that tshark 4.0.17
// (Debian 12) can decrypt; and across rekeys (3 MiB at RekeyLimit 1M),
// where tshark 4.0.17 stops at the first one, every key exchange is in
// both key logs with the same secret and keyLogReplay decrypts every
// byte of the session from gossh's key log and the capture alone.
//
// What tshark 4.0.17 cannot do, checked in its dissector's source and
// here by hand: read SHARED_SECRET lines (it reads the older
// "cookie private-key" lines, which KeyLogLines writes first), decrypt
// an -etm MAC's packets (it takes the plaintext length for ciphertext),
// follow strict kex's sequence number reset (so chacha20-poly1305,
// whose nonce is the sequence number, fails; TestKeyLogChaCha20 shows it
// decrypts without strict kex), decrypt an SSH packet split across TCP
// segments, follow a rekey (it installs the first keys only), or derive
// keys for group exchange.
func TestKeyLogWireshark(t *testing.T) {
	requireTshark(t)
	bin := clBuildGossh(t)
	for _, p := range keyLogPeers(t) {
		for _, c := range keyLogCases {
			t.Run(strings.TrimSuffix(p.name+"/"+c.kex+"/"+c.cipher+"+"+c.mac, "+"), func(t *testing.T) {
				opts := []string{"KexAlgorithms=" + c.kex, "Ciphers=" + c.cipher}
				if c.mac != "" {
					opts = append(opts, "MACs="+c.mac)
				}
				before := 0
				if p.serverLog != "" {
					_, s := keyLogSecrets(t, p.serverLog)
					before = len(s)
				}
				capture, keyLog, proxy := keyLogRun(t, bin, p, []byte("hello, wireshark\n"), "cat", opts...)
				port := proxy.port
				dbg := filepath.Join(t.TempDir(), "debug")
				if os.Getenv("KEYLOG_DEBUG") != "" {
					dbg = os.Getenv("KEYLOG_DEBUG")
				}
				codes, fields := tsharkMessages(t, capture, keyLog, dbg, port)
				checkDecrypted(t, "gossh's key log", codes, fields, keyLogWant, p.user)
				_, fields = tsharkMessages(t, capture, "/dev/null", dbg, port)
				checkOpaque(t, fields, p.user)
				if p.serverLog == "" {
					return
				}
				// gosshd's key log alone: its own cookie and private key.
				byCookie, secrets := keyLogSecrets(t, p.serverLog)
				if len(secrets) != before+1 {
					t.Fatalf("gosshd logged %d key exchanges for one session", len(secrets)-before)
				}
				codes, fields = tsharkMessages(t, capture, p.serverLog, dbg, port)
				checkDecrypted(t, "gosshd's key log", codes, fields, keyLogWant, p.user)
				_, clientSecrets := keyLogSecrets(t, keyLog)
				if len(clientSecrets) != 1 || !slices.Contains(secrets, clientSecrets[0]) {
					t.Errorf("gossh logged %v, gosshd %v", clientSecrets, byCookie)
				}
			})
		}
		if p.serverLog != "" {
			// gosshd's own environment stays out of the sessions it runs.
			t.Run(p.name+"/not in sessions", func(t *testing.T) {
				_, _, _ = keyLogRun(t, bin, p, nil, "test -z \"$SSHKEYLOGFILE\"")
			})
		}
		t.Run(p.name+"/rekey", func(t *testing.T) {
			before := 0
			if p.serverLog != "" {
				_, s := keyLogSecrets(t, p.serverLog)
				before = len(s)
			}
			data := make([]byte, 3<<20)
			rand.Read(data)
			capture, keyLog, proxy := keyLogRun(t, bin, p, data, "wc -c", "Ciphers=aes128-gcm@openssh.com", "RekeyLimit=1M")
			port := proxy.port
			byCookie, secrets := keyLogSecrets(t, keyLog)
			if len(secrets) < 3 {
				t.Fatalf("gossh logged %d key exchanges for 3 MiB at RekeyLimit 1M, want at least 3", len(secrets))
			}
			// Every key exchange decrypts from the key log: all 3 MiB
			// of stdin, and wc's answer after the last rekey.
			c2s, s2c := proxy.streams(t)
			client, server, n := keyLogReplay(t, c2s, s2c, byCookie, "aes128-gcm@openssh.com", "")
			t.Logf("replay: %d exchanges, %d+%d data bytes, codes c2s %d s2c %d", n, client.data, server.data, len(client.codes), len(server.codes))
			if n != len(secrets) {
				t.Errorf("replay followed %d key exchanges, the key log has %d", n, len(secrets))
			}
			if client.data != len(data) || server.data != len("3145728\n") {
				t.Errorf("replay decrypted %d bytes of CHANNEL_DATA from the client, %d from the server; want %d and %d",
					client.data, server.data, len(data), len("3145728\n"))
			}
			for _, m := range []wire.MsgNum{wire.MsgServiceRequest, wire.MsgUserauthRequest, wire.MsgChannelOpen, wire.MsgChannelRequest, wire.MsgChannelEOF} {
				if !slices.Contains(client.codes, m) {
					t.Errorf("replay: no %v from the client", m)
				}
			}
			for _, m := range []wire.MsgNum{wire.MsgUserauthSuccess, wire.MsgChannelOpenConfirmation, wire.MsgChannelClose} {
				if !slices.Contains(server.codes, m) {
					t.Errorf("replay: no %v from the server", m)
				}
			}
			// tshark 4.0.17 follows the first keys only: authentication
			// and the channel open decrypt, the rest after the first
			// rekey does not.
			want := map[string]string{"5": "SERVICE_REQUEST", "50": "USERAUTH_REQUEST", "52": "USERAUTH_SUCCESS", "90": "CHANNEL_OPEN"}
			codes, fields := tsharkMessages(t, capture, keyLog, filepath.Join(t.TempDir(), "debug"), port)
			checkDecrypted(t, "gossh's key log", codes, fields, want, p.user)
			if p.serverLog == "" {
				return
			}
			_, serverSecrets := keyLogSecrets(t, p.serverLog)
			if got := serverSecrets[before:]; !slices.Equal(got, secrets) {
				t.Errorf("gosshd logged %d secrets, gossh %d; they differ", len(got), len(secrets))
			}
		})
	}
}

// TestKeyLogChaCha20: chacha20-poly1305@openssh.com decrypts in tshark
// 4.0.17 from the key log of a session without strict kex (the library
// client with DisableStrictKex against sshd), since that Wireshark does
// not reset the sequence numbers that strict kex resets.
func TestKeyLogChaCha20(t *testing.T) {
	requireTshark(t)
	e := clStart(t)
	proxy := startPcapProxy(t, e.srv.Addr)
	var kh strings.Builder
	for _, typ := range clHostKeyTypes {
		kh.WriteString(e.srv.KnownHostsLine(t, typ))
	}
	var keyLog bytes.Buffer
	cfg := e.config()
	cfg.UserKnownHostsFiles = []string{knownHostsFor(t, kh.String(), proxy.port)}
	cfg.KexAlgorithms = []string{"curve25519-sha256"}
	cfg.Ciphers = []string{"chacha20-poly1305@openssh.com"}
	cfg.DisableStrictKex = true
	cfg.KeyLog = &keyLog
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "tcp", proxy.addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err := clRun(t, c, "cat", []byte("hello, wireshark\n")); err != nil || string(out) != "hello, wireshark\n" {
		t.Fatalf("cat: %q, %v", out, err)
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !proxy.done() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	dir := t.TempDir()
	capture, logPath := filepath.Join(dir, "session.pcap"), filepath.Join(dir, "keys.log")
	proxy.writePcap(t, capture)
	os.WriteFile(logPath, keyLog.Bytes(), 0o600)
	codes, fields := tsharkMessages(t, capture, logPath, filepath.Join(dir, "debug"), proxy.port)
	checkDecrypted(t, "the key log", codes, fields, keyLogWant, e.user)
	_, fields = tsharkMessages(t, capture, "/dev/null", filepath.Join(dir, "debug"), proxy.port)
	checkOpaque(t, fields, e.user)
}

// keyLogCase is one algorithm combination.
type keyLogCase struct {
	kex, cipher, mac string
}

// keyLogCases are the combinations tshark 4.0.17 decrypts: both ciphers
// it can follow under strict kex, and every key exchange family it
// recomputes K for. Group exchange is not among them: 4.0.17 parses its
// messages but derives no keys (its debug log shows no shared secret).
var keyLogCases = []keyLogCase{
	{"curve25519-sha256", "aes128-gcm@openssh.com", ""},
	{"curve25519-sha256", "aes256-ctr", "hmac-sha2-256"},
	{"curve25519-sha256@libssh.org", "aes128-gcm@openssh.com", ""},
	{"diffie-hellman-group14-sha256", "aes128-gcm@openssh.com", ""},
	{"diffie-hellman-group16-sha512", "aes128-gcm@openssh.com", ""},
}

func requireTshark(t *testing.T) {
	if _, err := os.Stat(tshark); err != nil {
		sshdtest.MissingPeer(t, "tshark not installed (apt-get install tshark)")
	}
}
