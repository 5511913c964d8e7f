package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/client/forward"
)

// connect runs the session and returns the exit status.
func connect(f *flags, o *options, mc matchContext) int {
	lg, err := newLogger(o, f.logFile, f.syslog)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %v\n", err)
		return 255
	}
	for _, w := range o.warnings {
		if strings.HasPrefix(w, "command-line") {
			lg.errorf("gossh: %s", w)
		} else {
			lg.debug(1, "%s", w)
		}
	}
	p := newPrompter(o)
	defer p.close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()

	c, jumps, nc, err := dial(ctx, f, o, mc, lg, p)
	defer func() {
		for i := len(jumps) - 1; i >= 0; i-- {
			jumps[i].Close()
		}
	}()
	if err != nil {
		reportDialError(lg, err, o, mc)
		return 255
	}
	defer c.Close()
	lg.debug(1, "Authenticated to %s ([%s]:%s) using %q.", o.get("hostname"), remoteIP(c), o.get("port"), c.AuthMethod())

	if err := addKeysToAgent(ctx, c.AuthResult(), o, &p.keys, p, lg); err != nil {
		lg.errorf("%v", err)
	}
	if err := localCommand(o, mc, lg); err != nil {
		lg.errorf("%v", err)
	}
	bg := os.Getenv(muxBGEnv) != ""
	if !bg {
		if err := forked(); err != nil {
			lg.debug(1, "%v", err)
		}
	}

	// Forwardings.
	gatewayPorts = o.yes("gatewayports", false)
	if m, err := strconv.ParseUint(o.get("streamlocalbindmask"), 8, 32); err == nil {
		streamLocalBind.mask = int(m)
	}
	streamLocalBind.unlink = o.yes("streamlocalbindunlink", false)
	permitRemoteOpen = parsePermitRemoteOpen(o.get("permitremoteopen"))
	var wg sync.WaitGroup
	defer wg.Wait()
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	startGSSRenewal(fctx, &wg, c, o, lg)
	exitOnFail := o.yes("exitonforwardfailure", false)
	var fs forwardSet
	for _, spec := range o.all("localforward") {
		if err := startLocalForward(fctx, &wg, c, spec, lg, &fs); err != nil {
			lg.errorf("%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	for _, spec := range o.all("remoteforward") {
		if err := startRemoteForward(fctx, &wg, c, spec, lg, &fs); err != nil {
			lg.errorf("Warning: remote port forwarding failed for listen port %s", spec)
			lg.debug(1, "%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	dynamic := func(spec string) error {
		network, addr, err := listenAddr(spec)
		if err != nil {
			return err
		}
		l, err := listen(network, addr)
		if err != nil {
			return err
		}
		fs.add("D", network, addr, l)
		lg.debug(1, "Local connections to %s forwarded to remote address socks:0", l.Addr())
		wg.Go(func() { forward.SOCKS(fctx, c, l) })
		return nil
	}
	for _, spec := range o.all("dynamicforward") {
		if err := dynamic(spec); err != nil {
			lg.errorf("%v", err)
			if exitOnFail {
				return 255
			}
		}
	}
	if err := startTunnel(fctx, &wg, c, o.get("tunnel"), o.get("tunneldevice"), lg); err != nil {
		lg.errorf("%v", err)
		if exitOnFail {
			return 255
		}
	}
	// forward serves the "~C" command line: -L, -R and -D add a forward,
	// -KL, -KR and -KD cancel one.
	forward := cmdlineForwards{
		add: func(kind, spec string) error {
			switch kind {
			case "L":
				return startLocalForward(fctx, &wg, c, spec, lg, &fs)
			case "R":
				return startRemoteForward(fctx, &wg, c, spec, lg, &fs)
			}
			return dynamic(spec)
		},
		cancel: fs.cancel,
	}

	// ControlMaster: share this connection on ControlPath.
	var mm *muxMaster
	if o.get("controlpath") != "" && controlMaster(o) != "false" {
		mm = startMaster(ctx, c, o, lg)
	}
	if bg {
		// ControlPersist's background master: the parent goes on as a
		// mux client once the socket is there.
		if err := forked(); err != nil {
			lg.debug(1, "%v", err)
		}
		detachStdio()
		if mm == nil {
			return 255
		}
		_, idle := controlPersist(o)
		mm.persist(ctx, c, idle)
		return 0
	}
	defer mm.finish(ctx)
	if f.stdio != "" {
		conn, err := c.Dial(ctx, "tcp", f.stdio)
		if err != nil {
			lg.errorf("stdio forwarding failed: %v", err)
			return 255
		}
		done := make(chan struct{})
		go func() {
			io.Copy(conn, os.Stdin)
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
		}()
		go func() { io.Copy(os.Stdout, conn); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
		conn.Close()
		return 0
	}
	if f.noCommand || strings.EqualFold(o.get("sessiontype"), "none") {
		if qos, err := parseIPQoS(o.get("ipqos")); err == nil && nc != nil {
			setTOS(nc, qos.bulk)
		}
		if mm != nil {
			// A master without a session of its own (-N): it lasts
			// as long as the connection, or ControlPersist's time.
			_, idle := controlPersist(o)
			mm.persist(ctx, c, idle)
		}
		err := c.Wait(ctx)
		if errors.Is(err, client.ErrKeepaliveTimeout) {
			lg.errorf("Timeout, server %s not responding.", o.get("hostname"))
			return 255
		}
		return 0
	}
	qos, _ := parseIPQoS(o.get("ipqos"))
	setQoS := func(interactive bool) {
		tos := qos.bulk
		if interactive {
			tos = qos.interactive
		}
		if nc != nil {
			if err := setTOS(nc, tos); err != nil {
				lg.debug(1, "setsockopt IP_TOS %d: %v", tos, err)
			}
		}
	}
	code := runSession(ctx, c, f, o, lg, forward, setQoS)
	if errors.Is(c.Err(), client.ErrKeepaliveTimeout) {
		lg.errorf("Timeout, server %s not responding.", o.get("hostname"))
		return 255
	}
	return code
}
