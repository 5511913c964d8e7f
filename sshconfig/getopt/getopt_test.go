package getopt

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		known   string
		withArg string
		want    string // the flags set saw, as "c=val;"
		rest    []string
		wantErr string
	}{
		{[]string{"-rp", "-P22", "-i", "key", "host:f", "-x"}, "rp", "Pi", "r=;p=;P=22;i=key;", []string{"host:f", "-x"}, ""},
		{[]string{"-r", "--", "-notaflag"}, "r", "", "r=;", []string{"-notaflag"}, ""},
		{[]string{"-", "x"}, "r", "", "", []string{"-", "x"}, ""},
		{[]string{"-z"}, "r", "", "", nil, "unknown option -- z"},
		{[]string{"-z"}, "", "", "z=;", []string{}, ""},
		{[]string{"-ri"}, "r", "i", "r=;", nil, "option requires an argument -- i"},
		{[]string{"-e"}, "e", "", "", nil, "set: e"},
	} {
		var seen string
		rest, err := Parse(tc.args, tc.known, tc.withArg, func(c byte, val string) error {
			if c == 'e' {
				return errors.New("set: e")
			}
			seen += fmt.Sprintf("%c=%s;", c, val)
			return nil
		}, func(m string) error { return errors.New(m) })
		switch {
		case tc.wantErr != "":
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.wantErr)
			}
		case err != nil || seen != tc.want || !slices.Equal(rest, tc.rest):
			t.Errorf("%q: saw %q rest %q err %v; want %q %q", tc.args, seen, rest, err, tc.want, tc.rest)
		}
	}
}
