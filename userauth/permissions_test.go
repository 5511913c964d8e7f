package userauth_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/wire"
)

func TestPermissionsMerge(t *testing.T) {
	t1 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a, b *userauth.Permissions
		want *userauth.Permissions
		err  error
	}{
		{"nil nil", nil, nil, &userauth.Permissions{}, nil},
		{"flags or", &userauth.Permissions{NoPTY: true}, &userauth.Permissions{NoX11Forwarding: true, NoUserRC: true},
			&userauth.Permissions{NoPTY: true, NoX11Forwarding: true, NoUserRC: true}, nil},
		{"lists kept per factor", &userauth.Permissions{PermitOpen: [][]string{{"a:1"}}}, &userauth.Permissions{PermitOpen: [][]string{{"b:2"}}, PermitListen: [][]string{{"80"}}},
			&userauth.Permissions{PermitOpen: [][]string{{"a:1"}, {"b:2"}}, PermitListen: [][]string{{"80"}}}, nil},
		{"earliest expiry", &userauth.Permissions{ExpiryTime: t1}, &userauth.Permissions{ExpiryTime: t2}, &userauth.Permissions{ExpiryTime: t2}, nil},
		{"expiry from one", nil, &userauth.Permissions{ExpiryTime: t1}, &userauth.Permissions{ExpiryTime: t1}, nil},
		{"same command", &userauth.Permissions{ForceCommand: "x"}, &userauth.Permissions{ForceCommand: "x"}, &userauth.Permissions{ForceCommand: "x"}, nil},
		{"one command", nil, &userauth.Permissions{ForceCommand: "x", Environment: []string{"A=1"}}, &userauth.Permissions{ForceCommand: "x", Environment: []string{"A=1"}}, nil},
		{"two commands", &userauth.Permissions{ForceCommand: "x"}, &userauth.Permissions{ForceCommand: "y"}, nil, userauth.ErrConflict},
		{"extensions", &userauth.Permissions{Extensions: map[string]string{"a": "1"}}, &userauth.Permissions{Extensions: map[string]string{"b": "2", "a": "1"}},
			&userauth.Permissions{Extensions: map[string]string{"a": "1", "b": "2"}}, nil},
		{"extension conflict", &userauth.Permissions{Extensions: map[string]string{"a": "1"}}, &userauth.Permissions{Extensions: map[string]string{"a": "2"}}, nil, userauth.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Merge(tt.b)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
	// Merge does not alias its inputs.
	a := &userauth.Permissions{PermitOpen: [][]string{{"a:1"}}}
	m, _ := a.Merge(nil)
	m.PermitOpen[0][0] = "changed"
	if a.PermitOpen[0][0] != "a:1" {
		t.Error("Merge aliases its input")
	}
}

func TestPermissionsAllows(t *testing.T) {
	p := &userauth.Permissions{
		SourceAddress: [][]string{{"192.0.2.0/24", "!192.0.2.66"}, {"192.0.2.*"}},
		PermitOpen:    [][]string{{"db:5432", "*:80"}, {"db:*", "web:80"}},
		PermitListen:  [][]string{{"8080", "localhost:9000"}},
		ExpiryTime:    time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	from := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7")}, true},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.66")}, false},
		{&net.TCPAddr{IP: net.ParseIP("198.51.100.1")}, false},
		{nil, false},
	}
	for _, tt := range from {
		if got := p.AllowsFrom(tt.addr); got != tt.want {
			t.Errorf("AllowsFrom(%v) = %v", tt.addr, got)
		}
	}
	open := []struct {
		host string
		port int
		want bool
	}{{"db", 5432, true}, {"web", 80, true}, {"db", 80, true}, {"other", 80, false}, {"db", 22, false}}
	for _, tt := range open {
		if got := p.AllowsOpen(tt.host, tt.port); got != tt.want {
			t.Errorf("AllowsOpen(%s, %d) = %v", tt.host, tt.port, got)
		}
	}
	if !p.AllowsListen("0.0.0.0", 8080) || !p.AllowsListen("localhost", 9000) || p.AllowsListen("0.0.0.0", 9000) {
		t.Error("AllowsListen")
	}
	var none *userauth.Permissions
	if !none.AllowsFrom(nil) || !none.AllowsOpen("x", 1) || none.Expired(time.Now()) {
		t.Error("nil Permissions restricts")
	}
	if !p.Expired(p.ExpiryTime) || p.Expired(p.ExpiryTime.Add(-time.Second)) {
		t.Error("Expired")
	}
}

func TestParseAuthenticationMethods(t *testing.T) {
	tests := []struct {
		in   string
		want [][]string
		ok   bool
	}{
		{"any", nil, true},
		{"publickey,password publickey,keyboard-interactive", [][]string{{"publickey", "password"}, {"publickey", "keyboard-interactive"}}, true},
		{" password ", [][]string{{"password"}}, true},
		{"", nil, false},
		{"publickey,,password", nil, false},
		{"keyboard-interactive:pam", nil, false},
		{"any password", nil, false},
	}
	for _, tt := range tests {
		got, err := userauth.ParseAuthenticationMethods(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%q: err %v", tt.in, err)
			continue
		}
		if tt.ok && !cmp.Equal(tt.want, got) {
			t.Errorf("%q = %v, want %v", tt.in, got, tt.want)
		}
		if !tt.ok && !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("%q: err %v, want ErrInvalid", tt.in, err)
		}
	}
}
