package keyagent

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/wire"
)

// TestMatchPatternList: the -P allowlist is OpenSSH's
// match_pattern_list (sshconfig.MatchList), as ssh-agent uses it.
func TestMatchPatternList(t *testing.T) {
	for _, tt := range []struct {
		s, list string
		want    bool
	}{
		{"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", DefaultAllowedProviders, true},
		{"/usr/local/lib/p.so", DefaultAllowedProviders, true},
		{"/usr/lib64/p.so", DefaultAllowedProviders, true},
		{"/tmp/p.so", DefaultAllowedProviders, false},
		{"/home/u/usr/lib/p.so", DefaultAllowedProviders, false},
		{"/opt/p.so", "/opt/?.so", true},
		{"/opt/pp.so", "/opt/?.so", false},
		{"/opt/p.so", "/opt/*,!/opt/p.so", false},
		{"/opt/q.so", "/opt/*,!/opt/p.so", true},
		{"/opt/p.so", "", false},
		{"/opt/p.so", "/opt/p.so", true},
		{"/opt/p.sox", "/opt/p.so", false},
	} {
		if got := sshconfig.MatchList(tt.list, tt.s, nil); got != tt.want {
			t.Errorf("MatchList(%q, %q) = %v, want %v", tt.list, tt.s, got, tt.want)
		}
	}
}

func smartcardMsg(typ byte, provider, pin string, constraints ...byte) []byte {
	b := []byte{typ}
	b = wire.AppendString(b, []byte(provider))
	b = wire.AppendString(b, []byte(pin))
	return append(b, constraints...)
}

// TestParseSmartcardRequest: the three smartcard messages with their
// constraints, and each cut short or with an unknown constraint refused.
func TestParseSmartcardRequest(t *testing.T) {
	life := binary.BigEndian.AppendUint32([]byte{constrainLifetime}, 60)
	for _, tt := range []struct {
		name string
		msg  []byte
		want smartcardRequest
	}{
		{"add", smartcardMsg(msgAddSmartcardKey, "/p.so", "1234"), smartcardRequest{typ: msgAddSmartcardKey, provider: "/p.so", pin: "1234"}},
		{"remove", smartcardMsg(msgRemoveSmartcardKey, "/p.so", ""), smartcardRequest{typ: msgRemoveSmartcardKey, provider: "/p.so"}},
		{"constrained", smartcardMsg(msgAddSmartcardKeyConstrained, "/p.so", "", append(life, constrainConfirm)...),
			smartcardRequest{typ: msgAddSmartcardKeyConstrained, provider: "/p.so", life: time.Minute, confirm: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSmartcardRequest(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(smartcardRequest{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for i := 1; i < len(tt.msg); i++ {
				if _, err := parseSmartcardRequest(tt.msg[:i]); err == nil && i < len(tt.msg)-len(life)-1 {
					t.Errorf("cut at %d: no error", i)
				}
			}
		})
	}
	for _, msg := range [][]byte{
		append(smartcardMsg(msgAddSmartcardKey, "/p.so", ""), 0),
		smartcardMsg(msgAddSmartcardKeyConstrained, "/p.so", "", 9),
		smartcardMsg(msgAddSmartcardKeyConstrained, "/p.so", "", append([]byte{constrainExtension}, wire.AppendString(nil, []byte("x@y"))...)...),
		smartcardMsg(msgAddSmartcardKeyConstrained, "/p.so", "", constrainLifetime, 0),
	} {
		if _, err := parseSmartcardRequest(msg); err == nil {
			t.Errorf("%x: no error", msg)
		}
	}
}

func FuzzParseSmartcardRequest(f *testing.F) {
	f.Add(smartcardMsg(msgAddSmartcardKey, "/p.so", "1234"))
	f.Add(smartcardMsg(msgAddSmartcardKeyConstrained, "/p.so", "", constrainLifetime, 0, 0, 0, 1, constrainConfirm))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseSmartcardRequest(b)
		if err != nil {
			return
		}
		if req.typ != b[0] {
			t.Fatalf("type %d from %x", req.typ, b)
		}
	})
}

// TestServerSmartcardRefusals: over the agent protocol, a provider
// outside the allowlist, one that does not exist and the removal of one
// never loaded are SSH_AGENT_FAILURE, and the connection goes on serving
// (a list afterwards works).
func TestServerSmartcardRefusals(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "p.so")
	if err := os.WriteFile(lib, []byte("not a module"), 0o600); err != nil {
		t.Fatal(err)
	}
	kr := NewKeyring(&Config{AllowedProviders: "/nowhere/*"})
	defer kr.Close()
	for _, err := range []error{
		kr.AddSmartcard(context.Background(), lib, "", 0, false),
		kr.AddSmartcard(context.Background(), filepath.Join(dir, "none.so"), "", 0, false),
		kr.RemoveSmartcard(lib),
	} {
		if err == nil {
			t.Error("no error")
		}
	}
	if err := kr.AddSmartcard(context.Background(), lib, "", 0, false); !errors.Is(err, ErrProviderNotAllowed) {
		t.Errorf("not allowed: %v", err)
	}
	c1, c2 := net.Pipe()
	s := &Server{Keyring: kr}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- s.ServeConn(ctx, c2) }()
	for _, msg := range [][]byte{
		smartcardMsg(msgAddSmartcardKey, lib, ""),
		smartcardMsg(msgAddSmartcardKeyConstrained, lib, "", constrainConfirm),
		smartcardMsg(msgRemoveSmartcardKey, lib, ""),
		{msgAddSmartcardKey, 0, 0},
	} {
		if _, err := c1.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)); err != nil {
			t.Fatal(err)
		}
		reply, err := readFrame(c1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(reply) != "\x00\x00\x00\x01\x05" {
			t.Errorf("reply %x, want SSH_AGENT_FAILURE", reply)
		}
	}
	if keys, err := agent.NewClient(c1).List(); err != nil || len(keys) != 0 {
		t.Errorf("List after the refusals: %v %v", keys, err)
	}
	c1.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeConn: %v", err)
	}
}
