package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

// DefaultKeysignPath is where Debian's openssh-client installs
// ssh-keysign, the setuid helper that signs hostbased requests with the
// host's private keys. It refuses to run unless the system-wide
// ssh_config (/etc/ssh/ssh_config) says EnableSSHKeysign yes.
const DefaultKeysignPath = "/usr/lib/openssh/ssh-keysign"

// keysignVersion is the version byte of ssh-keysign's request and reply
// (OpenSSH ssh-keysign.c, sshconnect2.c ssh_keysign).
const keysignVersion = 2

// maxKeysignReply bounds ssh-keysign's reply, as OpenSSH's ssh_msg_recv
// does (docs/security.md#w7).
const maxKeysignReply = 256 << 10

// LocalHostKeyFiles are the public host key files ssh reads for hostbased
// authentication, in its order; ssh-keysign holds the private halves.
var LocalHostKeyFiles = []string{
	"/etc/ssh/ssh_host_ecdsa_key.pub",
	"/etc/ssh/ssh_host_ed25519_key.pub",
	"/etc/ssh/ssh_host_rsa_key.pub",
}

// LocalHostKeys reads the public host keys of LocalHostKeyFiles that
// exist and parse.
func LocalHostKeys() []hostkey.PublicKey {
	var out []hostkey.PublicKey
	for _, f := range LocalHostKeyFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if k, _, err := hostkey.ParsePublicKeyFile(data); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// HostbasedKeysign is the "hostbased" method (RFC 4252, Section 9) as
// ssh does it with HostbasedAuthentication yes: the request names this
// host as the name of the connection's local address (with a trailing
// dot; the host name when the connection is not a socket) and the local
// user, and ssh-keysign signs it with the host key matching Key after
// checking those two names itself.
type HostbasedKeysign struct {
	Key hostkey.PublicKey // a public host key of this machine (LocalHostKeys)
	// Conn gives the connection to the server, whose descriptor
	// ssh-keysign inspects; nil, or a connection that is not a socket
	// (ProxyCommand, ProxyJump), stands for a pipe, as in ssh.
	Conn func() net.Conn
	Path string // "" means DefaultKeysignPath
	User string // the local user; "" means the current one
}

var _ userauth.Method = (*HostbasedKeysign)(nil)

func (h *HostbasedKeysign) Name() string   { return wire.MethodHostbased }
func (h *HostbasedKeysign) String() string { return "hostbased " + hostkey.FingerprintSHA256(h.Key) }

// Authenticate sends one hostbased request signed by ssh-keysign.
func (h *HostbasedKeysign) Authenticate(ctx context.Context, c *userauth.ClientConn) error {
	var nc net.Conn
	if h.Conn != nil {
		nc = h.Conn()
	}
	name := h.User
	if name == "" {
		u, err := user.Current()
		if err != nil {
			return fmt.Errorf("client: hostbased: %w", err)
		}
		name = u.Username
	}
	hb := &userauth.Hostbased{
		Signer:     &keysigner{ctx: ctx, key: h.Key, nc: nc, path: h.Path},
		ClientHost: HostbasedClientHost(nc),
		ClientUser: name,
	}
	return hb.Authenticate(ctx, c)
}

// HostbasedClientHost is the client host name ssh sends in a hostbased
// request: the name of nc's local address (reverse lookup), or this
// host's name when nc is not a socket or its address has no name,
// always with a trailing dot. ssh-keysign refuses any other.
func HostbasedClientHost(nc net.Conn) string {
	if nc != nil {
		if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
			if names, err := net.LookupAddr(a.IP.String()); err == nil && len(names) > 0 {
				return strings.TrimSuffix(names[0], ".") + "."
			}
		}
	}
	h, err := os.Hostname()
	if err != nil {
		h = "UNKNOWN"
	}
	return h + "."
}

// keysigner signs through ssh-keysign.
type keysigner struct {
	ctx  context.Context
	key  hostkey.PublicKey
	nc   net.Conn
	path string
}

func (k *keysigner) PublicKey() hostkey.PublicKey { return k.key }

func (k *keysigner) Sign(r io.Reader, data []byte) (*hostkey.Signature, error) {
	return k.SignWithAlgorithm(r, data, hostkey.SignatureAlgorithms(k.key)[0])
}

// SignWithAlgorithm runs ssh-keysign on data. The helper takes the
// algorithm from data itself (the request's algorithm field), so the
// signature's format is checked against alg afterwards.
func (k *keysigner) SignWithAlgorithm(_ io.Reader, data []byte, alg string) (*hostkey.Signature, error) {
	path := k.path
	if path == "" {
		path = DefaultKeysignPath
	}
	// fd 3 of the helper: the socket to the server, or /dev/null for a
	// pipe (the helper then uses the host name, as for ssh's pipes).
	var fd *os.File
	if fc, ok := k.nc.(interface{ File() (*os.File, error) }); ok && k.nc != nil {
		if f, err := fc.File(); err == nil {
			fd = f
		}
	}
	if fd == nil {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		fd = f
	}
	defer fd.Close()
	req := binary.BigEndian.AppendUint32(nil, uint32(1+4+4+len(data)))
	req = append(req, keysignVersion)
	req = binary.BigEndian.AppendUint32(req, 3)
	req = wire.AppendString(req, data)
	cmd := exec.CommandContext(k.ctx, path)
	cmd.Stdin = bytes.NewReader(req)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.ExtraFiles = []*os.File{fd}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("client: %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	sig, err := parseKeysignReply(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", path, err)
	}
	if sig.Format != hostkey.SignatureFormat(alg) {
		return nil, fmt.Errorf("client: %s signed with %s, want %s: %w", path, wire.Sanitize(sig.Format), alg, hostkey.ErrAlgorithmMismatch)
	}
	return sig, nil
}

// errKeysignReply means ssh-keysign's output was not one reply message.
var errKeysignReply = errors.New("malformed ssh-keysign reply")

// parseKeysignReply decodes ssh-keysign's reply: uint32 length, the
// version byte, then the signature as a string.
func parseKeysignReply(b []byte) (*hostkey.Signature, error) {
	if len(b) < 5 {
		return nil, errKeysignReply
	}
	n := binary.BigEndian.Uint32(b)
	if n > maxKeysignReply || uint64(n) != uint64(len(b)-4) || b[4] != keysignVersion {
		return nil, errKeysignReply
	}
	r := wire.NewReader(b[5:])
	sig := r.StringBytes()
	if err := r.End("ssh-keysign reply"); err != nil {
		return nil, fmt.Errorf("%w: %w", errKeysignReply, err)
	}
	return hostkey.ParseSignature(sig)
}
