package userauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
)

// ErrNoAgent means SSH_AUTH_SOCK is not set.
var ErrNoAgent = errors.New("userauth: no ssh-agent (SSH_AUTH_SOCK not set)")

// AgentSources connects to the user's ssh-agent at socket (the
// SSH_AUTH_SOCK environment variable when socket is empty) and returns
// one query-first PrivateKey source per key the agent holds, in the
// agent's order. The caller closes the returned Closer after
// authentication; the sources are unusable after that.
func AgentSources(ctx context.Context, socket string) ([]Method, io.Closer, error) {
	if socket == "" {
		socket = os.Getenv("SSH_AUTH_SOCK")
		if socket == "" {
			return nil, nil, ErrNoAgent
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, nil, fmt.Errorf("userauth: connecting to ssh-agent: %w", err)
	}
	signers, err := AgentSigners(agent.NewClient(conn))
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	var out []Method
	for _, s := range signers {
		out = append(out, &PrivateKey{Query: true, Label: "agent " + s.comment, signer: s})
	}
	return out, conn, nil
}

// AgentSigners adapts every key of an ssh-agent (spoken through
// golang.org/x/crypto/ssh/agent) to a hostkey.AlgorithmSigner. Keys of
// types hostkey does not know are skipped.
func AgentSigners(ag agent.ExtendedAgent) ([]*AgentSigner, error) {
	keys, err := ag.List()
	if err != nil {
		return nil, fmt.Errorf("userauth: listing agent keys: %w", err)
	}
	var out []*AgentSigner
	for _, k := range keys {
		pub, err := hostkey.ParsePublicKey(k.Blob)
		if err != nil {
			continue
		}
		out = append(out, &AgentSigner{ag: ag, key: k, pub: pub, comment: k.Comment})
	}
	return out, nil
}

// An AgentSigner signs with a key held by an ssh-agent. It implements
// hostkey.AlgorithmSigner; rsa-sha2-256 and rsa-sha2-512 are asked for
// with the agent's signature flags (draft-miller-ssh-agent, Section 4.5.1).
type AgentSigner struct {
	ag      agent.ExtendedAgent
	key     *agent.Key
	pub     hostkey.PublicKey
	comment string
}

var _ hostkey.AlgorithmSigner = (*AgentSigner)(nil)

// PublicKey returns the agent key (or certificate).
func (s *AgentSigner) PublicKey() hostkey.PublicKey { return s.pub }

// Comment returns the key's comment in the agent.
func (s *AgentSigner) Comment() string { return s.comment }

// Sign signs with the key's preferred algorithm.
func (s *AgentSigner) Sign(rand io.Reader, data []byte) (*hostkey.Signature, error) {
	return s.SignWithAlgorithm(rand, data, hostkey.SignatureAlgorithms(s.pub)[0])
}

// SignWithAlgorithm asks the agent to sign data with algorithm.
func (s *AgentSigner) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*hostkey.Signature, error) {
	var flags agent.SignatureFlags
	switch hostkey.SignatureFormat(algorithm) {
	case hostkey.RSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case hostkey.RSASHA512:
		flags = agent.SignatureFlagRsaSha512
	}
	var sig *ssh.Signature
	var err error
	if flags != 0 {
		sig, err = s.ag.SignWithFlags(s.key, data, flags)
	} else {
		sig, err = s.ag.Sign(s.key, data)
	}
	if err != nil {
		return nil, fmt.Errorf("userauth: agent signing: %w", err)
	}
	if sig.Format != hostkey.SignatureFormat(algorithm) {
		return nil, fmt.Errorf("userauth: agent signed with %q, not %s: %w", sig.Format, algorithm, hostkey.ErrAlgorithmMismatch)
	}
	return &hostkey.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest}, nil
}
