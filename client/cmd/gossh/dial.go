package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// dial connects to the destination: directly, through ProxyJump hosts,
// or through ProxyCommand's stdio.
// The net.Conn returned is the one to the first hop (for IPQoS).
func dial(ctx context.Context, f *flags, o *options, mc matchContext, lg *logger, p *prompter) (*client.Client, []*client.Client, net.Conn, error) {
	hostname, port := o.get("hostname"), o.get("port")
	addr := net.JoinHostPort(hostname, port)
	if n := procsFor(1 + proxyJumpHops(o.get("proxyjump"))); n > 0 {
		runtime.GOMAXPROCS(n)
	}
	cfg, closer, err := clientConfig(o, lg, p, hostname)
	if err != nil {
		return nil, nil, nil, err
	}
	if kc := o.get("knownhostscommand"); kc != "" && kc != "none" {
		tmp, err := os.MkdirTemp("", "gossh-kh")
		if err != nil {
			return nil, nil, nil, err
		}
		defer os.RemoveAll(tmp)
		file, err := knownHostsCommand(o, mc, lg, tmp)
		if err != nil {
			return nil, nil, nil, err
		}
		if file != "" {
			cfg.GlobalKnownHostsFiles = append(cfg.GlobalKnownHostsFiles, file)
		}
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	if closer != nil {
		defer closer.Close()
	}
	network := map[string]string{"inet": "tcp4", "inet6": "tcp6"}[o.get("addressfamily")]
	if network == "" {
		network = "tcp"
	}
	var jumps []*client.Client
	var first net.Conn
	if j := o.get("proxyjump"); j != "" && j != "none" {
		var prev *client.Client
		for _, hop := range strings.Split(j, ",") {
			u, h, pt := parseDestination(hop)
			if hh, pp, err := net.SplitHostPort(h); err == nil {
				h, pt = hh, pp
			}
			jf := &flags{configFile: f.configFile, destination: hop}
			jo, _, err := resolve(jf, u, h, pt)
			if err != nil {
				return nil, jumps, first, err
			}
			jo.vals["proxyjump"] = []string{"none"}
			jcfg, jcloser, err := clientConfig(jo, lg, p, jo.get("hostname"))
			if err != nil {
				return nil, jumps, first, err
			}
			jaddr := net.JoinHostPort(jo.get("hostname"), jo.get("port"))
			lg.debug(1, "Connecting to %s [%s] port %s.", h, jo.get("hostname"), jo.get("port"))
			var jc *client.Client
			if prev == nil {
				if first, err = dialTCP(ctx, jo, network, jaddr, lg); err == nil {
					jo.hostConn.set(first)
					jc, err = jo.gated(ctx, jcfg, lg, func(ctx context.Context, cfg *client.Config) (*client.Client, error) {
						return client.NewClientConn(ctx, first, jaddr, cfg)
					})
				}
			} else {
				jc, err = prev.DialClient(ctx, jaddr, jcfg)
			}
			if jcloser != nil {
				jcloser.Close()
			}
			if err != nil {
				return nil, jumps, first, err
			}
			lg.debug(1, "Authenticated to %s ([%s]:%s) using %q.", jo.get("hostname"), remoteIP(jc), jo.get("port"), jc.AuthMethod())
			jumps = append(jumps, jc)
			prev = jc
		}
		c, err := o.gated(ctx, cfg, lg, func(ctx context.Context, cfg *client.Config) (*client.Client, error) {
			return prev.DialClient(ctx, addr, cfg)
		})
		return c, jumps, first, err
	}
	if pc := o.get("proxycommand"); pc != "" && pc != "none" {
		var nc net.Conn
		cmdline, err := expandProxyTokens(pc, o, mc)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ProxyCommand: %w", err)
		}
		if o.yes("proxyusefdpass", false) {
			nc, err = proxyCommandFdpass(ctx, cmdline)
		} else {
			nc, err = proxyCommand(cmdline)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if _, ok := nc.(*net.TCPConn); ok {
			o.hostConn.set(nc) // ProxyUseFdpass: the socket itself
		}
		c, err := o.gated(ctx, cfg, lg, func(ctx context.Context, cfg *client.Config) (*client.Client, error) {
			return client.NewClientConn(ctx, nc, addr, cfg)
		})
		if _, ok := nc.(*net.TCPConn); ok {
			return c, nil, nc, err // a socket passed back (IPQoS applies)
		}
		return c, nil, nil, err
	}
	lg.debug(1, "Connecting to %s [%s] port %s.", mc.originalHost, hostname, port)
	nc, err := dialTCP(ctx, o, network, addr, lg)
	if err != nil {
		return nil, nil, nil, err
	}
	lg.debug(1, "Connection established.")
	o.hostConn.set(nc)
	if o.yes("nohostauthenticationforlocalhost", false) && o.get("hostkeyalias") == "" && hostIsLocal(nc.RemoteAddr()) {
		// ssh: a loopback destination is not checked against known_hosts.
		lg.debug(1, "Forcing accepting of host key for loopback/localhost.")
		cfg.HostKeyCallback = func(string, net.Addr, hostkey.PublicKey) error { return nil }
	}
	c, err := o.gated(ctx, cfg, lg, func(ctx context.Context, cfg *client.Config) (*client.Client, error) {
		return client.NewClientConn(ctx, nc, addr, cfg)
	})
	return c, nil, nc, err
}

func remoteIP(c *client.Client) string {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(c.Addr())
	if err != nil {
		return c.Addr()
	}
	return h
}

func reportDialError(lg *logger, err error, o *options, mc matchContext) {
	var changed *hostkey.KeyChangedError
	var af *userauth.AuthFailure
	var short *rsaSizeError
	switch {
	case errors.As(err, &short):
		lg.errorf("%v", err)
	case errors.Is(err, errCASignature), errors.Is(err, errRevoked):
		lg.errorf("%v", err)
		lg.errorf("Host key verification failed.")
	case errors.As(err, &changed):
		lg.errorf("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
			"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@")
		lg.errorf("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!")
		if changed.Got != nil {
			lg.errorf("The fingerprint for the %s key sent by the remote host is\n%s.", changed.Got.Type(), o.fingerprint(changed.Got))
		}
		lg.errorf("Offending key in %s:%d", changed.File, changed.Line)
		lg.errorf("Host key verification failed.")
	case errors.Is(err, client.ErrHostKeyRefused):
		if errors.Is(err, hostkey.ErrHostKeyUnknown) {
			lg.errorf("No %s host key is known for %s and you have requested strict checking.", "matching", mc.originalHost)
		}
		lg.errorf("Host key verification failed.")
	case errors.As(err, &af):
		lg.errorf("%s@%s: Permission denied (%s).", o.get("user"), o.get("hostname"), deniedMethods(af))
	default:
		var ne *net.OpError
		if errors.As(err, &ne) && ne.Op == "dial" {
			lg.errorf("ssh: connect to host %s port %s: %s", o.get("hostname"), o.get("port"), syscallText(ne))
			return
		}
		lg.errorf("gossh: %v", err)
	}
}

func syscallText(ne *net.OpError) string {
	var se *os.SyscallError
	if errors.As(ne, &se) {
		s := se.Err.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return ne.Err.Error()
}

func deniedMethods(af *userauth.AuthFailure) string {
	if af.Result != nil {
		for i := len(af.Result.Results) - 1; i >= 0; i-- {
			if m := af.Result.Results[i].Methods; len(m) > 0 {
				return strings.Join(m, ",")
			}
		}
	}
	return "none"
}
