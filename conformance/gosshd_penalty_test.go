package conformance_test

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestGosshdPerSourcePenalties: 50 half-open pre-auth connections from
// 127.0.0.1 (connect, close) lock the source out under gosshd's default
// penalties, as under sshd 9.8's; with PerSourcePenalties no, or with
// 127.0.0.1 on PerSourcePenaltyExemptList, OpenSSH's ssh logs in right
// after the burst. gosshd's log says when every connection of the burst
// has been handled, so nothing depends on timing.
func TestGosshdPerSourcePenalties(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config []string
		want   bool
	}{
		{"default", nil, false},
		{"no", []string{"PerSourcePenalties no"}, true},
		{"exempt", []string{"PerSourcePenaltyExemptList 10.0.0.0/8,127.0.0.1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := svStart(t, []string{"ed25519"}, tc.config...)
			const burst = 50
			for range burst {
				nc, err := net.DialTimeout("tcp", "127.0.0.1:"+s.port, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				nc.Close()
			}
			for i := 0; ; i++ {
				l := s.logText()
				if strings.Count(l, "Connection closed by 127.0.0.1")+strings.Count(l, "drop connection #") >= burst {
					break
				}
				if i == 1000 {
					t.Fatalf("the burst was not handled:\n%s", tail(l))
				}
				time.Sleep(10 * time.Millisecond)
			}
			res := s.ssh(t, nil, "root", "127.0.0.1", "echo in")
			if ok := res.ExitCode == 0 && string(res.Stdout) == "in\n"; ok != tc.want {
				t.Fatalf("login after the burst: exit %d %q, want success %v\n%s", res.ExitCode, res.Stdout, tc.want, tail(s.logText()))
			}
		})
	}
}
