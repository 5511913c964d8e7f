// Package agentauth makes userauth sources of the keys an ssh-agent
// holds (draft-miller-ssh-agent), spoken through
// golang.org/x/crypto/ssh/agent. It is apart from userauth so that a
// program that does not use an agent does not compile
// golang.org/x/crypto/ssh.
//
// The package starts no goroutines; the agent connection belongs to the
// caller through the io.Closer that Sources returns.
package agentauth

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
	"github.com/sshstack/sshstack/userauth"
)

// ErrNoAgent means SSH_AUTH_SOCK is not set.
var ErrNoAgent = errors.New("agentauth: no ssh-agent (SSH_AUTH_SOCK not set)")

// Sources connects to the user's ssh-agent at socket (the
// SSH_AUTH_SOCK environment variable when socket is empty) and returns
// one query-first PrivateKey source per key the agent holds, in the
// agent's order. The caller closes the returned Closer after
// authentication; the sources are unusable after that.
func Sources(ctx context.Context, socket string) ([]userauth.Method, io.Closer, error) {
	if socket == "" {
		socket = os.Getenv("SSH_AUTH_SOCK")
		if socket == "" {
			return nil, nil, ErrNoAgent
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, nil, fmt.Errorf("agentauth: connecting to ssh-agent: %w", err)
	}
	signers, err := Signers(agent.NewClient(conn))
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	var out []userauth.Method
	for _, s := range signers {
		pk := userauth.InMemoryPrivateKey(s)
		pk.Query, pk.Label = true, "agent "+s.comment
		out = append(out, pk)
	}
	return out, conn, nil
}

// Signers adapts every key of an ssh-agent (spoken through
// golang.org/x/crypto/ssh/agent) to a hostkey.AlgorithmSigner. Keys of
// types hostkey does not know are skipped.
func Signers(ag agent.ExtendedAgent) ([]*Signer, error) {
	keys, err := ag.List()
	if err != nil {
		return nil, fmt.Errorf("agentauth: listing agent keys: %w", err)
	}
	var out []*Signer
	for _, k := range keys {
		pub, err := hostkey.ParsePublicKey(k.Blob)
		if err != nil {
			continue
		}
		out = append(out, &Signer{ag: ag, key: k, pub: pub, comment: k.Comment})
	}
	return out, nil
}

// An Signer signs with a key held by an ssh-agent. It implements
// hostkey.AlgorithmSigner; rsa-sha2-256 and rsa-sha2-512 are asked for
// with the agent's signature flags (draft-miller-ssh-agent, Section 4.5.1).
type Signer struct {
	ag      agent.ExtendedAgent
	key     *agent.Key
	pub     hostkey.PublicKey
	comment string
}

var _ hostkey.AlgorithmSigner = (*Signer)(nil)

// PublicKey returns the agent key (or certificate).
func (s *Signer) PublicKey() hostkey.PublicKey { return s.pub }

// Comment returns the key's comment in the agent.
func (s *Signer) Comment() string { return s.comment }

// Sign signs with the key's preferred algorithm.
func (s *Signer) Sign(rand io.Reader, data []byte) (*hostkey.Signature, error) {
	return s.SignWithAlgorithm(rand, data, hostkey.SignatureAlgorithms(s.pub)[0])
}

// SignWithAlgorithm asks the agent to sign data with algorithm.
func (s *Signer) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*hostkey.Signature, error) {
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
		return nil, fmt.Errorf("agentauth: agent signing: %w", err)
	}
	if sig.Format != hostkey.SignatureFormat(algorithm) {
		return nil, fmt.Errorf("agentauth: agent signed with %q, not %s: %w", sig.Format, algorithm, hostkey.ErrAlgorithmMismatch)
	}
	return &hostkey.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest}, nil
}
