package forward_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshstack/sshstack/connection"
	"github.com/sshstack/sshstack/server/forward"
)

// TestStreamLocalBind: a streamlocal-forward socket gets StreamLocalMode
// (0600 by default, as sshd's StreamLocalBindMask 0177; 0000 given as
// os.ModeSocket alone) whatever the
// process umask; an existing socket file at the path makes the bind fail
// unless StreamLocalBindUnlink is set, and a file that is not a socket
// is never removed.
func TestStreamLocalBind(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		mode   os.FileMode
		unlink bool
		want   os.FileMode
	}{
		{"default", 0, false, 0o600},
		{"0666", 0o666, false, 0o666},
		{"0640 unlink", 0o640, true, 0o640},
		{"0000", os.ModeSocket, false, 0}, // StreamLocalBindMask 0777
		{"0660 explicit", os.ModeSocket | 0o660, false, 0o660},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := &forward.Forwarder{PermitStreamLocal: func(string) bool { return true },
				StreamLocalMode: tt.mode, StreamLocalBindUnlink: tt.unlink}
			defer f.Close()
			cli, stop := pair(t, f)
			defer stop()
			fresh := filepath.Join(dir, "fresh.sock")
			if err := cli.ForwardStreamLocal(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(fresh); err != nil {
				t.Error(err)
			} else if st.Mode().Perm() != tt.want {
				t.Errorf("mode of %s: %o, want %o", fresh, st.Mode().Perm(), tt.want)
			}
			// A stale socket file, as a killed ssh -R leaves behind.
			stale := filepath.Join(dir, "stale.sock")
			l, err := net.Listen("unix", stale)
			if err != nil {
				t.Fatal(err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
			err = cli.ForwardStreamLocal(ctx, stale)
			if got := err == nil; got != tt.unlink {
				t.Errorf("over a stale socket: %v, want success %v", err, tt.unlink)
			}
			if err != nil && !errors.Is(err, connection.ErrRequestDenied) {
				t.Errorf("over a stale socket: %v, want ErrRequestDenied", err)
			}
			plain := filepath.Join(dir, "plain")
			if err := os.WriteFile(plain, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := cli.ForwardStreamLocal(ctx, plain); err == nil {
				t.Errorf("over a regular file: bound")
			}
			if b, err := os.ReadFile(plain); err != nil || string(b) != "x" {
				t.Errorf("regular file at the path: %q, %v; want it kept", b, err)
			}
		})
	}
}
