package conformance_test

// Interop with AsyncSSH 2.10.1 (Debian's python3-asyncssh under
// /usr/bin/python3) in both roles. As a client (testdata/asyncssh/
// client.py) it connects to package server in process once per kex,
// cipher, MAC and host key algorithm both implement (asked of asyncssh at
// run time, one dimension at a time), authenticates with each key type,
// a user certificate, password and keyboard-interactive, and runs exec
// with exit status and stderr, a 1 MiB echo, -L and -R forwards and
// zlib@openssh.com; against gosshd it also uses internal-sftp. As a
// server (testdata/asyncssh/server.py) it serves the client facade (and
// gossh) through the same matrix, publickey, password and
// keyboard-interactive, exec, a 1 MiB echo, both forwarding directions,
// SFTP and zlib@openssh.com.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// asPython is the interpreter that has asyncssh; the python3 on PATH may
// not.
const asPython = "/usr/bin/python3"

// asPassword is the password (and keyboard-interactive answer) of user
// alice on both test servers.
const asPassword = "open sesame"

// asAlgs are asyncssh's algorithm lists, asked of asyncssh itself.
type asAlgs struct {
	Kex, Enc, MAC, Cmp, PublicKey, Cert []string
}

var (
	asAlgsOnce sync.Once
	asAlgsList asAlgs
	asAlgsErr  error
)

// asNeed skips the test unless asyncssh imports, and returns its
// algorithm lists (everything it implements, not only its defaults).
func asNeed(t *testing.T) asAlgs {
	t.Helper()
	asAlgsOnce.Do(func() {
		const script = `
import json, asyncssh
from asyncssh import kex, encryption, mac, compression, public_key
n = lambda l: [a.decode() for a in l]
print(json.dumps({"Kex": n(kex.get_kex_algs()), "Enc": n(encryption.get_encryption_algs()),
    "MAC": n(mac.get_mac_algs()), "Cmp": n(compression.get_compression_algs()),
    "PublicKey": n(public_key.get_public_key_algs()), "Cert": n(public_key.get_certificate_algs())}))
`
		out, err := exec.Command(asPython, "-W", "ignore", "-c", script).Output()
		if err != nil {
			asAlgsErr = err
			return
		}
		asAlgsErr = json.Unmarshal(out, &asAlgsList)
	})
	if asAlgsErr != nil {
		sshdtest.MissingPeer(t, "asyncssh not available under %s: %v", asPython, asAlgsErr)
	}
	return asAlgsList
}

// asShared returns the names in both lists, in ours' order.
func asShared(ours, theirs []string) []string {
	var out []string
	for _, a := range ours {
		if slices.Contains(theirs, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// asCase is one connection client.py makes; see its doc string.
type asCase struct {
	Name     string   `json:"name"`
	Kex      []string `json:"kex,omitempty"`
	Enc      []string `json:"enc,omitempty"`
	MAC      []string `json:"mac,omitempty"`
	HostKey  []string `json:"hostkey,omitempty"`
	Cmp      []string `json:"cmp,omitempty"`
	Sig      []string `json:"sig,omitempty"`
	Key      string   `json:"key,omitempty"`
	Cert     string   `json:"cert,omitempty"`
	Password string   `json:"password,omitempty"`
	Kbdint   string   `json:"kbdint,omitempty"`
	Ops      []string `json:"ops"`
	Command  string   `json:"command,omitempty"`
	Echo     string   `json:"echo_command,omitempty"`
	Data     int      `json:"data,omitempty"`
	Forward  string   `json:"forward,omitempty"`
	SFTPDir  string   `json:"sftp_dir,omitempty"`
	User     string   `json:"user,omitempty"`
	Agent    string   `json:"agent,omitempty"`
	// RekeyBytes makes asyncssh rekey after this many bytes.
	RekeyBytes int `json:"rekey_bytes,omitempty"`
}

// asResult is client.py's line for one case.
type asResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	Info  struct {
		SendCipher      string `json:"send_cipher"`
		SendMAC         string `json:"send_mac"`
		SendCompression string `json:"send_compression"`
		RecvCipher      string `json:"recv_cipher"`
		RecvMAC         string `json:"recv_mac"`
		RecvCompression string `json:"recv_compression"`
		ServerVersion   string `json:"server_version"`
		ExitStatus      *int   `json:"exit_status"`
		Stdout          string `json:"stdout"`
		Stderr          string `json:"stderr"`
		Echoed          int    `json:"echoed"`
		Forwarded       string `json:"forwarded"`
		RForwarded      string `json:"rforwarded"`
		SFTP            int    `json:"sftp"`
		Pty             string `json:"pty"`
		Env             string `json:"env"`
		ExitSignal      string `json:"exit_signal"`
		Agent           string `json:"agent"`
	} `json:"info"`
}

// asRunClient runs client.py once for all cases against 127.0.0.1:port
// and returns its results by case name. If a case failed, it logs
// client.py's stderr, where ASYNCSSH_DEBUG=1 (to 3) in the environment
// has asyncssh log its side.
func asRunClient(t *testing.T, port int, user, knownHosts string, cases []asCase) map[string]asResult {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"port": port, "user": user, "known_hosts": knownHosts, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, asPython, "-W", "ignore", "testdata/asyncssh/client.py")
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = bytes.NewReader(doc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client.py: %v\n%s\n%s", err, out, tail(stderr.String()))
	}
	res := map[string]asResult{}
	failed := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r asResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("client.py printed %q: %v", sc.Text(), err)
		}
		res[r.Name] = r
		if !r.OK {
			failed = true
		}
	}
	if failed {
		t.Logf("client.py stderr:\n%s", tail(stderr.String()))
	}
	return res
}

// asKeyTypes are the types of the host and user keys on both sides.
var asKeyTypes = []string{hostkey.ED25519, hostkey.ECDSAP256, hostkey.ECDSAP384, hostkey.ECDSAP521, hostkey.RSA}

// asGenerate makes a key of typ; RSA keys have 2048 bits, which is quick.
func asGenerate(t *testing.T, typ string) *hostkey.CryptoSigner {
	t.Helper()
	bits := 0
	if typ == hostkey.RSA {
		bits = 2048
	}
	k, err := hostkey.GenerateKey(rand.Reader, typ, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// asCert certifies key for principal, valid from an hour ago to an hour
// from now.
func asCert(t *testing.T, key hostkey.PublicKey, ca hostkey.Signer, certType uint32, principal string) *hostkey.Certificate {
	t.Helper()
	now := time.Now()
	cert := &hostkey.Certificate{Key: key, CertType: certType, KeyID: "asyncssh-test", ValidPrincipals: []string{principal},
		ValidAfter: uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix())}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return cert
}

// asKeyFile writes k as an OpenSSH private key file in dir.
func asKeyFile(t *testing.T, dir, name string, k *hostkey.CryptoSigner) string {
	t.Helper()
	pem, err := hostkey.MarshalPrivateKey(k.Crypto(), name, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return uaWrite(t, filepath.Join(dir, name), pem, 0o600)
}

// asSeen records, by the tag a client put in its command, what package
// server saw of the connection.
type asSeen struct {
	mu   sync.Mutex
	algs map[string]kex.Algorithms
	auth map[string][]string
}

func (s *asSeen) record(tag string, c *server.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.algs[tag] = c.Algorithms()
	s.auth[tag] = c.AuthResult().Methods
}

func (s *asSeen) get(tag string) (kex.Algorithms, []string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.algs[tag]
	return a, s.auth[tag], ok
}

// asLog is a log buffer for a server's slog records.
type asLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *asLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *asLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// asOurServer is package server in process with every algorithm asyncssh
// also implements enabled, and a host key of every type.
type asOurServer struct {
	port       int
	knownHosts string
	seen       *asSeen
	log        *asLog
	kexes      []string
	ciphers    []string
	macs       []string
	hostAlgs   []string
}

// asStartOurServer runs package server for the user alice: publickey for
// the given keys and certificates from ca, password and
// keyboard-interactive with asPassword, direct-tcpip to loopback and the
// commands "echo TAG" (input back as output) and "status N TAG" ("out"
// on stdout, "err" on stderr, exit status N); TAG names the connection
// in seen.
func asStartOurServer(t *testing.T, algs asAlgs, users []hostkey.PublicKey, ca hostkey.PublicKey) *asOurServer {
	t.Helper()
	dir := t.TempDir()
	var hostKeys []hostkey.Signer
	var known []byte
	for _, typ := range asKeyTypes {
		// Server.AllowSHA1HostKey below makes even these signers,
		// which refuse SHA-1 by themselves, sign with ssh-rsa.
		hostKeys = append(hostKeys, asGenerate(t, typ))
	}
	// Each key also as a host certificate, trusted through
	// @cert-authority.
	hostCA := uaKey(t, hostkey.ED25519)
	for _, k := range hostKeys {
		cert := asCert(t, k.PublicKey(), hostCA, hostkey.HostCert, "127.0.0.1")
		cs, err := hostkey.NewCertSigner(cert, k)
		if err != nil {
			t.Fatal(err)
		}
		hostKeys = append(hostKeys, cs)
	}
	s := &asOurServer{seen: &asSeen{algs: map[string]kex.Algorithms{}, auth: map[string][]string{}}, log: &asLog{}}
	s.kexes = asShared(kex.Methods(), algs.Kex)
	s.ciphers = asShared(cipher.Ciphers(), algs.Enc)
	s.macs = asShared(cipher.MACs(), algs.MAC)
	// The client's list names every host key algorithm we implement,
	// certificates included.
	for _, a := range asShared(client.SupportedAlgorithms(client.AlgKeys), append(algs.PublicKey, algs.Cert...)) {
		if !strings.HasPrefix(a, "sk-") {
			s.hostAlgs = append(s.hostAlgs, a)
		}
	}
	l := servertest.Listen(t)
	s.port = servertest.Port(l)
	for _, k := range hostKeys {
		if !hostkey.IsCertAlgorithm(k.PublicKey().Type()) {
			known = append(known, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", s.port)}, k.PublicKey(), false)...)
		}
	}
	known = append(known, "@cert-authority "...)
	known = append(known, hostkey.MarshalKnownHost([]string{client.KnownHostsAddress("127.0.0.1", s.port)}, hostCA.PublicKey(), false)...)
	s.knownHosts = uaWrite(t, filepath.Join(dir, "known_hosts"), known, 0o600)
	srv := &server.Server{
		HostKeys:          hostKeys,
		AllowSHA1HostKey:  true,
		KexAlgorithms:     s.kexes,
		Ciphers:           s.ciphers,
		MACs:              s.macs,
		HostKeyAlgorithms: s.hostAlgs,
		Compression:       []string{packet.CompressionDelayed, packet.CompressionNone},
		Logger:            slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Auth: &userauth.ServerConfig{
			FailureDelay: -1,
			PublicKeyCallback: func(_ context.Context, m userauth.ConnMeta, key hostkey.PublicKey) (*userauth.Permissions, error) {
				if m.User == "alice" && slices.ContainsFunc(users, func(k hostkey.PublicKey) bool { return hostkey.Equal(k, key) }) {
					return &userauth.Permissions{}, nil
				}
				return nil, errors.New("not authorized")
			},
			CertChecker: &hostkey.CertChecker{IsUserAuthority: func(k hostkey.PublicKey) bool { return hostkey.Equal(k, ca) }},
			PasswordCallback: func(_ context.Context, m userauth.ConnMeta, pw string) (*userauth.Permissions, error) {
				if m.User == "alice" && pw == asPassword {
					return &userauth.Permissions{}, nil
				}
				return nil, errors.New("wrong password")
			},
			KeyboardInteractiveCallback: func(ctx context.Context, m userauth.ConnMeta, ask func(context.Context, userauth.Challenge) ([]string, error)) (*userauth.Permissions, error) {
				a, err := ask(ctx, userauth.Challenge{Instruction: "two codes", Prompts: []wire.Prompt{{Text: "Code: "}, {Text: "Again: ", Echo: true}}})
				if err != nil {
					return nil, err
				}
				if m.User != "alice" || len(a) != 2 || a[0] != asPassword || a[1] != asPassword {
					return nil, errors.New("wrong code")
				}
				return &userauth.Permissions{}, nil
			},
		},
		PermitOpen:   func(_ *server.Conn, host string, _ uint32) bool { return host == "127.0.0.1" },
		PermitListen: func(_ *server.Conn, host string, _ uint32) bool { return host == "127.0.0.1" },
		Handler: func(_ context.Context, ss *server.Session) {
			f := strings.Fields(ss.Command())
			if len(f) == 0 {
				ss.Exit(127)
				return
			}
			s.seen.record(f[len(f)-1], ss.Conn())
			switch {
			case f[0] == "echo":
				io.Copy(ss, ss)
				ss.Exit(0)
			case f[0] == "status" && len(f) == 3:
				n, _ := strconv.Atoi(f[1])
				io.WriteString(ss, "out\n")
				io.WriteString(ss.Stderr(), "err\n")
				ss.Exit(uint32(n))
			default:
				ss.Exit(127)
			}
		},
	}
	servertest.Serve(t, srv, l)
	return s
}

// TestAsyncSSHClientToOurServer runs asyncssh's client against package
// server: every shared kex, cipher, MAC (under aes128-ctr) and host key
// algorithm (host certificates included), each forced alone on
// asyncssh's side with 64 KiB through "echo"; then publickey with each
// key type (RSA with rsa-sha2-256 and rsa-sha2-512), a user certificate,
// password and keyboard-interactive, each with exec exit status and
// stderr; a 1 MiB echo, -L and -R forwards, and zlib@openssh.com. The
// server's view of each connection (negotiated algorithms, auth methods)
// is checked too.
func TestAsyncSSHClientToOurServer(t *testing.T) {
	algs := asNeed(t)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	dir := t.TempDir()
	keys := map[string]string{}
	var users []hostkey.PublicKey
	for _, typ := range asKeyTypes {
		k := asGenerate(t, typ)
		keys[typ] = asKeyFile(t, dir, "id_"+typ, k)
		users = append(users, k.PublicKey())
	}
	ca := uaKey(t, hostkey.ED25519)
	certKey := uaKey(t, hostkey.ED25519)
	certFile := asKeyFile(t, dir, "id_cert", certKey)
	cert := asCert(t, certKey.PublicKey(), ca, hostkey.UserCert, "alice")
	uaWrite(t, certFile+"-cert.pub", hostkey.MarshalAuthorizedKey(cert, ""), 0o644)
	s := asStartOurServer(t, algs, users, ca.PublicKey())
	echo := clEcho(t, "tcp", "127.0.0.1:0")
	t.Logf("shared with asyncssh: %d kex %v, %d ciphers %v, %d MACs %v, %d host key algorithms %v",
		len(s.kexes), s.kexes, len(s.ciphers), s.ciphers, len(s.macs), s.macs, len(s.hostAlgs), s.hostAlgs)
	if len(s.kexes) < 8 || len(s.ciphers) < 6 || len(s.macs) < 4 || len(s.hostAlgs) < 6 {
		t.Fatal("fewer shared algorithms than expected")
	}

	// check says what is wrong with the server's view of a connection.
	type check func(a kex.Algorithms, methods []string) string
	type tc struct {
		c     asCase
		check check
	}
	var cases []tc
	matrix := func(name string, c asCase, ck check) {
		c.Name, c.Key, c.Ops, c.Echo, c.Data = name, keys[hostkey.ED25519], []string{"echo"}, "echo "+name, 64<<10
		cases = append(cases, tc{c, ck})
	}
	for _, k := range s.kexes {
		matrix("kex="+k, asCase{Kex: []string{k}}, func(a kex.Algorithms, _ []string) string {
			if a.Kex != k {
				return a.Kex
			}
			return ""
		})
	}
	for _, c := range s.ciphers {
		matrix("cipher="+c, asCase{Enc: []string{c}}, func(a kex.Algorithms, _ []string) string {
			if a.ClientToServer.Cipher != c || a.ServerToClient.Cipher != c {
				return a.ClientToServer.Cipher + " " + a.ServerToClient.Cipher
			}
			return ""
		})
	}
	for _, m := range s.macs {
		matrix("mac="+m, asCase{Enc: []string{"aes128-ctr"}, MAC: []string{m}}, func(a kex.Algorithms, _ []string) string {
			if a.ClientToServer.MAC != m || a.ServerToClient.MAC != m {
				return a.ClientToServer.MAC + " " + a.ServerToClient.MAC
			}
			return ""
		})
	}
	for _, h := range s.hostAlgs {
		matrix("hostkey="+h, asCase{HostKey: []string{h}}, func(a kex.Algorithms, _ []string) string {
			if a.HostKey != h {
				return a.HostKey
			}
			return ""
		})
	}
	auth := func(name string, c asCase, method string) {
		c.Name, c.Ops, c.Command, c.Echo, c.Data = name, []string{"exec", "echo"}, "status 7 "+name, "echo "+name, 4096
		cases = append(cases, tc{c, func(_ kex.Algorithms, methods []string) string {
			if !slices.Equal(methods, []string{method}) {
				return fmt.Sprint(methods)
			}
			return ""
		}})
	}
	for _, typ := range []string{hostkey.ED25519, hostkey.ECDSAP256, hostkey.ECDSAP384, hostkey.ECDSAP521} {
		auth("publickey="+typ, asCase{Key: keys[typ]}, "publickey")
	}
	auth("publickey=rsa-sha2-256", asCase{Key: keys[hostkey.RSA], Sig: []string{hostkey.RSASHA256}}, "publickey")
	auth("publickey=rsa-sha2-512", asCase{Key: keys[hostkey.RSA], Sig: []string{hostkey.RSASHA512}}, "publickey")
	auth("publickey=certificate", asCase{Key: certFile, Cert: certFile + "-cert.pub"}, "publickey")
	auth("password", asCase{Password: asPassword}, "password")
	auth("keyboard-interactive", asCase{Kbdint: asPassword}, "keyboard-interactive")
	const session = "session"
	cases = append(cases, tc{asCase{Name: session, Key: keys[hostkey.ED25519], Ops: []string{"exec", "echo", "forward", "rforward"},
		Command: "status 7 " + session, Echo: "echo " + session, Data: 1 << 20, Forward: echo.Addr().String()}, nil})
	// asyncssh 2.10.1 goes on sending CHANNEL_DATA after its KEXINIT,
	// before NEWKEYS (RFC 4253, Section 7.1 forbids it; OpenSSH accepts
	// it, and so does kex since it delivers such messages of a rekey).
	const rekey = "rekey-started-by-asyncssh-mid-transfer"
	cases = append(cases, tc{asCase{Name: rekey, Key: keys[hostkey.ED25519], Ops: []string{"echo"}, Echo: "echo " + rekey,
		Data: 1 << 20, RekeyBytes: 128 << 10}, nil})
	const compression = "compression=zlib@openssh.com"
	cases = append(cases, tc{asCase{Name: compression, Key: keys[hostkey.ED25519], Cmp: []string{packet.CompressionDelayed},
		Ops: []string{"echo"}, Echo: "echo " + compression, Data: 1 << 20}, func(a kex.Algorithms, _ []string) string {
		if a.ClientToServer.Compression != packet.CompressionDelayed || a.ServerToClient.Compression != packet.CompressionDelayed {
			return a.ClientToServer.Compression + " " + a.ServerToClient.Compression
		}
		return ""
	}})

	var run []asCase
	for _, c := range cases {
		run = append(run, c.c)
	}
	results := asRunClient(t, s.port, "alice", s.knownHosts, run)
	passed := 0
	for _, c := range cases {
		t.Run(c.c.Name, func(t *testing.T) {
			r, ok := results[c.c.Name]
			if !ok {
				t.Fatal("client.py printed no result")
			}
			if !r.OK {
				t.Fatalf("asyncssh: %s\n%s", r.Error, tail(s.log.String()))
			}
			if slices.Contains(c.c.Ops, "exec") {
				if r.Info.ExitStatus == nil || *r.Info.ExitStatus != 7 || r.Info.Stdout != "out\n" || r.Info.Stderr != "err\n" {
					t.Errorf("exec: status %v stdout %q stderr %q", r.Info.ExitStatus, r.Info.Stdout, r.Info.Stderr)
				}
			}
			if slices.Contains(c.c.Ops, "echo") && r.Info.Echoed != c.c.Data {
				t.Errorf("echoed %d bytes of %d", r.Info.Echoed, c.c.Data)
			}
			if slices.Contains(c.c.Ops, "forward") && r.Info.Forwarded == "" {
				t.Error("no echo through the -L forward")
			}
			if slices.Contains(c.c.Ops, "rforward") && r.Info.RForwarded == "" {
				t.Error("no echo through the -R forward")
			}
			for _, want := range c.c.Enc {
				if r.Info.SendCipher != want || r.Info.RecvCipher != want {
					t.Errorf("asyncssh reports ciphers %s and %s", r.Info.SendCipher, r.Info.RecvCipher)
				}
			}
			for _, want := range c.c.MAC {
				if r.Info.SendMAC != want || r.Info.RecvMAC != want {
					t.Errorf("asyncssh reports MACs %s and %s", r.Info.SendMAC, r.Info.RecvMAC)
				}
			}
			for _, want := range c.c.Cmp {
				if r.Info.SendCompression != want || r.Info.RecvCompression != want {
					t.Errorf("asyncssh reports compression %s and %s", r.Info.SendCompression, r.Info.RecvCompression)
				}
			}
			a, methods, ok := s.seen.get(c.c.Name)
			if !ok {
				t.Fatal("the server saw no command from this connection")
			}
			if c.check != nil {
				if got := c.check(a, methods); got != "" {
					t.Errorf("server negotiated or authenticated %s", got)
				}
			}
			if !t.Failed() {
				passed++
			}
		})
	}
	t.Logf("asyncssh client -> package server: %d of %d cases passed", passed, len(cases))
}

// TestAsyncSSHClientToGosshd runs asyncssh's client against the gosshd
// binary: publickey; exec through the user's shell with exit status and
// stderr, a 1 MiB echo through cat, a -L forward, SFTP put and get through
// internal-sftp; a pty, an accepted environment variable and an exit
// signal; agent forwarding; zlib@openssh.com; and, as root, password and
// keyboard-interactive through PAM for a throwaway account.
func TestAsyncSSHClientToGosshd(t *testing.T) {
	asNeed(t)
	const password = "Asyncssh-Test-Passw0rd"
	var pamUser string
	if os.Geteuid() == 0 {
		pamUser = uaLocalUser(t, password)
	}
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	s := svStart(t, []string{"ed25519"}, "Subsystem sftp internal-sftp", "Compression yes", "AcceptEnv LC_*",
		"UsePAM yes", "PasswordAuthentication yes", "KbdInteractiveAuthentication yes")
	echo := servertest.EchoAddr(t)
	agentKey := uaKey(t, hostkey.ED25519)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	uaAgent(t, sock, agentKey)
	agentPub := string(bytes.Fields(hostkey.MarshalAuthorizedKey(agentKey.PublicKey(), ""))[1])

	type tc struct {
		c     asCase
		check func(r asResult) string // what is wrong
	}
	cases := []tc{
		{asCase{Name: "session", Key: s.userKey, Ops: []string{"exec", "echo", "forward", "sftp"}, Command: "echo out; echo err >&2; exit 7",
			Echo: "cat", Data: 1 << 20, Forward: echo, SFTPDir: t.TempDir()}, func(r asResult) string {
			if r.Info.ExitStatus == nil || *r.Info.ExitStatus != 7 || r.Info.Stdout != "out\n" || r.Info.Stderr != "err\n" {
				return fmt.Sprintf("exec: status %v stdout %q stderr %q", r.Info.ExitStatus, r.Info.Stdout, r.Info.Stderr)
			}
			if r.Info.Echoed != 1<<20 || r.Info.Forwarded == "" || r.Info.SFTP == 0 {
				return fmt.Sprintf("echoed %d bytes, forwarded %q, sftp %d bytes", r.Info.Echoed, r.Info.Forwarded, r.Info.SFTP)
			}
			return ""
		}},
		{asCase{Name: "pty, env and exit signal", Key: s.userKey, Ops: []string{"pty", "env", "signal"}}, func(r asResult) string {
			if !strings.Contains(r.Info.Pty, "/dev/pts/") || !strings.Contains(r.Info.Pty, "30 100") || r.Info.Env != "sent\n" ||
				r.Info.ExitSignal != "TERM" {
				return fmt.Sprintf("pty %q, env %q, exit signal %q", r.Info.Pty, r.Info.Env, r.Info.ExitSignal)
			}
			return ""
		}},
		{asCase{Name: "agent forwarding", Key: s.userKey, Ops: []string{"agent"}, Agent: sock}, func(r asResult) string {
			if !strings.Contains(r.Info.Agent, agentPub) {
				return fmt.Sprintf("ssh-add -L through the forwarded agent: %q", r.Info.Agent)
			}
			return ""
		}},
		{asCase{Name: "compression=zlib@openssh.com", Key: s.userKey, Cmp: []string{packet.CompressionDelayed}, Ops: []string{"echo"},
			Echo: "cat", Data: 1 << 20}, func(r asResult) string {
			if r.Info.SendCompression != packet.CompressionDelayed || r.Info.RecvCompression != packet.CompressionDelayed || r.Info.Echoed != 1<<20 {
				return fmt.Sprintf("compression %q and %q, echoed %d", r.Info.SendCompression, r.Info.RecvCompression, r.Info.Echoed)
			}
			return ""
		}},
	}
	if pamUser != "" {
		whoami := func(r asResult) string {
			if r.Info.Stdout != pamUser+"\n" {
				return fmt.Sprintf("id -un printed %q", r.Info.Stdout)
			}
			return ""
		}
		cases = append(cases,
			tc{asCase{Name: "PAM password", User: pamUser, Password: password, Ops: []string{"exec"}, Command: "id -un"}, whoami},
			tc{asCase{Name: "PAM keyboard-interactive", User: pamUser, Kbdint: password, Ops: []string{"exec"}, Command: "id -un"}, whoami})
	}
	var run []asCase
	for _, c := range cases {
		run = append(run, c.c)
	}
	results := asRunClient(t, atoiPort(t, s.port), "root", s.knownHosts, run)
	passed := 0
	for _, c := range cases {
		t.Run(c.c.Name, func(t *testing.T) {
			r := results[c.c.Name]
			if !r.OK {
				t.Fatalf("asyncssh: %q\n%s", r.Error, tail(s.logText()))
			}
			if !strings.HasPrefix(r.Info.ServerVersion, "SSH-2.0-") {
				t.Errorf("server version %q", r.Info.ServerVersion)
			}
			if got := c.check(r); got != "" {
				t.Error(got)
			} else {
				passed++
			}
		})
	}
	if pamUser == "" {
		t.Run("PAM", func(t *testing.T) { t.Skip("a throwaway account for PAM needs root") })
	}
	time.Sleep(100 * time.Millisecond)
	want := []string{"Accepted publickey for root from 127.0.0.1 port ", "compression: zlib@openssh.com"}
	if pamUser != "" {
		want = append(want, "Accepted password for "+pamUser, "Accepted keyboard-interactive for "+pamUser)
	}
	for _, w := range want {
		if !strings.Contains(s.logText(), w) {
			t.Errorf("gosshd log lacks %q", w)
		}
	}
	t.Logf("asyncssh client -> gosshd: %d of %d cases passed", passed, len(cases))
}

func atoiPort(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// asTheirServer is a running testdata/asyncssh/server.py.
type asTheirServer struct {
	addr        string
	port        int
	knownHosts  string
	hostKeyAlgs []string // what it offers in KEXINIT
	stderr      *asLog
}

// asStartTheirServer writes a host key of every type with a host
// certificate each, and runs server.py for user alice with the given
// authorized_keys content, until the test ends.
func asStartTheirServer(t *testing.T, authorized []byte, rekeyBytes int) *asTheirServer {
	t.Helper()
	dir := t.TempDir()
	hostCA := uaKey(t, hostkey.ED25519)
	var keyFiles, certFiles []string
	var pubs []hostkey.PublicKey
	for _, typ := range asKeyTypes {
		k := asGenerate(t, typ)
		p := asKeyFile(t, dir, "host_"+typ, k)
		cert := asCert(t, k.PublicKey(), hostCA, hostkey.HostCert, "127.0.0.1")
		keyFiles = append(keyFiles, p)
		certFiles = append(certFiles, uaWrite(t, p+"-cert.pub", hostkey.MarshalAuthorizedKey(cert, ""), 0o644))
		pubs = append(pubs, k.PublicKey())
	}
	conf, err := json.Marshal(map[string]any{"host_keys": keyFiles, "host_certs": certFiles, "user": "alice", "password": asPassword,
		"authorized_keys": uaWrite(t, filepath.Join(dir, "authorized_keys"), authorized, 0o644), "rekey_bytes": rekeyBytes})
	if err != nil {
		t.Fatal(err)
	}
	confFile := uaWrite(t, filepath.Join(dir, "server.json"), conf, 0o644)
	cmd := exec.Command(asPython, "-W", "ignore", "testdata/asyncssh/server.py", confFile)
	s := &asTheirServer{stderr: &asLog{}}
	cmd.Stderr = s.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "stdout")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	cmd.Stdout = out
	// server.py prints "hostkeys ALG,..." and then "port N" once it
	// listens; it exits when its stdin closes.
	printed := func() string { b, _ := os.ReadFile(outPath); return string(b) }
	d, err := sshdtest.StartDaemon(cmd, func() bool {
		_, port, ok := strings.Cut(printed(), "\nport ")
		return ok && strings.HasSuffix(port, "\n")
	}, 30*time.Second)
	if err != nil {
		t.Fatalf("server.py did not start: %v\n%s\n%s", err, printed(), s.stderr.String())
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := d.Wait(10 * time.Second); err != nil {
			t.Errorf("server.py did not exit within 10 s of its stdin closing: %v", err)
		}
	})
	for _, line := range strings.Split(strings.TrimSpace(printed()), "\n") {
		if algs, ok := strings.CutPrefix(line, "hostkeys "); ok {
			s.hostKeyAlgs = strings.Split(algs, ",")
		} else if _, err := fmt.Sscanf(line, "port %d", &s.port); err != nil {
			t.Fatalf("server.py printed %q: %v", line, err)
		}
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	// known_hosts: every plain key, and the host CA for the certificates.
	var kh []byte
	name := client.KnownHostsAddress("127.0.0.1", s.port)
	for _, k := range pubs {
		kh = append(kh, hostkey.MarshalKnownHost([]string{name}, k, false)...)
	}
	kh = append(kh, "@cert-authority "...)
	kh = append(kh, hostkey.MarshalKnownHost([]string{name}, hostCA.PublicKey(), false)...)
	s.knownHosts = uaWrite(t, filepath.Join(dir, "known_hosts"), kh, 0o600)
	return s
}

// TestOurClientAgainstAsyncSSH runs the client facade against asyncssh's
// server: every shared kex, cipher, MAC (under aes128-ctr) and host key
// algorithm (host certificates included), one forced at a time, with 64
// KiB through "echo"; publickey with each key type and a user
// certificate (cert-authority in authorized_keys), password and
// keyboard-interactive; exec with exit status and stderr, a 1 MiB echo,
// direct-tcpip, tcpip-forward, SFTP, pty-req and env, an exit signal,
// agent forwarding, a keepalive and a rekey we start, zlib@openssh.com,
// and gossh (including -o HostKeyAlgorithms=ssh-rsa).
func TestOurClientAgainstAsyncSSH(t *testing.T) {
	algs := asNeed(t)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	users := map[string]*hostkey.CryptoSigner{}
	var authorized []byte
	for _, typ := range asKeyTypes {
		k := asGenerate(t, typ)
		users[typ] = k
		authorized = append(authorized, hostkey.MarshalAuthorizedKey(k.PublicKey(), typ)...)
	}
	ca := uaKey(t, hostkey.ED25519)
	authorized = append(authorized, "cert-authority "...)
	authorized = append(authorized, hostkey.MarshalAuthorizedKey(ca.PublicKey(), "user CA")...)
	certKey := uaKey(t, hostkey.ED25519)
	cert := asCert(t, certKey.PublicKey(), ca, hostkey.UserCert, "alice")
	certSigner, err := hostkey.NewCertSigner(cert, certKey)
	if err != nil {
		t.Fatal(err)
	}
	s := asStartTheirServer(t, authorized, 0)

	kexes := asShared(client.SupportedAlgorithms(client.AlgKex), algs.Kex)
	ciphers := asShared(client.SupportedAlgorithms(client.AlgCiphers), algs.Enc)
	macs := asShared(client.SupportedAlgorithms(client.AlgMACs), algs.MAC)
	// asyncssh 2.10.1's server offers RSA host certificates only as
	// ssh-rsa-cert-v01@openssh.com (SHA-1), which we do not implement:
	// rsa-sha2-256/512-cert-v01 are negotiated away.
	var keys, away []string
	for _, k := range asShared(client.SupportedAlgorithms(client.AlgKeys), append(algs.PublicKey, algs.Cert...)) {
		switch {
		case strings.HasPrefix(k, "sk-"):
		case !slices.Contains(s.hostKeyAlgs, k):
			away = append(away, k)
		default:
			keys = append(keys, k)
		}
	}
	if len(away) > 0 {
		t.Logf("host key algorithms asyncssh implements but its server does not offer: %v", away)
	}
	t.Logf("shared with asyncssh: %d kex %v, %d ciphers %v, %d MACs %v, %d host key algorithms %v",
		len(kexes), kexes, len(ciphers), ciphers, len(macs), macs, len(keys), keys)
	if len(kexes) < 8 || len(ciphers) < 6 || len(macs) < 4 || len(keys) < 6 {
		t.Fatal("fewer shared algorithms than expected")
	}

	config := func(auth ...userauth.Method) *client.Config {
		if auth == nil {
			auth = []userauth.Method{userauth.InMemoryPrivateKey(users[hostkey.ED25519])}
		}
		return &client.Config{User: "alice", Auth: auth, UserKnownHostsFiles: []string{s.knownHosts}, GlobalKnownHostsFiles: []string{}}
	}
	dial := func(t *testing.T, cfg *client.Config) *client.Client {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, "tcp", s.addr, cfg)
		if err != nil {
			t.Fatalf("dial: %v\n%s", err, tail(s.stderr.String()))
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	passed, total := 0, 0
	count := func(t *testing.T) {
		total++
		t.Cleanup(func() {
			if !t.Failed() {
				passed++
			}
		})
	}
	data := make([]byte, 64<<10)
	rand.Read(data)
	try := func(t *testing.T, set func(*client.Config), check func(kex.Algorithms) string) {
		t.Helper()
		count(t)
		cfg := config()
		set(cfg)
		c := dial(t, cfg)
		if got := check(c.Algorithms()); got != "" {
			t.Errorf("negotiated %s", got)
		}
		out, _, err := clRun(t, c, "echo", data)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("echo: %d bytes of %d, %v", len(out), len(data), err)
		}
	}
	for _, k := range kexes {
		t.Run("kex="+k, func(t *testing.T) {
			try(t, func(c *client.Config) { c.KexAlgorithms = []string{k} }, func(a kex.Algorithms) string {
				if a.Kex != k {
					return a.Kex
				}
				return ""
			})
		})
	}
	for _, ci := range ciphers {
		t.Run("cipher="+ci, func(t *testing.T) {
			try(t, func(c *client.Config) { c.Ciphers = []string{ci} }, func(a kex.Algorithms) string {
				if a.ClientToServer.Cipher != ci || a.ServerToClient.Cipher != ci {
					return a.ClientToServer.Cipher + " " + a.ServerToClient.Cipher
				}
				return ""
			})
		})
	}
	for _, m := range macs {
		t.Run("mac="+m, func(t *testing.T) {
			try(t, func(c *client.Config) { c.Ciphers = []string{"aes128-ctr"}; c.MACs = []string{m} }, func(a kex.Algorithms) string {
				if a.ClientToServer.MAC != m || a.ServerToClient.MAC != m {
					return a.ClientToServer.MAC + " " + a.ServerToClient.MAC
				}
				return ""
			})
		})
	}
	for _, k := range keys {
		t.Run("hostkey="+k, func(t *testing.T) {
			try(t, func(c *client.Config) { c.HostKeyAlgorithms = []string{k} }, func(a kex.Algorithms) string {
				if a.HostKey != k {
					return a.HostKey
				}
				return ""
			})
		})
	}

	kbdint := &userauth.KeyboardInteractive{Respond: func(_ context.Context, ch userauth.Challenge) ([]string, error) {
		answers := make([]string, len(ch.Prompts))
		for i := range answers {
			answers[i] = asPassword
		}
		return answers, nil
	}}
	authCases := []struct {
		name, method string
		source       userauth.Method
	}{
		{"publickey=ssh-ed25519", "publickey", userauth.InMemoryPrivateKey(users[hostkey.ED25519])},
		{"publickey=ecdsa-sha2-nistp256", "publickey", userauth.InMemoryPrivateKey(users[hostkey.ECDSAP256])},
		{"publickey=ecdsa-sha2-nistp384", "publickey", userauth.InMemoryPrivateKey(users[hostkey.ECDSAP384])},
		{"publickey=ecdsa-sha2-nistp521", "publickey", userauth.InMemoryPrivateKey(users[hostkey.ECDSAP521])},
		{"publickey=rsa", "publickey", userauth.InMemoryPrivateKey(users[hostkey.RSA])},
		{"publickey=certificate", "publickey", userauth.InMemoryPrivateKey(certSigner)},
		{"password", "password", userauth.StaticPassword(asPassword)},
		{"keyboard-interactive", "keyboard-interactive", kbdint},
	}
	for _, ac := range authCases {
		t.Run(ac.name, func(t *testing.T) {
			count(t)
			c := dial(t, config(ac.source))
			if got := c.AuthMethod(); got != ac.method {
				t.Errorf("authenticated with %q", got)
			}
			out, errOut, err := clRun(t, c, "status 7", nil)
			var ee *client.ExitError
			if !errors.As(err, &ee) || ee.Status != 7 || string(out) != "out\n" || string(errOut) != "err\n" {
				t.Errorf("status 7: %v, stdout %q, stderr %q", err, out, errOut)
			}
		})
	}

	t.Run("session", func(t *testing.T) {
		count(t)
		c := dial(t, config())
		if !strings.Contains(c.ServerVersion(), "AsyncSSH") {
			t.Errorf("server version %q", c.ServerVersion())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		big := make([]byte, 1<<20)
		rand.Read(big)
		if out, _, err := clRun(t, c, "echo", big); err != nil || !bytes.Equal(out, big) {
			t.Errorf("1 MiB echo: %d bytes back, %v", len(out), err)
		}
		_, _, err := clRun(t, c, "status 0", nil)
		if err != nil {
			t.Errorf("status 0: %v", err)
		}
		t.Run("direct-tcpip", func(t *testing.T) {
			echo := clEcho(t, "tcp", "127.0.0.1:0")
			conn, err := c.Dial(ctx, "tcp", echo.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			clPing(t, conn, "via asyncssh -L")
		})
		t.Run("tcpip-forward", func(t *testing.T) {
			port, err := sshdtest.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				conn, err := l.(*client.Listener).AcceptContext(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(conn, conn)
				conn.Close()
			})
			conn, err := net.DialTimeout("tcp", l.Addr().String(), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			clPing(t, conn, "via asyncssh -R")
		})
		t.Run("tcpip-forward port 0", func(t *testing.T) {
			// asyncssh 2.10.1's server opens forwarded-tcpip channels for
			// a port it allocated with "port that was connected" 0, the
			// port asked for, not the one it bound (RFC 4254, Section
			// 7.2; ronf/asyncssh#511), so no listener matches. As
			// OpenSSH's ssh ("unknown listen_port 0"), the client refuses
			// the channel: the TCP connection to the allocated port is
			// closed, nothing reaches our listener, and the SSH
			// connection goes on working.
			l, err := c.Listen(ctx, "tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got := make(chan net.Conn, 1)
			go func() {
				if conn, err := l.Accept(); err == nil {
					got <- conn
				}
			}()
			tc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatalf("dial the allocated port %s: %v", l.Addr(), err)
			}
			defer tc.Close()
			tc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.Copy(io.Discard, tc); err != nil {
				t.Errorf("the refused forward's TCP connection was not closed: %v", err)
			}
			select {
			case conn := <-got:
				conn.Close()
				t.Error("a forwarded-tcpip channel for port 0 reached the listener of another port")
			case <-time.After(100 * time.Millisecond):
			}
			if _, _, err := clRun(t, c, "status 0", nil); err != nil {
				t.Errorf("the connection after the refused channel: %v", err)
			}
		})
		t.Run("sftp", func(t *testing.T) {
			sc, err := c.SFTP(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			path := filepath.Join(t.TempDir(), "remote")
			f, err := sc.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			payload := make([]byte, 100000)
			rand.Read(payload)
			if _, err := f.Write(payload); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			f, err = sc.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !bytes.Equal(got, payload) {
				t.Errorf("read back %d of %d bytes: %v", len(got), len(payload), err)
			}
		})
		t.Run("rekey started by asyncssh mid-transfer", func(t *testing.T) {
			// The server side of the same asyncssh 2.10.1 behaviour: a
			// second server rekeys every 128 KiB and sends CHANNEL_DATA
			// between its KEXINIT and NEWKEYS; our client delivers it.
			rs := asStartTheirServer(t, authorized, 128<<10)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := config()
			cfg.UserKnownHostsFiles = []string{rs.knownHosts}
			rc, err := client.Dial(ctx, "tcp", rs.addr, cfg)
			if err != nil {
				t.Fatalf("dial: %v\n%s", err, tail(rs.stderr.String()))
			}
			defer rc.Close()
			big := make([]byte, 1<<20)
			rand.Read(big)
			if out, _, err := clRun(t, rc, "echo", big); err != nil || !bytes.Equal(out, big) {
				t.Errorf("1 MiB echo through rekeys: %d bytes back, %v\n%s", len(out), err, tail(rs.stderr.String()))
			}
		})
		t.Run("pty, env and exit signal", func(t *testing.T) {
			sess, err := c.NewSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if err := sess.RequestPty(ctx, "xterm", 30, 100, nil); err != nil {
				t.Fatal(err)
			}
			if err := sess.Setenv(ctx, "LC_SSHSTACK", "sent"); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			sess.Stdout = &out
			if err := sess.Run(ctx, "info"); err != nil || !strings.Contains(out.String(), "term=xterm size=100x30 env=sent") {
				t.Errorf("info: %v, %q", err, out.String())
			}
			_, _, err = clRun(t, c, "signal", nil)
			var ee *client.ExitError
			if !errors.As(err, &ee) || ee.Signal != "TERM" || ee.Message != "terminated" {
				t.Errorf("signal: %v", err)
			}
		})
		t.Run("agent forwarding", func(t *testing.T) {
			agentKey := uaKey(t, hostkey.ED25519)
			sock := filepath.Join(t.TempDir(), "agent.sock")
			uaAgent(t, sock, agentKey)
			if err := c.EnableAgentForwarding(sock); err != nil {
				t.Fatal(err)
			}
			sess, err := c.NewSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if err := sess.RequestAgentForwarding(ctx); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			sess.Stdout, sess.Stderr = &out, &errOut
			err = sess.Run(ctx, "agent")
			want := base64.StdEncoding.EncodeToString(agentKey.PublicKey().Marshal())
			if err != nil || out.String() != want+"\n" {
				t.Errorf("keys through the forwarded agent: %v, %q, stderr %q", err, out.String(), errOut.String())
			}
		})
		t.Run("keepalive and rekey", func(t *testing.T) {
			if err := c.Keepalive(ctx); err != nil {
				t.Error(err)
			}
			if err := c.Rekey(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := clRun(t, c, "status 0", nil); err != nil {
				t.Errorf("after rekey: %v", err)
			}
		})
	})
	t.Run("gossh", func(t *testing.T) {
		count(t)
		bin := clBuildGossh(t)
		pem, err := hostkey.MarshalPrivateKey(users[hostkey.ED25519].Crypto(), "gossh", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		key := uaWrite(t, filepath.Join(t.TempDir(), "id_ed25519"), pem, 0o600)
		args := []string{"-F", "none", "-i", key, "-o", "UserKnownHostsFile=" + s.knownHosts, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-p", strconv.Itoa(s.port)}
		r := clGossh(t, bin, nil, []string{"SSH_AUTH_SOCK="}, append(args, "alice@127.0.0.1", "status 7")...)
		if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("status 7: %+v", r)
		}
		// HostKeyAlgorithms=ssh-rsa asks for RSA with SHA-1, as ssh does.
		data := make([]byte, 256<<10)
		rand.Read(data)
		r = clGossh(t, bin, data, []string{"SSH_AUTH_SOCK="}, append(args, "-v", "-o", "HostKeyAlgorithms=ssh-rsa", "alice@127.0.0.1", "echo")...)
		if r.code != 0 || r.stdout != string(data) || !strings.Contains(r.stderr, "host key algorithm: ssh-rsa") {
			t.Errorf("ssh-rsa: exit %d, %d bytes back\n%s", r.code, len(r.stdout), r.stderr)
		}
		// +ssh-rsa keeps the defaults first: a host certificate here.
		r = clGossh(t, bin, nil, []string{"SSH_AUTH_SOCK="}, append(args, "-v", "-o", "HostKeyAlgorithms=+ssh-rsa", "alice@127.0.0.1", "status 0")...)
		if r.code != 0 || !strings.Contains(r.stderr, "host key algorithm: ssh-ed25519-cert-v01@openssh.com") {
			t.Errorf("+ssh-rsa: exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("compression=zlib@openssh.com", func(t *testing.T) {
		count(t)
		cfg := config()
		cfg.Compression = []string{packet.CompressionDelayed}
		c := dial(t, cfg)
		a := c.Algorithms()
		if a.ClientToServer.Compression != packet.CompressionDelayed || a.ServerToClient.Compression != packet.CompressionDelayed {
			t.Errorf("negotiated %q and %q", a.ClientToServer.Compression, a.ServerToClient.Compression)
		}
		big := bytes.Repeat([]byte("sshstack compresses this line well.\n"), (1<<20)/36)
		if out, _, err := clRun(t, c, "echo", big); err != nil || !bytes.Equal(out, big) {
			t.Errorf("1 MiB echo: %d bytes back, %v", len(out), err)
		}
	})
	t.Logf("our client -> asyncssh server: %d of %d cases passed", passed, total)
}
