package client

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	if !slices.ContainsFunc(blobs, func(b []byte) bool { return bytes.Equal(b, v.Key.Marshal()) }) {
		return 0, fmt.Errorf("%w: the server did not list the key of this connection", errNoUpdate)
	}
	name := k.name(c.addr)
	allowed := c.cfg.algorithms(AlgKeys, c.cfg.HostKeyAlgorithms)
	var keys []hostkey.PublicKey
	var unknown [][]byte
	k.mu.Lock()
	defer k.mu.Unlock() // kh.Lines: see knownHosts.check; released around the request below
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
		return 0, c.removeObsolete(kh, name, blobs)
	}
	k.mu.Unlock()
	ok, reply, err := c.conn.SendRequest(c.ctx, wire.GlobalHostKeysProve, true, (&wire.HostKeys{Keys: unknown}).Append(nil))
	k.mu.Lock()
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
	return len(keys), c.removeObsolete(kh, name, blobs)
}

// removeObsolete removes from the first user known_hosts file the plain
// keys recorded for name that the server no longer lists (blobs), as ssh
// does. Entries for several hosts or with patterns are never rewritten:
// if the host has any there, nothing is removed.
func (c *Client) removeObsolete(kh *hostkey.KnownHosts, name string, blobs [][]byte) error {
	file := c.kh.userFiles[0]
	var obsolete []*hostkey.KnownHostsLine
	for _, l := range kh.Lines {
		if l.File != file || l.Marker != "" || l.Key == nil || !l.Matches(name) {
			continue
		}
		if len(l.Hosts) != 1 || !(strings.HasPrefix(l.Hosts[0], "|1|") || strings.EqualFold(l.Hosts[0], hostkey.Normalize(name))) {
			return fmt.Errorf("%w: %s:%d names the host among others or by a pattern", errNoUpdate, l.File, l.Line)
		}
		if !slices.ContainsFunc(blobs, func(b []byte) bool { return bytes.Equal(b, l.Key.Marshal()) }) {
			obsolete = append(obsolete, l)
		}
	}
	if len(obsolete) == 0 {
		return nil
	}
	lines := make([]int, len(obsolete))
	for i, l := range obsolete {
		lines[i] = l.Line
	}
	if err := hostkey.RemoveKnownHostsLines(file, lines); err != nil {
		return err
	}
	kh.Lines = slices.DeleteFunc(kh.Lines, func(l *hostkey.KnownHostsLine) bool { return slices.Contains(obsolete, l) })
	for _, l := range obsolete {
		if c.cfg.HostKeyDeprecated != nil {
			c.cfg.HostKeyDeprecated(name, l.Key)
		}
	}
	return nil
}
