package keyagent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
)

func newKeyring(t testing.TB, cfg *Config) *Keyring {
	k := NewKeyring(cfg)
	t.Cleanup(func() { k.Close() })
	return k
}

func comments(t *testing.T, ag agent.Agent) []string {
	t.Helper()
	list, err := ag.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range list {
		out = append(out, k.Format+" "+k.Comment)
	}
	return out
}

func TestAddListRemove(t *testing.T) {
	tk := newKeys(t)
	ag := pipe(t, newKeyring(t, nil))
	for _, k := range []agent.AddedKey{
		{PrivateKey: tk.ed, Comment: "ed"},
		{PrivateKey: tk.ec, Comment: "ec"},
		{PrivateKey: tk.rsa, Comment: "rsa"},
		{PrivateKey: tk.ed, Certificate: tk.cert, Comment: "cert"},
		{PrivateKey: tk.ed, Comment: "ed again"}, // replaces, keeps its place
	} {
		if err := ag.Add(k); err != nil {
			t.Fatalf("Add %s: %v", k.Comment, err)
		}
	}
	want := []string{"ssh-ed25519 ed again", "ecdsa-sha2-nistp256 ec", "ssh-rsa rsa", "ssh-ed25519-cert-v01@openssh.com cert"}
	if diff := cmp.Diff(want, comments(t, ag)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if err := ag.Remove(pubOf(t, tk.ec)); err != nil {
		t.Fatal(err)
	}
	if err := ag.Remove(pubOf(t, tk.ec)); err == nil {
		t.Error("removing a key not held succeeded")
	}
	if err := ag.Remove(tk.cert); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:3:3][0:1], comments(t, ag)[:1]); diff != "" {
		t.Errorf("List after Remove (-want +got):\n%s", diff)
	}
	if err := ag.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if got := comments(t, ag); len(got) != 0 {
		t.Errorf("List after RemoveAll = %v", got)
	}
}

func TestSignatureFlags(t *testing.T) {
	tk := newKeys(t)
	ag := pipe(t, newKeyring(t, nil))
	for _, k := range []agent.AddedKey{{PrivateKey: tk.rsa}, {PrivateKey: tk.ed}, {PrivateKey: tk.ed, Certificate: tk.cert}} {
		if err := ag.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	data := []byte("signed data")
	tests := []struct {
		name  string
		key   ssh.PublicKey
		flags agent.SignatureFlags
		want  string
	}{ // draft-miller-ssh-agent, Section 4.5.1
		{"rsa no flags", pubOf(t, tk.rsa), 0, "ssh-rsa"},
		{"rsa sha256", pubOf(t, tk.rsa), agent.SignatureFlagRsaSha256, "rsa-sha2-256"},
		{"rsa sha512", pubOf(t, tk.rsa), agent.SignatureFlagRsaSha512, "rsa-sha2-512"},
		{"ed25519 ignores flags", pubOf(t, tk.ed), agent.SignatureFlagRsaSha512, "ssh-ed25519"},
		{"certificate", tk.cert, 0, "ssh-ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := ag.SignWithFlags(tt.key, data, tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Format != tt.want {
				t.Errorf("format %q, want %q", sig.Format, tt.want)
			}
			verify := tt.key
			if c, ok := verify.(*ssh.Certificate); ok {
				verify = c.Key
			}
			if err := verify.Verify(data, sig); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		})
	}
	if _, err := ag.Sign(pubOf(t, tk.ec), data); err == nil {
		t.Error("signing with a key not held succeeded")
	}
}

func TestLifetime(t *testing.T) {
	tk := newKeys(t)
	clk := &clock{now: time.Unix(1e9, 0)}
	k := newKeyring(t, &Config{Now: clk.Now, Lifetime: time.Hour})
	ag := pipe(t, k)
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed, Comment: "short", LifetimeSecs: 10}); err != nil {
		t.Fatal(err)
	}
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ec, Comment: "default"}); err != nil {
		t.Fatal(err)
	}
	clk.advance(9 * time.Second)
	if got := len(comments(t, ag)); got != 2 {
		t.Fatalf("before expiry %d keys", got)
	}
	clk.advance(time.Second)
	if diff := cmp.Diff([]string{"ecdsa-sha2-nistp256 default"}, comments(t, ag)); diff != "" {
		t.Errorf("after 10s (-want +got):\n%s", diff)
	}
	if _, err := ag.Sign(pubOf(t, tk.ed), []byte("x")); err == nil {
		t.Error("expired key signed")
	}
	clk.advance(time.Hour)
	if k.Len() != 0 {
		t.Errorf("default lifetime: %d keys after an hour", k.Len())
	}
}

// The expiry timer removes a key without any request arriving.
func TestLifetimeTimer(t *testing.T) {
	tk := newKeys(t)
	k := newKeyring(t, nil)
	if err := k.Add(agent.AddedKey{PrivateKey: tk.ed, LifetimeSecs: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		k.mu.Lock()
		n := len(k.ids)
		k.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("key still held 10s after its 1s lifetime")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConfirm(t *testing.T) {
	tk := newKeys(t)
	var prompts []string
	var mu sync.Mutex
	answer := true
	k := newKeyring(t, &Config{Confirm: func(_ context.Context, p string) bool {
		mu.Lock()
		defer mu.Unlock()
		prompts = append(prompts, p)
		return answer
	}})
	ag := pipe(t, k)
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed, Comment: "confirmed", ConfirmBeforeUse: true}); err != nil {
		t.Fatal(err)
	}
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ec, Comment: "free"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ag.Sign(pubOf(t, tk.ed), []byte("x")); err != nil {
		t.Errorf("confirmed signature refused: %v", err)
	}
	mu.Lock()
	answer = false
	mu.Unlock()
	if _, err := ag.Sign(pubOf(t, tk.ed), []byte("x")); err == nil {
		t.Error("denied signature made")
	}
	if _, err := ag.Sign(pubOf(t, tk.ec), []byte("x")); err != nil {
		t.Errorf("key without confirm: %v", err)
	}
	fp := hostkey.FingerprintSHA256(mustParse(t, pubOf(t, tk.ed)))
	want := "Allow use of key confirmed?\nKey fingerprint " + fp + "."
	if diff := cmp.Diff([]string{want, want}, prompts); diff != "" {
		t.Errorf("prompts (-want +got):\n%s", diff)
	}

	// Without a Confirm function a confirm key never signs.
	k2 := newKeyring(t, nil)
	if err := k2.Add(agent.AddedKey{PrivateKey: tk.ed, ConfirmBeforeUse: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Sign(pubOf(t, tk.ed), []byte("x")); !errors.Is(err, ErrDenied) {
		t.Errorf("no Confirm: %v, want ErrDenied", err)
	}
}

func mustParse(t *testing.T, k ssh.PublicKey) hostkey.PublicKey {
	p, err := hostkey.ParsePublicKey(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAskpassConfirm(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hint := filepath.Join(dir, "hint")
	tests := []struct {
		name    string
		askpass string
		env     map[string]string
		want    bool
	}{
		{"yes", script("yes", `echo "$SSH_ASKPASS_PROMPT" > `+hint+`; echo yes`), map[string]string{"DISPLAY": ":0"}, true},
		{"empty answer", script("empty", "true"), map[string]string{"DISPLAY": ":0"}, true},
		{"no", script("no", "echo no"), map[string]string{"DISPLAY": ":0"}, false},
		{"cancelled", script("cancel", "exit 1"), map[string]string{"DISPLAY": ":0"}, false},
		{"no display", script("yes2", "echo yes"), map[string]string{"DISPLAY": ""}, false},
		{"forced without display", script("yes3", "echo yes"), map[string]string{"DISPLAY": "", "SSH_ASKPASS_REQUIRE": "force"}, true},
		{"never", script("yes4", "echo yes"), map[string]string{"DISPLAY": ":0", "SSH_ASKPASS_REQUIRE": "never"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSH_ASKPASS", tt.askpass)
			t.Setenv("SSH_ASKPASS_REQUIRE", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if got := AskpassConfirm(context.Background(), "Allow use of key k?"); got != tt.want {
				t.Errorf("AskpassConfirm = %v, want %v", got, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(hint); string(b) != "confirm\n" {
		t.Errorf("SSH_ASKPASS_PROMPT = %q, want confirm", b)
	}
}

func TestLock(t *testing.T) {
	tk := newKeys(t)
	ag := pipe(t, newKeyring(t, nil))
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed}); err != nil {
		t.Fatal(err)
	}
	if err := ag.Lock(nil); err == nil {
		t.Error("empty lock password accepted")
	}
	if err := ag.Lock([]byte("secret")); err != nil {
		t.Fatal(err)
	}
	if err := ag.Lock([]byte("secret")); err == nil {
		t.Error("locked twice")
	}
	if got := comments(t, ag); len(got) != 0 {
		t.Errorf("locked agent lists %v", got)
	}
	if _, err := ag.Sign(pubOf(t, tk.ed), []byte("x")); err == nil {
		t.Error("locked agent signed")
	}
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ec}); err == nil {
		t.Error("locked agent added a key")
	}
	if err := ag.RemoveAll(); err == nil {
		t.Error("locked agent removed keys")
	}
	if err := ag.Unlock([]byte("wrong")); err == nil {
		t.Error("wrong password unlocked")
	}
	if err := ag.Unlock([]byte("secret")); err != nil {
		t.Fatal(err)
	}
	if got := comments(t, ag); len(got) != 1 {
		t.Errorf("after unlock %v", got)
	}
	if err := ag.Unlock([]byte("secret")); err == nil {
		t.Error("unlocked an unlocked agent")
	}
}

func TestConstraintExtensionRefused(t *testing.T) {
	tk := newKeys(t)
	k := newKeyring(t, nil)
	err := k.Add(agent.AddedKey{PrivateKey: tk.ed, ConstraintExtensions: []agent.ConstraintExtension{
		{ExtensionName: "restrict-destination-v00@openssh.com"}}})
	if !errors.Is(err, ErrConstraint) {
		t.Errorf("Add = %v, want ErrConstraint", err)
	}
}

func TestMaxKeys(t *testing.T) {
	tk := newKeys(t)
	k := newKeyring(t, &Config{MaxKeys: 1})
	if err := k.Add(agent.AddedKey{PrivateKey: tk.ed}); err != nil {
		t.Fatal(err)
	}
	if err := k.Add(agent.AddedKey{PrivateKey: tk.ec}); !errors.Is(err, ErrTooManyKeys) {
		t.Errorf("second key: %v, want ErrTooManyKeys", err)
	}
	if err := k.Add(agent.AddedKey{PrivateKey: tk.ed, Comment: "again"}); err != nil {
		t.Errorf("replacing the one key: %v", err)
	}
}

// sessionBind returns a session-bind@openssh.com body for a fresh session
// id signed by host.
func sessionBind(t *testing.T, host *hostkey.CryptoSigner, fwd bool) *SessionBind {
	t.Helper()
	sid := make([]byte, 32)
	rand.Read(sid)
	sig, err := host.Sign(rand.Reader, sid)
	if err != nil {
		t.Fatal(err)
	}
	return &SessionBind{HostKey: host.PublicKey().Marshal(), SessionID: sid, Signature: sig.Marshal(), Forwarding: fwd}
}

func TestSessionBind(t *testing.T) {
	host, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	ext := func(ag agent.ExtendedAgent, m *SessionBind) error {
		_, err := ag.Extension(SessionBindExtension, m.Append(nil))
		return err
	}
	t.Run("forwarding then auth", func(t *testing.T) {
		ag := pipe(t, newKeyring(t, nil))
		f1, f2 := sessionBind(t, host, true), sessionBind(t, host, true)
		for i, m := range []*SessionBind{f1, f2, f1} {
			if err := ext(ag, m); err != nil {
				t.Fatalf("forwarding bind %d: %v", i, err)
			}
		}
		if err := ext(ag, sessionBind(t, host, false)); err != nil {
			t.Fatalf("auth bind: %v", err)
		}
		if err := ext(ag, sessionBind(t, host, true)); err == nil {
			t.Error("bind after an authentication bind accepted")
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		ag := pipe(t, newKeyring(t, nil))
		m := sessionBind(t, host, false)
		m.SessionID[0] ^= 1
		if err := ext(ag, m); err == nil {
			t.Error("bad signature accepted")
		}
		if err := ext(ag, sessionBind(t, host, false)); err != nil {
			t.Errorf("good bind after a bad one: %v", err)
		}
	})
	t.Run("same id other key", func(t *testing.T) {
		ag := pipe(t, newKeyring(t, nil))
		m := sessionBind(t, host, true)
		if err := ext(ag, m); err != nil {
			t.Fatal(err)
		}
		sig, _ := other.Sign(rand.Reader, m.SessionID)
		m2 := &SessionBind{HostKey: other.PublicKey().Marshal(), SessionID: m.SessionID, Signature: sig.Marshal(), Forwarding: true}
		if err := ext(ag, m2); err == nil {
			t.Error("session id bound to a second host key")
		}
	})
	t.Run("too many", func(t *testing.T) {
		ag := pipe(t, newKeyring(t, nil))
		for i := range maxBindings {
			if err := ext(ag, sessionBind(t, host, true)); err != nil {
				t.Fatalf("bind %d: %v", i, err)
			}
		}
		if err := ext(ag, sessionBind(t, host, true)); err == nil {
			t.Error("binding past the cap accepted")
		}
	})
	t.Run("per connection", func(t *testing.T) {
		k := newKeyring(t, nil)
		a1, a2 := pipe(t, k), pipe(t, k)
		m := sessionBind(t, host, false)
		if err := ext(a1, m); err != nil {
			t.Fatal(err)
		}
		if err := ext(a2, sessionBind(t, host, false)); err != nil {
			t.Errorf("second connection's own bind: %v", err)
		}
	})
	t.Run("unknown extension", func(t *testing.T) {
		ag := pipe(t, newKeyring(t, nil))
		if _, err := ag.Extension("query", nil); !errors.Is(err, agent.ErrExtensionUnsupported) {
			t.Errorf("query: %v, want ErrExtensionUnsupported", err)
		}
	})
}

func TestParseSessionBindTruncated(t *testing.T) {
	host, _ := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	b := sessionBind(t, host, true).Append(nil)
	for i := range b {
		if _, err := ParseSessionBind(b[:i]); err == nil {
			t.Errorf("cut at %d of %d: no error", i, len(b))
		}
	}
	if _, err := ParseSessionBind(append(b, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// readReply reads one agent reply frame.
func readReply(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := readFrame(c, nil)
	if err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	return b[4:]
}

// Hostile clients: a bad length ends that client's connection with an
// error before anything is allocated; a well-framed garbage request is
// answered SSH_AGENT_FAILURE and the connection goes on
// (docs/security.md#w7).
func TestHostileFrames(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"zero length", []byte{0, 0, 0, 0}, ErrEmptyMessage},
		{"4 GiB length", []byte{0xff, 0xff, 0xff, 0xff}, ErrMessageTooLarge},
		{"256 KiB + 1", binary.BigEndian.AppendUint32(nil, MaxMessage+1), ErrMessageTooLarge},
		{"truncated body", []byte{0, 0, 0, 9, 11, 1, 2}, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, wait := rawPipe(t, newKeyring(t, nil))
			go func() {
				c.Write(tt.input)
				if errors.Is(tt.want, io.ErrUnexpectedEOF) {
					c.Close()
				}
			}()
			if err := wait(); !errors.Is(err, tt.want) {
				t.Errorf("ServeConn = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("garbage requests answered", func(t *testing.T) {
		tk := newKeys(t)
		k := newKeyring(t, nil)
		k.Add(agent.AddedKey{PrivateKey: tk.ed})
		c, wait := rawPipe(t, k)
		for _, body := range [][]byte{
			{200},                            // unknown type
			{17, 0, 0, 0, 11, 's', 's', 'h'}, // ADD_IDENTITY cut short
			{17, 0, 0, 0, 7, 's', 's', 'h', '-', 'f', 'o', 'o'},
			{13, 0xff, 0xff, 0xff, 0xff},                               // SIGN_REQUEST, huge key length
			{18, 0, 0, 0, 1},                                           // REMOVE_IDENTITY truncated
			{27, 0, 0, 0, 24},                                          // EXTENSION truncated
			append([]byte{27}, frame([]byte(SessionBindExtension))...), // empty bind body
			{22}, // LOCK without password
		} {
			go c.Write(frame(body))
			if got := readReply(t, c); got[0] != 5 && got[0] != 28 { // SSH_AGENT_FAILURE, EXTENSION_FAILURE
				t.Errorf("request %x: reply %x", body, got)
			}
		}
		// Still serving: REQUEST_IDENTITIES lists the key.
		go c.Write(frame([]byte{11}))
		if got := readReply(t, c); got[0] != 12 || binary.BigEndian.Uint32(got[1:]) != 1 {
			t.Errorf("identities after garbage: %x", got)
		}
		c.Close()
		if err := wait(); err != nil {
			t.Errorf("ServeConn after a clean close: %v", err)
		}
	})
}

func listenUnix(t *testing.T, dir string) (net.Listener, string) {
	t.Helper()
	path := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return l, path
}

func serve(t *testing.T, s *Server, l net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v", err)
		}
	})
}

// A client sending a 4 GiB length is cut off while another client of the
// same server goes on being served.
func TestHostileClientOthersContinue(t *testing.T) {
	tk := newKeys(t)
	k := newKeyring(t, nil)
	l, path := listenUnix(t, t.TempDir())
	serve(t, &Server{Keyring: k}, l)
	good, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	ag := agent.NewClient(good)
	if err := ag.Add(agent.AddedKey{PrivateKey: tk.ed}); err != nil {
		t.Fatal(err)
	}
	bad, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.Write([]byte{0xff, 0xff, 0xff, 0xff, 11})
	bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := bad.Read(make([]byte, 1)); err == nil {
		t.Errorf("hostile client got %d bytes back, want the connection closed", n)
	}
	if _, err := ag.Sign(pubOf(t, tk.ed), []byte("x")); err != nil {
		t.Errorf("good client after the hostile one: %v", err)
	}
}

func TestMaxConns(t *testing.T) {
	l, path := listenUnix(t, t.TempDir())
	serve(t, &Server{Keyring: newKeyring(t, nil), MaxConns: 1}, l)
	c1, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, err := agent.NewClient(c1).List(); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := agent.NewClient(c2).List(); err == nil {
		t.Error("connection past MaxConns served")
	}
}

// ssh-agent's peer check: a client running as another user is closed
// unanswered. Needs root, to start the client as nobody.
func TestPeerUID(t *testing.T) {
	// One world-readable directory holds the socket and a copy of this
	// test binary, so that nobody can reach both.
	dir, err := os.MkdirTemp("", "keyagent-peer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	l, path := listenUnix(t, dir)
	serve(t, &Server{Keyring: newKeyring(t, nil)}, l)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := PeerUID(c.(*net.UnixConn)); err != nil || uid != os.Geteuid() {
		t.Errorf("PeerUID = %d, %v; want %d", uid, err, os.Geteuid())
	}
	if _, err := agent.NewClient(c).List(); err != nil {
		t.Errorf("own user refused: %v", err)
	}
	c.Close()
	if os.Getuid() != 0 {
		t.Skip("starting a client as another user needs root")
	}
	os.Chmod(path, 0o777)
	exe, _ := os.Executable()
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), "KEYAGENT_TEST_DIAL="+path)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 3: // refused, as wanted
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		t.Skipf("nobody cannot reach the socket here: %s", out.String())
	default:
		t.Errorf("client as uid 65534: %v (want exit 3, refused)\n%s", err, out.String())
	}
}
