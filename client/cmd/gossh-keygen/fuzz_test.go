package main

import (
	"testing"
	"time"

	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/hostkey/krl"
)

const fuzzKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMInG8lKim7nihPaMb888xvvSBlIWBs1vyT5srg4F1+u c"

// FuzzRFC4716: parseRFC4716 never panics, and a key it reads exports
// and reads back as itself.
func FuzzRFC4716(f *testing.F) {
	f.Add([]byte(rfc4716Begin + "\nComment: \"a \\\n b\"\nAAAAC3NzaC1lZDI1NTE5AAAAIMInG8lKim7nihPaMb888xvvSBlIWBs1vyT5srg4F1+u\n" + rfc4716End + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := parseRFC4716(b)
		if err != nil {
			return
		}
		if _, err := hostkey.ParsePublicKey(pub.Marshal()); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzPEMPublic: parsePEMPublic never panics.
func FuzzPEMPublic(f *testing.F) {
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/yrmjdyOrcyuTjDR/S02b5+MD7Se\nqlcHjMel3uA5jRxnLxynigpC/hkNbG/IoyR4rrHWUnXSefvpf83ZvxywWw==\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) { parsePEMPublic(b) })
}

// FuzzValidity: -V never panics, and what it accepts is a non-empty
// interval.
func FuzzValidity(f *testing.F) {
	for _, s := range []string{"+52w", "-1d:+1h", "always:forever", "20250101:20260101123456Z", "1h30m"} {
		f.Add(s)
	}
	now := time.Unix(1800000000, 0)
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := parseValidity(s, now)
		if err == nil && s != "" && to <= from {
			t.Fatalf("%q: empty interval %d-%d accepted", s, from, to)
		}
	})
}

// FuzzKRLSpec: a -k specification file never panics, and what it
// accepts encodes to a KRL that parses.
func FuzzKRLSpec(f *testing.F) {
	f.Add([]byte("serial: 5\nserial: 10-20\nid: x\nkey: " + fuzzKey + "\nsha1: " + fuzzKey + "\nhash: SHA256:2mAcajJYplt/YdiEfG0j6MJt2wn985qijOvSVeIeKYE\n" + fuzzKey + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := &krl.KRL{}
		if err := krlSpec(k, "spec", b, nil, true); err != nil {
			return
		}
		if _, err := krl.Parse(k.Marshal()); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzKnownHostsLine: splitting and matching a known_hosts line never
// panics.
func FuzzKnownHostsLine(f *testing.F) {
	f.Add("host1,10.0.0.1 "+fuzzKey, "host1")
	f.Add("|1|GziFowI9UL1kd6+YWGJP1oXD5tI=|GsDrIvmhH8a/GdtqytGdF1VfKfQ= "+fuzzKey, "host1")
	f.Add("@cert-authority *.example.com "+fuzzKey, "a.example.com")
	f.Fuzz(func(t *testing.T, line, host string) {
		_, hosts, _, ok := splitKnownHost(line)
		if !ok {
			return
		}
		if kh, err := hostkey.ParseKnownHostsLine([]byte(line)); err == nil && kh != nil {
			matchHosts(kh, hosts, host)
		}
	})
}
