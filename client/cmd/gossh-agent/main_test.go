//go:build unix

package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want flags
		bad  bool
	}{
		{"none", nil, flags{hash: "sha256", cmd: []string{}}, false},
		{"combined", []string{"-sD", "-a/tmp/s", "-t", "1h30m"}, flags{s: true, D: true, bind: "/tmp/s", hash: "sha256", life: 90 * time.Minute, cmd: []string{}}, false},
		{"csh debug", []string{"-c", "-d", "-E", "md5"}, flags{c: true, d: true, hash: "md5", cmd: []string{}}, false},
		{"command", []string{"-t", "60", "sh", "-c", "true"}, flags{hash: "sha256", life: time.Minute, cmd: []string{"sh", "-c", "true"}}, false},
		{"after --", []string{"--", "-s"}, flags{hash: "sha256", cmd: []string{"-s"}}, false},
		{"kill", []string{"-k"}, flags{k: true, hash: "sha256", cmd: []string{}}, false},
		{"websafe", []string{"-O", "no-restrict-websafe", "-P", "/usr/lib/*"}, flags{hash: "sha256", providers: "/usr/lib/*", noWebsafe: true, cmd: []string{}}, false},
		{"-P twice", []string{"-P", "/a/*", "-P", "/b/*"}, flags{}, true},
		{"-c and -s", []string{"-c", "-s"}, flags{}, true},
		{"-d and -D", []string{"-dD"}, flags{}, true},
		{"bad lifetime", []string{"-t", "soon"}, flags{}, true},
		{"bad hash", []string{"-E", "sha3"}, flags{}, true},
		{"bad -O", []string{"-O", "x"}, flags{}, true},
		{"missing argument", []string{"-a"}, flags{}, true},
		{"unknown", []string{"-x"}, flags{}, true},
		{"command with -s", []string{"-s", "sh"}, flags{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args)
			if tt.bad {
				if err == nil {
					t.Errorf("no error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(flags{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseFlags (-want +got):\n%s", diff)
			}
		})
	}
}
