package sshconfig_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sshstack/sshstack/sshconfig"
)

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{ // sshd_config(5) TIME FORMAT; sshd -T of 9.2
		"90": 90 * time.Second, "90s": 90 * time.Second, "2m": 2 * time.Minute, "1h30m": 90 * time.Minute,
		"1W": 7 * 24 * time.Hour, "1d2h3m4s": 26*time.Hour + 3*time.Minute + 4*time.Second, "0": 0,
		"10m5": 10*time.Minute + 5*time.Second, "+5": 5 * time.Second, "2147483647": 2147483647 * time.Second,
		"35791394m": 35791394 * time.Minute,
	} {
		if got, err := sshconfig.ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "none", "h", "1x", "-1", "1hh", "2147483648", "35791395m", "99999999999999999999", "1h 2147483647", "0x10"} {
		if got, err := sshconfig.ParseTime(bad); !errors.Is(err, sshconfig.ErrTime) {
			t.Errorf("ParseTime(%q) = %v, %v; want ErrTime", bad, got, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{ // scan_scaled, checked against sshd -T RekeyLimit
		"0": 0, "16": 16, "4096": 4096, "1k": 1 << 10, "1K": 1 << 10, "500M": 500 << 20, "1G": 1 << 30,
		"1T": 1 << 40, "7E": 7 << 60, "1.5K": 1536, "1.25m": 1310720, "+5K": 5120, "1B": 1, "1.5": 1, "-1K": -1024,
	} {
		if got, err := sshconfig.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "K", "none", "1X", "8E", "9E", "1KB", "1..5K", "99999999999999999999"} {
		if got, err := sshconfig.ParseSize(bad); !errors.Is(err, sshconfig.ErrSize) {
			t.Errorf("ParseSize(%q) = %d, %v; want ErrSize", bad, got, err)
		}
	}
}

func TestParseRekeyLimit(t *testing.T) {
	for _, tc := range []struct { // sshd -T of OpenSSH 9.2 for each
		in       []string
		bytes    uint64
		interval time.Duration
	}{
		{[]string{"1G"}, 1 << 30, 0}, {[]string{"500m", "1h"}, 500 << 20, time.Hour},
		{[]string{"default", "none"}, 0, 0}, {[]string{"default", "30m"}, 0, 30 * time.Minute},
		{[]string{"16"}, 16, 0}, {[]string{"0"}, 0, 0}, {[]string{"1.5K", "1h"}, 1536, time.Hour},
		{[]string{"1G", "none"}, 1 << 30, 0},
	} {
		b, i, err := sshconfig.ParseRekeyLimit(tc.in)
		if err != nil || b != tc.bytes || i != tc.interval {
			t.Errorf("ParseRekeyLimit(%q) = %d, %v, %v; want %d, %v", tc.in, b, i, err, tc.bytes, tc.interval)
		}
	}
	for _, tc := range []struct {
		in   []string
		want error
	}{
		{nil, sshconfig.ErrSize}, {[]string{"none"}, sshconfig.ErrSize}, {[]string{"15"}, sshconfig.ErrSize},
		{[]string{"1b"}, sshconfig.ErrSize}, {[]string{"-16K"}, sshconfig.ErrSize},
		{[]string{"1G", "default"}, sshconfig.ErrTime}, {[]string{"1G", "1x"}, sshconfig.ErrTime},
		{[]string{"1G", "1h", "extra"}, sshconfig.ErrSize},
	} {
		if _, _, err := sshconfig.ParseRekeyLimit(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("ParseRekeyLimit(%q) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func FuzzParseRekeyLimit(f *testing.F) {
	for _, s := range []string{"1G", "1.5K", "default", "7E", "0.999999999999999999999E"} {
		f.Add(s, "1w2d3h4m5s")
	}
	f.Fuzz(func(t *testing.T, size, tm string) {
		if n, err := sshconfig.ParseSize(size); err == nil && n < 0 && size[0] != '-' && size[0] != ' ' {
			t.Fatalf("ParseSize(%q) = %d: negative without a sign", size, n)
		}
		if d, err := sshconfig.ParseTime(tm); err == nil && (d < 0 || d > 2147483647*time.Second) {
			t.Fatalf("ParseTime(%q) = %v: out of range", tm, d)
		}
		sshconfig.ParseRekeyLimit([]string{size, tm})
	})
}
