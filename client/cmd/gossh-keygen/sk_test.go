package main

import (
	"errors"
	"strings"
	"testing"
)

// TestSKSuffix: the file name suffix of ssh-keygen -K (ssh-keygen.c
// sk_suffix, OpenSSH 9.2).
func TestSKSuffix(t *testing.T) {
	for _, tt := range []struct {
		app  string
		user []byte
		want string
	}{
		{"ssh:", nil, ""},
		{"ssh:", make([]byte, 32), ""},
		{"ssh:work", nil, "work"},
		{"ssh://web", []byte("alice\x00\x00"), "web_alice"},
		{"ssh:", []byte("bob"), "bob"},
		{"ssh:x", []byte("../up"), "x_2e2e2f7570"},
		{"ssh:x", []byte(`a\b`), "x_615c62"},
		{"ssh:x", []byte("a\x01b"), "x_610162"}, // escaped to \001, then hex for the backslash
	} {
		if got := skSuffix(tt.app, tt.user); got != tt.want {
			t.Errorf("skSuffix(%q, %q) = %q, want %q", tt.app, tt.user, got, tt.want)
		}
	}
}

// TestSKOptions: the enrolment -O options set the request as
// ssh-keygen's do, and the others are refused with its messages.
func TestSKOptions(t *testing.T) {
	f, err := parseFlags([]string{"-t", "ecdsa-sk", "-w", "/lib.so", "-O", "resident", "-O", "verify-required",
		"-O", "no-touch-required", "-O", "application=ssh:x", "-O", "user=u", "-O", "device=/dev/x"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.parseSKOptions(skType(f.keyType))
	if err != nil {
		t.Fatal(err)
	}
	if r := o.req; r.Flags != 0x24 || r.Application != "ssh:x" || r.User != "u" || r.Device != "/dev/x" || r.Provider != "/lib.so" {
		t.Errorf("request %+v", r)
	}
	t.Setenv("SSH_SK_PROVIDER", "/env.so")
	if p := (&flags{}).skProvider(); p != "/env.so" {
		t.Errorf("$SSH_SK_PROVIDER: %q", p)
	}
	t.Setenv("SSH_SK_PROVIDER", "")
	if p := (&flags{}).skProvider(); p != "internal" {
		t.Errorf("default provider: %q", p)
	}
	for opt, msg := range map[string]string{
		"application=web:": `FIDO application string must begin with "ssh:"`,
		"bogus":            `Option "bogus" is unsupported for FIDO authenticator enrollment`,
		"challenge=/none":  `Unable to load FIDO enrollment challenge "/none"`,
	} {
		_, err := (&flags{options: []string{opt}}).parseSKOptions("sk-ecdsa-sha2-nistp256@openssh.com")
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 255 || !strings.HasPrefix(ee.msg, msg) {
			t.Errorf("-O %s: %v, want %q", opt, err, msg)
		}
	}
}
