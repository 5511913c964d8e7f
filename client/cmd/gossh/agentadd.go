package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// keyFiles remembers the identity files authSources offered and the
// passphrases typed for them, so that AddKeysToAgent can add the key
// that authenticated.
type keyFiles struct {
	mu    sync.Mutex
	paths map[userauth.Method]string
	pass  map[string][]byte // path -> passphrase; guarded by mu
}

func (k *keyFiles) add(m userauth.Method, path string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.paths == nil {
		k.paths, k.pass = map[userauth.Method]string{}, map[string][]byte{}
	}
	k.paths[m] = path
}

// cached returns the passphrase typed for path, if one was.
func (k *keyFiles) cached(path string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pp, ok := k.pass[path]
	return pp, ok
}

func (k *keyFiles) passphrase(path string, pp []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pass == nil {
		k.paths, k.pass = map[userauth.Method]string{}, map[string][]byte{}
	}
	k.pass[path] = append([]byte(nil), pp...)
}

// addKeysToAgent is AddKeysToAgent: after authentication, the
// identity file that succeeded (never an agent's key) is added to the
// agent (IdentityAgent, else SSH_AUTH_SOCK) with the lifetime and the
// confirm constraint asked for; with "ask" the user is asked first.
func addKeysToAgent(ctx context.Context, res *userauth.AuthResult, o *options, kf *keyFiles, p *prompter, lg *logger) error {
	ak, err := parseAddKeys(o.get("addkeystoagent"))
	if err != nil || ak.mode == "false" || res == nil || !res.Authenticated() {
		return err
	}
	kf.mu.Lock()
	path, ok := kf.paths[res.Results[len(res.Results)-1].Source]
	pp := kf.pass[path]
	kf.mu.Unlock()
	if !ok {
		return nil
	}
	sock := expandTilde(o.get("identityagent"))
	if sock == "" || sock == "SSH_AUTH_SOCK" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock == "" || sock == "none" {
		lg.debug(1, "AddKeysToAgent: no agent")
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	key, comment, err := hostkey.ParseRawPrivateKey(data, pp)
	if err != nil {
		return fmt.Errorf("AddKeysToAgent: %s: %w", path, err)
	}
	if comment == "" {
		comment = path
	}
	if ak.mode == "ask" {
		a, err := p.ask(fmt.Sprintf("Add key %s (%s) to agent? (yes/no) ", path, comment), true)
		if err != nil || !strings.EqualFold(strings.TrimSpace(a), "yes") {
			return nil
		}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return fmt.Errorf("AddKeysToAgent: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	k := agent.AddedKey{PrivateKey: key, Comment: comment, ConfirmBeforeUse: ak.mode == "confirm",
		LifetimeSecs: uint32(ak.lifetime.Seconds())}
	if err := agent.NewClient(c).Add(k); err != nil {
		return fmt.Errorf("AddKeysToAgent: adding %s: %w", path, err)
	}
	lg.debug(1, "Added key %s to the agent", path)
	return nil
}
