package kex_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sshstack/sshstack/kex"
)

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90": 90 * time.Second, "90s": 90 * time.Second, "2m": 2 * time.Minute, "1h30m": 90 * time.Minute,
		"1W": 7 * 24 * time.Hour, "1d2h3m4s": 26*time.Hour + 3*time.Minute + 4*time.Second, "0": 0, "10m5": 10*time.Minute + 5*time.Second,
	} {
		if got, err := kex.ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "h", "1x", "-1", "1hh", "99999999999999999999", "9999999999999w", " 1"} {
		if got, err := kex.ParseTime(bad); !errors.Is(err, kex.ErrRekeyLimit) {
			t.Errorf("ParseTime(%q) = %v, %v; want ErrRekeyLimit", bad, got, err)
		}
	}
}

func TestParseRekeyLimit(t *testing.T) {
	for _, tc := range []struct {
		in       string
		bytes    uint64
		interval time.Duration
	}{
		{"1G", 1 << 30, 0}, {"500m 1h", 500 << 20, time.Hour}, {"default none", 0, 0}, {"default 30m", 0, 30 * time.Minute},
		{"4096", 4096, 0}, {"64K default", 64 << 10, 0},
	} {
		b, i, err := kex.ParseRekeyLimit(tc.in)
		if err != nil || b != tc.bytes || i != tc.interval {
			t.Errorf("ParseRekeyLimit(%q) = %d, %v, %v; want %d, %v", tc.in, b, i, err, tc.bytes, tc.interval)
		}
	}
	for _, bad := range []string{"", "1X", "G", "1G 1x", "1G 1h extra", "99999999999G"} {
		if _, _, err := kex.ParseRekeyLimit(bad); !errors.Is(err, kex.ErrRekeyLimit) {
			t.Errorf("ParseRekeyLimit(%q) = %v, want ErrRekeyLimit", bad, err)
		}
	}
}

func FuzzParseRekeyLimit(f *testing.F) {
	for _, s := range []string{"1G 1h", "default none", "500M", "1w2d3h4m5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, i, err := kex.ParseRekeyLimit(s)
		if err == nil && i < 0 {
			t.Fatalf("ParseRekeyLimit(%q) = %d, %v: negative interval", s, b, i)
		}
	})
}
