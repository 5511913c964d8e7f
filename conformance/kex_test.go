package conformance_test

// Interop of the kex module (our client and server transports) with
// OpenSSH 9.2's sshd and ssh for every key exchange method both have,
// each with a rekey after the handshake; mlkem768x25519-sha256, which
// OpenSSH 9.2 lacks, is covered against x/crypto/ssh in kex's own tests.
// The handshake counts as done when SERVICE_ACCEPT for ssh-userauth (our
// client) or the client's USERAUTH_REQUEST (our server) arrives under the
// new keys.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/wire"
)

// openSSHKex lists the methods OpenSSH 9.2 (Debian 12) and kex share.
var openSSHKex = []string{
	kex.SNTRUP761X25519SHA512, kex.SNTRUP761X25519SHA512OpenSSH,
	kex.Curve25519SHA256, kex.Curve25519SHA256LibSSH,
	kex.ECDHSHA2NISTP256, kex.ECDHSHA2NISTP384, kex.ECDHSHA2NISTP521,
	kex.DHGroupExchangeSHA256, kex.DHGroupExchangeSHA1,
	kex.DHGroup16SHA512, kex.DHGroup18SHA512, kex.DHGroup14SHA256,
	kex.DHGroup14SHA1, kex.DHGroup1SHA1,
}

// sshVerifier checks host key signatures with x/crypto/ssh and trusts
// exactly one key.
type sshVerifier struct{ trusted []byte }

func (v sshVerifier) VerifyHostKey(alg string, blob, data, sig []byte) error {
	if !bytes.Equal(blob, v.trusted) {
		return errors.New("conformance: unexpected host key")
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return err
	}
	var s ssh.Signature
	if err := ssh.Unmarshal(sig, &s); err != nil {
		return err
	}
	if s.Format != alg {
		return errors.New("conformance: signature format differs from the negotiated algorithm")
	}
	return pub.Verify(data, &s)
}

func authorizedBlob(t *testing.T, pubFile []byte) []byte {
	t.Helper()
	f := strings.Fields(string(pubFile))
	if len(f) < 2 {
		t.Fatalf("bad .pub file %q", pubFile)
	}
	b, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func kexMethod(t *testing.T, name string) []kex.Method {
	m, ok := kex.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	return []kex.Method{m}
}

// TestKexClientAgainstSSHD runs our client transport against sshd,
// restricted to one key exchange method at a time. sshd refuses to rekey
// before user authentication, so the test authenticates with a public
// key (the USERAUTH_REQUEST is built by hand here), then rekeys on demand
// and sends 200 one-KiB global requests while sshd, configured with
// RekeyLimit 16K, rekeys several times in the middle; every reply must
// arrive.
func TestKexClientAgainstSSHD(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	_, upriv, _ := ed25519.GenerateKey(rand.Reader)
	userKey, err := ssh.NewSignerFromKey(upriv)
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{
		HostKeyTypes:   []string{"ed25519"},
		AuthorizedKeys: ssh.MarshalAuthorizedKey(userKey.PublicKey()),
		Config: []string{
			"KexAlgorithms " + strings.Join(openSSHKex, ","),
			"RekeyLimit 16K",
		},
	})
	trusted := authorizedBlob(t, srv.HostPublicKey(t, "ed25519"))
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range openSSHKex {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &kex.Config{
				Methods:           kexMethod(t, name),
				HostKeyAlgorithms: []string{"ssh-ed25519"},
				HostKeyVerifier:   sshVerifier{trusted},
			}
			c, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), cfg)
			if err != nil {
				t.Fatalf("handshake: %v\n%s", err, tail(srv.Log()))
			}
			defer c.Close()
			if got := c.Algorithms().Kex; got != name {
				t.Fatalf("negotiated %s", got)
			}
			if !c.Strict() {
				t.Error("strict kex not negotiated with OpenSSH 9.2")
			}
			if err := c.WritePacket((&wire.ServiceRequest{Service: wire.ServiceUserauth}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			p, err := c.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgServiceAccept {
				t.Fatalf("want SERVICE_ACCEPT, got %x, %v\n%s", p, err, tail(srv.Log()))
			}
			if len(c.ServerSigAlgs()) == 0 {
				t.Error("no server-sig-algs from sshd")
			}
			if err := c.WritePacket(publickeyRequest(t, c.SessionID(), me.Username, userKey)); err != nil {
				t.Fatal(err)
			}
			if p, err = c.ReadPacket(); err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthSuccess {
				t.Fatalf("want USERAUTH_SUCCESS, got %x, %v\n%s", p, err, tail(srv.Log()))
			}
			if err := c.Rekey(ctx); err != nil {
				t.Fatalf("rekey: %v\n%s", err, tail(srv.Log()))
			}
			// A transfer during which sshd rekeys (RekeyLimit 16K).
			junk := bytes.Repeat([]byte("x"), 1024)
			errc := make(chan error, 1)
			go func() {
				for range 200 {
					req := wire.GlobalRequest{Name: "sshstack-test@example.com", WantReply: true, Data: junk}
					if err := c.WritePacket(req.Append(nil)); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for i := 0; i < 200; {
				p, err := c.ReadPacket()
				if err == nil && wire.MsgNum(p[0]) == wire.MsgGlobalRequest {
					continue // sshd's hostkeys-00@openssh.com notice
				}
				if err != nil || wire.MsgNum(p[0]) != wire.MsgRequestFailure {
					t.Fatalf("reply %d: %x, %v\n%s", i, p, err, tail(srv.Log()))
				}
				i++
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
	n := strings.Count(srv.Log(), "SSH2_MSG_NEWKEYS received")
	t.Logf("sshd completed %d key exchanges over %d connections", n, len(openSSHKex))
	if n < 3*len(openSSHKex) {
		t.Errorf("sshd completed %d key exchanges, want at least %d", n, 3*len(openSSHKex))
	}
}

// publickeyRequest builds a signed "publickey" USERAUTH_REQUEST
// (RFC 4252, Section 7).
func publickeyRequest(t *testing.T, sessionID []byte, userName string, key ssh.Signer) []byte {
	t.Helper()
	blob := key.PublicKey().Marshal()
	alg := key.PublicKey().Type()
	body := []byte{byte(wire.MsgUserauthRequest)}
	body = wire.AppendString(body, userName)
	body = wire.AppendString(body, wire.ServiceConnection)
	body = wire.AppendString(body, "publickey")
	body = wire.AppendBool(body, true)
	body = wire.AppendString(body, alg)
	body = wire.AppendString(body, blob)
	signed := append(wire.AppendString(nil, sessionID), body...)
	sig, err := key.Sign(rand.Reader, signed)
	if err != nil {
		t.Fatal(err)
	}
	return wire.AppendString(body, ssh.Marshal(sig))
}

// TestKexServerAgainstSSH runs OpenSSH's ssh client against our server
// transport, one method at a time. The test grants the "none" method,
// rekeys, and waits for the client's CHANNEL_OPEN under the new keys.
func TestKexServerAgainstSSH(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	hk := xsshHostKey{signer}
	dir := t.TempDir()
	knownHosts := filepath.Join(dir, "known_hosts")

	for _, name := range openSSHKex {
		t.Run(name, func(t *testing.T) {
			l := servertest.Listen(t)
			port := servertest.Port(l)
			line := "[127.0.0.1]:" + itoa(port) + " " + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
			if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				res, sshErr = sshdtest.RunSSH(ctx, nil, "-vvv", "-p", itoa(port),
					"-o", "KexAlgorithms="+name,
					"-o", "HostKeyAlgorithms=ssh-ed25519",
					"-o", "UserKnownHostsFile="+knownHosts,
					"-o", "StrictHostKeyChecking=yes",
					"-o", "BatchMode=yes",
					"-o", "PreferredAuthentications=none",
					"nobody@127.0.0.1", "true")
			})
			defer wg.Wait()

			cfg := &kex.Config{
				Methods:  kexMethod(t, name),
				HostKeys: []kex.HostKey{{Signer: hk, Algorithms: []string{"ssh-ed25519"}}},
			}
			s, _, err := acceptTransport(ctx, l, cfg)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer s.Close()
			p, err := s.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgServiceRequest {
				t.Fatalf("want SERVICE_REQUEST, got %x, %v", p, err)
			}
			if err := s.WritePacket((&wire.ServiceAccept{Service: wire.ServiceUserauth}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			p, err = s.ReadPacket()
			if err != nil || wire.MsgNum(p[0]) != wire.MsgUserauthRequest {
				t.Fatalf("want USERAUTH_REQUEST, got %x, %v", p, err)
			}
			// Grant "none": this test is about the transport only.
			if err := s.WritePacket((&wire.UserauthSuccess{}).Append(nil)); err != nil {
				t.Fatal(err)
			}
			if err := s.Rekey(ctx); err != nil {
				t.Fatalf("rekey: %v", err)
			}
			// ssh now opens its session channel under the new keys.
			for {
				p, err = s.ReadPacket()
				if err != nil {
					t.Fatalf("after rekey: %v", err)
				}
				if wire.MsgNum(p[0]) == wire.MsgChannelOpen {
					break
				}
			}
			open, err := wire.ParseChannelOpen(p)
			if err != nil {
				t.Fatal(err)
			}
			refuse := wire.ChannelOpenFailure{Recipient: open.Sender, Reason: wire.AdministrativelyProhibited, Description: "test"}
			s.WritePacket(refuse.Append(nil))
			s.Close()
			wg.Wait()
			if sshErr != nil {
				t.Fatal(sshErr)
			}
			if !bytes.Contains(res.Stderr, []byte("kex: algorithm: "+name)) {
				t.Errorf("ssh did not negotiate %s:\n%s", name, tail(string(res.Stderr)))
			}
			if !bytes.Contains(res.Stderr, []byte("SSH2_MSG_SERVICE_ACCEPT received")) {
				t.Errorf("ssh did not get past kex:\n%s", tail(string(res.Stderr)))
			}
			if n := bytes.Count(res.Stderr, []byte("SSH2_MSG_NEWKEYS received")); n < 2 {
				t.Errorf("ssh saw %d key exchanges, want 2:\n%s", n, tail(string(res.Stderr)))
			}
		})
	}
}

// xsshHostKey adapts an x/crypto/ssh Signer to kex.HostKeySigner.
type xsshHostKey struct{ s ssh.Signer }

func (k xsshHostKey) PublicKey() []byte { return k.s.PublicKey().Marshal() }

func (k xsshHostKey) Sign(r io.Reader, alg string, data []byte) ([]byte, error) {
	sig, err := k.s.Sign(r, data)
	if err != nil {
		return nil, err
	}
	return ssh.Marshal(sig), nil
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// tail returns the last lines of a log for failure messages.
func tail(s string) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 25 {
		lines = lines[len(lines)-25:]
	}
	return strings.Join(lines, "\n")
}

// TestKexServerTransferWithSSH: OpenSSH's ssh runs "cat" on our server
// transport (the test plays a minimal connection layer that echoes the
// session's data) and pipes 1 MiB through it, while ssh rekeys every
// 64 KiB (RekeyLimit) and we rekey on demand in the middle. Every byte
// must come back.
func TestKexServerTransferWithSSH(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	knownHosts := filepath.Join(dir, "known_hosts")
	input := make([]byte, 1<<20)
	rand.Read(input)

	for _, name := range []string{kex.SNTRUP761X25519SHA512OpenSSH, kex.Curve25519SHA256, kex.ECDHSHA2NISTP256, kex.DHGroup14SHA256} {
		t.Run(name, func(t *testing.T) {
			l := servertest.Listen(t)
			port := servertest.Port(l)
			line := "[127.0.0.1]:" + itoa(port) + " " + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
			if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var res sshdtest.SSHResult
			var sshErr error
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				res, sshErr = sshdtest.RunSSH(ctx, input, "-v", "-T", "-p", itoa(port),
					"-o", "KexAlgorithms="+name,
					"-o", "HostKeyAlgorithms=ssh-ed25519",
					"-o", "UserKnownHostsFile="+knownHosts,
					"-o", "StrictHostKeyChecking=yes",
					"-o", "BatchMode=yes",
					"-o", "RekeyLimit=64K",
					"-o", "PreferredAuthentications=none",
					"nobody@127.0.0.1", "cat")
			})
			cfg := &kex.Config{
				Methods:  kexMethod(t, name),
				HostKeys: []kex.HostKey{{Signer: xsshHostKey{signer}, Algorithms: []string{"ssh-ed25519"}}},
			}
			s, _, err := acceptTransport(ctx, l, cfg)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer s.Close()
			echoServer(ctx, t, s, len(input))
			s.Close()
			wg.Wait()
			if sshErr != nil || res.ExitCode != 0 {
				t.Fatalf("ssh: exit %d, %v\n%s", res.ExitCode, sshErr, tail(string(res.Stderr)))
			}
			if !bytes.Equal(res.Stdout, input) {
				t.Fatalf("echoed %d bytes, want %d identical", len(res.Stdout), len(input))
			}
			n := bytes.Count(res.Stderr, []byte("SSH2_MSG_NEWKEYS received"))
			t.Logf("%s: ssh completed %d key exchanges", name, n)
			if n < 4 {
				t.Errorf("ssh completed only %d key exchanges", n)
			}
		})
	}
}

// hungUp reports whether err is the peer going away: its DISCONNECT, or,
// when it hangs up while we answer a rekey it started (ssh rekeys every
// 64 KiB here), the write to the closed socket or the end of the stream.
func hungUp(err error) bool {
	var de *wire.DisconnectError
	return errors.As(err, &de) && de.Reason == wire.ByApplication ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

// echoServer is just enough of RFC 4252 and RFC 4254 for "ssh host cat":
// it grants "none", confirms one session channel, accepts exec, echoes
// CHANNEL_DATA, rekeys once half way, and closes with exit status 0 after
// the client's EOF.
func echoServer(ctx context.Context, t *testing.T, s *kex.Transport, total int) {
	t.Helper()
	var peer uint32
	echoed, rekeyed, closing := 0, false, false
	send := func(m wire.Message) {
		if err := s.WritePacket(m.Append(nil)); err != nil {
			t.Fatalf("write %v: %v", m.Num(), err)
		}
	}
	for {
		p, err := s.ReadPacket()
		if closing && hungUp(err) {
			return // ssh may hang up instead of answering our CLOSE
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", echoed, err)
		}
		switch wire.MsgNum(p[0]) {
		case wire.MsgServiceRequest:
			send(&wire.ServiceAccept{Service: wire.ServiceUserauth})
		case wire.MsgUserauthRequest:
			send(&wire.UserauthSuccess{})
		case wire.MsgGlobalRequest:
			if g, err := wire.ParseGlobalRequest(p); err == nil && g.WantReply {
				send(&wire.RequestFailure{})
			}
		case wire.MsgChannelOpen:
			o, err := wire.ParseChannelOpen(p)
			if err != nil {
				t.Fatal(err)
			}
			peer = o.Sender
			send(&wire.ChannelOpenConfirmation{Recipient: peer, Sender: 0, InitialWindow: 16 << 20, MaxPacket: 32 << 10})
		case wire.MsgChannelRequest:
			r, err := wire.ParseChannelRequest(p)
			if err != nil {
				t.Fatal(err)
			}
			if r.WantReply {
				if r.Type == "exec" {
					send(&wire.ChannelSuccess{Recipient: peer})
				} else {
					send(&wire.ChannelFailure{Recipient: peer})
				}
			}
		case wire.MsgChannelData:
			d, err := wire.ParseChannelData(p)
			if err != nil {
				t.Fatal(err)
			}
			send(&wire.ChannelData{Recipient: peer, Data: d.Data})
			echoed += len(d.Data)
			if !rekeyed && echoed >= total/2 {
				rekeyed = true
				if err := s.Rekey(ctx); err != nil {
					t.Fatalf("rekey: %v", err)
				}
			}
		case wire.MsgChannelEOF:
			send(&wire.ChannelEOF{Recipient: peer})
			send(&wire.ChannelRequest{Recipient: peer, Type: "exit-status", Extra: wire.AppendUint32(nil, 0)})
			send(&wire.ChannelClose{Recipient: peer})
			closing = true
		case wire.MsgChannelClose:
			return
		}
	}
}
