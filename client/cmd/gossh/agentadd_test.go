package main

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/userauth"
)

// recordingAgent is an in-memory agent that remembers every AddedKey.
type recordingAgent struct {
	agent.Agent
	mu    sync.Mutex
	added []agent.AddedKey
}

func (a *recordingAgent) Add(k agent.AddedKey) error {
	a.mu.Lock()
	a.added = append(a.added, k)
	a.mu.Unlock()
	return a.Agent.Add(agent.AddedKey{PrivateKey: k.PrivateKey, Comment: k.Comment})
}

func serveAgent(t *testing.T) (string, *recordingAgent) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ag := &recordingAgent{Agent: agent.NewKeyring()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { agent.ServeAgent(ag, c); c.Close() })
		}
	})
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return sock, ag
}

func TestAddKeysToAgent(t *testing.T) {
	sock, ag := serveAgent(t)
	key, err := hostkey.GenerateKey(rand.Reader, hostkey.ED25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One key file with a passphrase (typed at the prompt, remembered by
	// keyFiles), one without.
	dir := t.TempDir()
	for name, pass := range map[string][]byte{"id_pass": []byte("secret"), "id_plain": nil} {
		pem, err := hostkey.MarshalPrivateKey(key.Crypto(), "me@there", pass, nil)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), pem, 0o600)
	}
	for _, tt := range []struct {
		value    string
		file     string
		added    bool
		confirm  bool
		lifetime uint32
	}{
		{"no", "id_plain", false, false, 0},
		{"yes", "id_pass", true, false, 0},
		{"confirm", "id_plain", true, true, 0},
		{"confirm 1h", "id_plain", true, true, 3600},
		{"90", "id_plain", true, false, 90},
	} {
		t.Run(tt.value, func(t *testing.T) {
			ag.mu.Lock()
			ag.added = nil
			ag.mu.Unlock()
			o := newOptions()
			o.setOption("AddKeysToAgent " + tt.value)
			o.setOption("IdentityAgent " + sock)
			if err := o.fillDefaults("h"); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.file)
			src := userauth.OnDiskPrivateKey(path, "", nil)
			var kf keyFiles
			kf.add(src, path)
			kf.passphrase(path, []byte("secret"))
			res := &userauth.AuthResult{Results: []userauth.SourceResult{{Source: userauth.NoneAuth{}, Outcome: userauth.Failed}, {Source: src, Outcome: userauth.Success}}}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := addKeysToAgent(ctx, res, o, &kf, &prompter{opts: o}, &logger{w: &strings.Builder{}}); err != nil {
				t.Fatal(err)
			}
			ag.mu.Lock()
			defer ag.mu.Unlock()
			if !tt.added {
				if len(ag.added) != 0 {
					t.Errorf("added %d keys", len(ag.added))
				}
				return
			}
			if len(ag.added) != 1 {
				t.Fatalf("added %d keys", len(ag.added))
			}
			k := ag.added[0]
			if k.Comment != "me@there" || k.ConfirmBeforeUse != tt.confirm || k.LifetimeSecs != tt.lifetime {
				t.Errorf("added %q confirm %v lifetime %d", k.Comment, k.ConfirmBeforeUse, k.LifetimeSecs)
			}
		})
	}
	// Only an identity file that authenticated is added.
	ag.mu.Lock()
	ag.added = nil
	ag.mu.Unlock()
	o := newOptions()
	o.setOption("AddKeysToAgent yes")
	o.setOption("IdentityAgent " + sock)
	o.fillDefaults("h")
	var kf keyFiles
	res := &userauth.AuthResult{Results: []userauth.SourceResult{{Source: userauth.NoneAuth{}, Outcome: userauth.Success}}}
	if err := addKeysToAgent(context.Background(), res, o, &kf, &prompter{opts: o}, &logger{w: &strings.Builder{}}); err != nil {
		t.Fatal(err)
	}
	ag.mu.Lock()
	defer ag.mu.Unlock()
	if len(ag.added) != 0 {
		t.Errorf("a key was added for none auth")
	}
}
