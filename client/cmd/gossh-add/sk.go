//go:build unix

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// parseSK reads an sk-* key file (nil, nil for another key type),
// asking for its passphrase as for other keys.
func (a *adder) parseSK(path string, data []byte) (*hostkey.SKPrivateKey, error) {
	k, err := hostkey.ParseSKPrivateKey(data, nil)
	if errors.Is(err, hostkey.ErrUnknownAlgorithm) || errors.Is(err, hostkey.ErrUnsupportedKeyFile) {
		return nil, nil
	}
	var pm *hostkey.PassphraseMissingError
	if errors.As(err, &pm) {
		if _, ok := pm.PublicKey.(*hostkey.SKPublicKey); !ok {
			return nil, nil
		}
		if a.pass != nil {
			if k, err = hostkey.ParseSKPrivateKey(data, a.pass); err == nil {
				return k, nil
			}
		}
		prompt := fmt.Sprintf("Enter passphrase for %s: ", path)
		for {
			p, perr := keyagent.ReadPassphrase(a.ctx, prompt, keyagent.AllowStdin)
			if perr != nil || p == "" {
				return nil, errReported
			}
			if k, err = hostkey.ParseSKPrivateKey(data, []byte(p)); err == nil {
				a.pass = []byte(p)
				return k, nil
			}
			prompt = fmt.Sprintf("Bad passphrase, try again for %s: ", path)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error loading key \"%s\": %v\n", path, err)
		return nil, errReported
	}
	return k, nil
}

// skProvider is -S, else $SSH_SK_PROVIDER, else "internal".
func (a *adder) skProvider() string {
	if a.f.skProvider != "" {
		return a.f.skProvider
	}
	if p := os.Getenv("SSH_SK_PROVIDER"); p != "" {
		return p
	}
	return "internal"
}

// addSK gives the agent a security key as ssh-add does:
// SSH2_AGENTC_ADD_ID_CONSTRAINED with the key's serialisation (its key
// handle), the comment, -t and -c, and the provider as the
// sk-provider@openssh.com constraint. The agent signs through
// ssh-sk-helper. It uses a connection of its own: the x/crypto client's
// pipeline reads the other one.
func (a *adder) addSK(path string, k *hostkey.SKPrivateKey) error {
	if k.Flags&hostkey.SKUserVerified != 0 {
		fmt.Fprintf(os.Stderr, "FIDO verify-required key %s is not currently supported by ssh-agent\n", path)
		return errReported
	}
	comment := k.Comment
	if comment == "" {
		comment = path
	}
	msg := []byte{25} // SSH2_AGENTC_ADD_ID_CONSTRAINED
	msg = append(msg, k.Serialized...)
	msg = wire.AppendString(msg, []byte(comment))
	if a.f.life > 0 {
		msg = append(msg, constrainLifetime)
		msg = binary.BigEndian.AppendUint32(msg, uint32(a.f.life/time.Second))
	}
	if a.f.c {
		msg = append(msg, constrainConfirm)
	}
	msg = append(msg, 255) // SSH_AGENT_CONSTRAIN_EXTENSION
	msg = wire.AppendString(msg, []byte(keyagent.SKProviderExtension))
	msg = wire.AppendString(msg, []byte(a.skProvider()))
	conn, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error connecting to agent: %v\n", err)
		return errReported
	}
	defer conn.Close()
	ok, err := cardRoundTrip(conn, msg)
	if err != nil || !ok {
		fmt.Fprintf(os.Stderr, "Could not add identity \"%s\": agent refused operation\n", path)
		return errReported
	}
	a.report("Identity added: %s (%s)\n", path, comment)
	return nil
}
