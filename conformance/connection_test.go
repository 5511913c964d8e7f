package conformance_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"os/user"
	"strconv"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/server/servertest"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

func TestConnectionAgainstSSHD(t *testing.T) {
	me, _ := user.Current()
	k, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"},
		AuthorizedKeys: hostkey.MarshalAuthorizedKey(k.PublicKey(), ""),
		Config:         []string{"AllowTcpForwarding yes", "GatewayPorts no", "PermitTTY yes"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	pub := srv.HostPublicKey(t, "ed25519")
	ak, err := hostkey.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pk := ak.Key
	tr, err := kex.ClientHandshake(ctx, packet.NewConn(nc, nil), &kex.Config{
		HostKeyAlgorithms: []string{hostkey.ED25519},
		HostKeyVerifier:   trustOnly(pk.Marshal()),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := userauth.Authenticate(ctx, tr, &userauth.ClientConfig{User: me.Username, Sources: []userauth.Method{userauth.InMemoryPrivateKey(k)}})
	if err != nil || !res.Authenticated() {
		t.Fatalf("auth: %v %v\n%s", res, err, srv.Log())
	}
	hk := make(chan [][]byte, 1)
	c := connection.New(tr, &connection.Config{HostKeys: func(keys [][]byte) { hk <- keys }})
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	defer func() {
		c.Close()
		t.Logf("Run: %v", <-runErr)
	}()

	select {
	case keys := <-hk:
		t.Logf("hostkeys-00: %d keys", len(keys))
		if !bytes.Equal(keys[0], pk.Marshal()) {
			t.Errorf("hostkeys-00 key differs")
		}
		sigs, err := c.ProveHostKeys(ctx, keys)
		t.Logf("hostkeys-prove: %d sigs, %v", len(sigs), err)
	case <-time.After(2 * time.Second):
		t.Log("no hostkeys-00 seen")
	}
	if err := c.Keepalive(ctx); err != nil {
		t.Fatalf("keepalive: %v", err)
	}

	// exec with stdout, stderr, exit status
	ch, err := c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Setenv(ctx, "LANG", "C"); err != nil {
		t.Logf("env refused (AcceptEnv): %v", err)
	}
	if err := ch.Exec(ctx, "head -c 3000000 /dev/zero | wc -c; echo oops >&2; cat; exit 7"); err != nil {
		t.Fatal(err)
	}
	go func() { ch.Write([]byte("from stdin\n")); ch.CloseWrite() }()
	var errOut []byte
	done := make(chan struct{})
	go func() { errOut, _ = io.ReadAll(ch.Stderr()); close(done) }()
	out, err := io.ReadAll(ch)
	<-done
	if err != nil {
		t.Fatalf("reading stdout: %v", err)
	}
	if err := ch.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	st, ok := ch.ExitStatus()
	t.Logf("stdout %q stderr %q status %d %v", out, errOut, st, ok)
	if string(out) != "3000000\nfrom stdin\n" || string(errOut) != "oops\n" || st != 7 {
		t.Errorf("exec result wrong")
	}

	// big download: 50 MB through the window
	ch, err = c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Exec(ctx, "head -c 50000000 /dev/zero"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := io.Copy(io.Discard, ch)
	t.Logf("download %d bytes in %v (%v)", n, time.Since(start), err)
	ch.Close()

	// upload 20 MB
	ch, err = c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Exec(ctx, "wc -c"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	go func() { ch.Write(make([]byte, 20000000)); ch.CloseWrite() }()
	out, _ = io.ReadAll(ch)
	t.Logf("upload: %q in %v", out, time.Since(start))

	// pty + shell + signal + window-change
	ch, err = c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.RequestPty(ctx, wire.PtyRequest{Term: "xterm", Columns: 80, Rows: 24}, []wire.TerminalMode{{Opcode: wire.ECHO, Value: 0}}); err != nil {
		t.Fatalf("pty: %v", err)
	}
	if err := ch.Exec(ctx, "stty size; exit 0"); err != nil {
		t.Fatal(err)
	}
	out, _ = io.ReadAll(ch)
	t.Logf("pty stty size: %q", out)
	ch.Wait(ctx)

	// direct-tcpip to a loopback echo
	echo := servertest.Accept(t, servertest.Listen(t), servertest.Echo)
	dch, err := c.OpenDirectTCPIP(ctx, wire.DirectTCPIP{Host: "127.0.0.1", Port: uint32(servertest.Port(echo)), OriginatorAddress: "127.0.0.1", OriginatorPort: 1234})
	if err != nil {
		t.Fatalf("direct-tcpip: %v", err)
	}
	dch.Write([]byte("hello direct"))
	buf := make([]byte, 12)
	io.ReadFull(dch, buf)
	t.Logf("direct-tcpip echo: %q", buf)
	dch.Close()

	// tcpip-forward port 0 and a forwarded-tcpip channel
	port, err := c.ForwardTCPIP(ctx, "127.0.0.1", 0)
	if err != nil {
		t.Fatalf("tcpip-forward: %v", err)
	}
	t.Logf("remote forward bound port %d", port)
	go func() {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(port)))
		if err != nil {
			t.Error(err)
			return
		}
		conn.Write([]byte("via forward"))
		conn.Close()
	}()
	nch, err := c.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := nch.ForwardedTCPIP()
	t.Logf("forwarded-tcpip: %+v %v", ft, err)
	fch, err := nch.Accept(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(fch)
	t.Logf("forwarded data %q", got)
	fch.Close()
	if err := c.CancelForwardTCPIP(ctx, "127.0.0.1", port); err != nil {
		t.Errorf("cancel: %v", err)
	}
	// subsystem sftp: send an SSH_FXP_INIT and read the version packet
	sch, err := c.OpenSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Subsystem(ctx, "sftp"); err != nil {
		t.Logf("sftp subsystem: %v", err)
	} else {
		sch.Write([]byte{0, 0, 0, 5, 1, 0, 0, 0, 3})
		hdr := make([]byte, 5)
		io.ReadFull(sch, hdr)
		t.Logf("sftp reply type %d", hdr[4])
	}
	sch.Close()
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
}
