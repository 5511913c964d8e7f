package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
)

// HostKeyAgent (sshd_config(5)): the private halves of the host keys
// live in an ssh-agent, and the HostKey files may hold only the public
// keys. As sshd does, a HostKey whose private key is readable still
// signs with it; only a key gosshd has the public half of is signed
// through the agent.
//
// Every signature opens its own connection to the agent socket, with
// agentTimeout for the dial and the exchange (docs/decisions/0027-host-
// key-agent.md). A dead or hung agent therefore costs the handshake
// that needed it, with an error that names the socket, and nothing else:
// the next connection tries the agent again.

// agentTimeout bounds one signature through the agent: dialling,
// sending the request and reading the reply.
const agentTimeout = 10 * time.Second

// errAgentKey means the agent answered with a signature that is not by
// the host key gosshd asked for, or in another algorithm.
var errAgentKey = errors.New("gosshd: HostKeyAgent signature does not verify with the host key")

// agentSocket returns the socket HostKeyAgent names: the value of
// $SSH_AUTH_SOCK for "SSH_AUTH_SOCK", as sshd, else the path itself.
func agentSocket(v string) string {
	if v == "SSH_AUTH_SOCK" {
		return os.Getenv("SSH_AUTH_SOCK")
	}
	return v
}

// An agentHostKey is a host key whose private half an ssh-agent holds.
// It implements hostkey.AlgorithmSigner and is safe for concurrent use:
// it keeps no connection.
type agentHostKey struct {
	socket string
	pub    hostkey.PublicKey
	log    *slog.Logger // set before the server starts; nil logs nothing
}

var _ hostkey.AlgorithmSigner = (*agentHostKey)(nil)

func (k *agentHostKey) PublicKey() hostkey.PublicKey { return k.pub }

// Sign signs with the key's preferred algorithm (rsa-sha2-512 for RSA).
func (k *agentHostKey) Sign(rand io.Reader, data []byte) (*hostkey.Signature, error) {
	return k.SignWithAlgorithm(rand, data, hostkey.SignatureAlgorithms(k.pub)[0])
}

// SignWithAlgorithm asks the agent to sign data with algorithm; RSA keys
// ask for rsa-sha2-256 or rsa-sha2-512 with the agent's signature flags
// (draft-miller-ssh-agent, Section 4.5.1). The signature is verified
// with the public key before it is used, so that an agent holding
// another key, or signing with SHA-1 when asked for SHA-2, fails here
// with errAgentKey rather than at the client.
func (k *agentHostKey) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*hostkey.Signature, error) {
	sig, err := k.sign(data, algorithm)
	if err != nil && k.log != nil {
		// The handshake's own log line does not carry the cause.
		k.log.Error(err.Error())
	}
	return sig, err
}

func (k *agentHostKey) sign(data []byte, algorithm string) (*hostkey.Signature, error) {
	format := hostkey.SignatureFormat(algorithm)
	if format == "" || hostkey.KeyTypeForAlgorithm(format) != k.pub.Type() {
		return nil, fmt.Errorf("%w: cannot sign %q with a %s key", hostkey.ErrAlgorithmMismatch, algorithm, k.pub.Type())
	}
	var flags agent.SignatureFlags
	switch format {
	case hostkey.RSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case hostkey.RSASHA512:
		flags = agent.SignatureFlagRsaSha512
	}
	conn, err := net.DialTimeout("unix", k.socket, agentTimeout)
	if err != nil {
		return nil, fmt.Errorf("gosshd: HostKeyAgent: %w", err) // names the socket
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(agentTimeout)); err != nil {
		return nil, fmt.Errorf("gosshd: HostKeyAgent %s: %w", k.socket, err)
	}
	key := &agent.Key{Format: k.pub.Type(), Blob: k.pub.Marshal()}
	s, err := agent.NewClient(conn).SignWithFlags(key, data, flags)
	if err != nil {
		return nil, fmt.Errorf("gosshd: HostKeyAgent %s: signing with %s: %w", k.socket, algorithm, err)
	}
	sig := &hostkey.Signature{Format: s.Format, Blob: s.Blob, Rest: s.Rest}
	// ssh-rsa is allowed here: kex asks for it only when HostKeyAlgorithms
	// lists it.
	if err := (&hostkey.Policy{AllowSHA1: true}).Verify(k.pub, format, data, sig); err != nil {
		return nil, fmt.Errorf("%w (%s, asked for %s): %v", errAgentKey, k.socket, algorithm, err)
	}
	return sig, nil
}

// agentHasKey reports whether the agent at socket holds pub. It is
// checked once at startup so that a HostKey the agent lacks is reported
// then, rather than as failed handshakes.
func agentHasKey(socket string, pub hostkey.PublicKey) (bool, error) {
	conn, err := net.DialTimeout("unix", socket, agentTimeout)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(agentTimeout)); err != nil {
		return false, err
	}
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return false, err
	}
	blob := pub.Marshal()
	for _, k := range keys {
		if bytes.Equal(k.Blob, blob) {
			return true, nil
		}
	}
	return false, nil
}

// loadPublicHostKey reads the public half of a HostKey, from the file
// itself or from file.pub, as sshd's sshkey_load_public does. A
// certificate is refused: like sshd, gosshd takes host certificates
// only from HostCertificate.
func loadPublicHostKey(file string) (hostkey.PublicKey, error) {
	var pub hostkey.PublicKey
	var err error
	for _, f := range []string{file, file + ".pub"} {
		var data []byte
		if data, err = os.ReadFile(f); err != nil {
			continue
		}
		if pub, _, err = hostkey.ParsePublicKeyFile(data); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if _, ok := pub.(*hostkey.Certificate); ok {
		return nil, errors.New("a certificate, not a key")
	}
	return pub, nil
}
