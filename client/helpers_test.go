package client_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/server/xsshtest"
	"github.com/sshstack/sshstack/userauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// xServer is an in-process x/crypto/ssh server (xsshtest): password
// "secret" for any user, "session" channels running a tiny command
// language, and "direct-tcpip" to loopback.
type xServer struct {
	*xsshtest.Server
	addr  string
	pub   hostkey.PublicKey
	stall atomic.Bool // when set, the server's answers are dropped
}

func startXServer(t *testing.T) *xServer { return startXServerTB(t) }

func startXServerTB(t testing.TB) *xServer {
	t.Helper()
	s := &xServer{}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
			if string(p) == "secret" {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		BannerCallback: func(ssh.ConnMetadata) string { return "welcome\x1b[31m\n" },
	}
	s.Server = xsshtest.Start(t, xsshtest.Options{Config: cfg,
		Handle: xsshtest.Channels(map[string]xsshtest.ChannelHandler{"session": xsshtest.Session(s.session), "direct-tcpip": directTCPIP}),
		Wrap:   func(nc net.Conn) net.Conn { return &stallConn{Conn: nc, stall: &s.stall} }})
	s.addr = s.Addr
	pub, err := hostkey.ParsePublicKey(s.HostKey.PublicKey().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	s.pub = pub
	return s
}

// stallConn drops everything the server writes once stall is set: the
// server goes on reading but never answers.
type stallConn struct {
	net.Conn
	stall *atomic.Bool
}

func (c *stallConn) Write(p []byte) (int, error) {
	if c.stall.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// directTCPIP connects a "direct-tcpip" channel to its destination.
func directTCPIP(_ *ssh.ServerConn, nch ssh.NewChannel) {
	var d struct {
		Host  string
		Port  uint32
		OHost string
		OPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &d); err != nil {
		nch.Reject(ssh.ConnectionFailed, "bad data")
		return
	}
	tc, err := net.Dial("tcp", net.JoinHostPort(d.Host, fmt.Sprint(d.Port)))
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	defer tc.Close()
	ch, creqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(creqs)
	done := make(chan struct{})
	go func() { io.Copy(tc, ch); tc.(*net.TCPConn).CloseWrite(); close(done) }()
	io.Copy(ch, tc)
	ch.CloseWrite()
	<-done
}

// session runs "exec" commands: "echo" copies stdin to stdout, "exit N"
// exits with N, "stderr TEXT" writes TEXT to stderr, "signal" ends with
// SIGTERM, "env NAME" prints a variable set by "env", "sleep" waits for
// the channel to close.
func (s *xServer) session(_ *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := map[string]string{}
	for r := range reqs {
		switch r.Type {
		case "env":
			var e struct{ Name, Value string }
			ssh.Unmarshal(r.Payload, &e)
			env[e.Name] = e.Value
			r.Reply(true, nil)
		case "pty-req", "window-change":
			r.Reply(true, nil)
		case "exec":
			var e struct{ Cmd string }
			ssh.Unmarshal(r.Payload, &e)
			r.Reply(true, nil)
			status := runCmd(ch, e.Cmd, env)
			if status < 0 {
				ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
					Sig  string
					Core bool
					Msg  string
					Lang string
				}{"TERM", false, "terminated", ""}))
				return
			}
			ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(status)))
			return
		default:
			r.Reply(false, nil)
		}
	}
}

func runCmd(ch ssh.Channel, cmd string, env map[string]string) int {
	verb, arg, _ := strings.Cut(cmd, " ")
	switch verb {
	case "echo":
		io.Copy(ch, ch)
		return 0
	case "exit":
		var n int
		fmt.Sscan(arg, &n)
		return n
	case "stderr":
		io.WriteString(ch.Stderr(), arg)
		io.WriteString(ch, "out")
		return 0
	case "signal":
		return -1
	case "env":
		io.WriteString(ch, env[arg])
		return 0
	case "sleep":
		io.Copy(io.Discard, ch)
		return 0
	}
	io.WriteString(ch.Stderr(), "unknown command\n")
	return 127
}

// knownHosts writes a known_hosts file with the server's key.
func (s *xServer) knownHosts(t testing.TB) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	var p int
	fmt.Sscan(port, &p)
	path := filepath.Join(t.TempDir(), "known_hosts")
	line := hostkey.MarshalKnownHost([]string{client.KnownHostsAddress(host, p)}, s.pub, false)
	if err := os.WriteFile(path, line, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// config returns a client config that trusts s through known_hosts.
func (s *xServer) config(t *testing.T) *client.Config { return s.configTB(t) }

func (s *xServer) configTB(t testing.TB) *client.Config {
	return &client.Config{
		User:                  "alice",
		Auth:                  []userauth.Method{userauth.StaticPassword("secret")},
		UserKnownHostsFiles:   []string{s.knownHosts(t)},
		GlobalKnownHostsFiles: []string{},
	}
}
