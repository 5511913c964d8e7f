package client

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/wire"
)

// errNoUpdate means UpdateHostKeys left known_hosts alone, and why.
var errNoUpdate = errors.New("client: host keys not updated")

// onHostKeys receives the server's "hostkeys-00@openssh.com" on the
// connection's reader, which must not wait for a reply: the work runs
// in a goroutine of the Client.
func (c *Client) onHostKeys(blobs [][]byte) {
	c.wg.Go(func() {
		n, err := c.learnHostKeys(blobs)
		c.log.Debug("update host keys", "learned", n, "err", err)
	})
}

// learnHostKeys records the keys of blobs that known_hosts lacks for
// this host once the server has proved it holds them (OpenSSH PROTOCOL,
// Section 2.5), and returns how many it recorded.
func (c *Client) learnHostKeys(blobs [][]byte) (int, error) {
	k := c.kh
	k.mu.Lock()
	v := k.verifiedBy
	k.mu.Unlock()
	switch {
	case v == nil:
		return 0, fmt.Errorf("%w: the host key was not verified from known_hosts", errNoUpdate)
	case v.ByAuthority:
		return 0, fmt.Errorf("%w: the host key was accepted through @cert-authority", errNoUpdate)
	case !slices.Contains(k.userFiles, v.File):
		return 0, fmt.Errorf("%w: the host key was found in %s, not a user known_hosts file", errNoUpdate, v.File)
	}
	kh, err := k.load()
	if err != nil {
		return 0, err
	}
	name := k.name(c.addr)
	allowed := c.cfg.algorithms(AlgKeys, c.cfg.HostKeyAlgorithms)
	var keys []hostkey.PublicKey
	var unknown [][]byte
	for _, b := range blobs {
		key, err := hostkey.ParsePublicKey(b)
		if err != nil {
			continue // a key type we do not know, as ssh skips it
		}
		if _, isCert := key.(*hostkey.Certificate); isCert || !slices.ContainsFunc(hostkey.SignatureAlgorithms(key), func(a string) bool {
			return slices.Contains(allowed, a)
		}) {
			continue
		}
		if r := kh.Lookup(name, key); r.Status == hostkey.StatusKnown || r.Status == hostkey.StatusRevoked {
			continue
		}
		if slices.ContainsFunc(keys, func(o hostkey.PublicKey) bool { return hostkey.Equal(o, key) }) {
			continue
		}
		keys = append(keys, key)
		unknown = append(unknown, b)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	ok, reply, err := c.conn.SendRequest(c.ctx, wire.GlobalHostKeysProve, true, (&wire.HostKeys{Keys: unknown}).Append(nil))
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: the server refused to prove its keys", errNoUpdate)
	}
	sigs, err := wire.ParseHostKeys(reply)
	if err != nil {
		return 0, err
	}
	if len(sigs.Keys) != len(keys) {
		return 0, fmt.Errorf("%w: %d signatures for %d keys", errNoUpdate, len(sigs.Keys), len(keys))
	}
	// Every signature must verify before anything is recorded, as ssh
	// requires.
	for i, key := range keys {
		data := wire.AppendString(wire.AppendString(wire.AppendString(nil, wire.GlobalHostKeysProve), c.t.SessionID()), unknown[i])
		sig, err := hostkey.ParseSignature(sigs.Keys[i])
		if err != nil {
			return 0, err
		}
		if err := key.Verify(data, sig); err != nil {
			return 0, fmt.Errorf("%w: proof for %s: %w", errNoUpdate, key.Type(), err)
		}
	}
	file := k.userFiles[0]
	for i, key := range keys {
		if err := kh.AddKnownHost(file, []string{name}, key, k.hash); err != nil {
			return i, err
		}
		if c.cfg.HostKeyLearned != nil {
			c.cfg.HostKeyLearned(name, key)
		}
	}
	return len(keys), nil
}
