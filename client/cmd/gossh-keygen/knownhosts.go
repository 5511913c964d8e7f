package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sshstack/sshstack/hostkey"
)

// splitKnownHost cuts a raw known_hosts line into its marker, host
// field and the rest (key and comment); ok is false for blank and
// comment lines.
func splitKnownHost(line string) (marker, hosts, rest string, ok bool) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", "", "", false
	}
	cut := func(s string) (string, string) {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return s, ""
		}
		return s[:i], strings.TrimLeft(s[i:], " \t")
	}
	if s[0] == '@' {
		marker, s = cut(s)
	}
	hosts, rest = cut(s)
	return marker, hosts, rest, hosts != "" && rest != ""
}

// knownHosts is -F (find), -R (remove) and -H (hash).
func (f *flags) knownHosts() error {
	file := f.file
	if file == "" {
		home, _ := os.UserHomeDir()
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fatalf("Cannot stat %s: %s", file, strerror(err))
	}
	find, remove, hash := f.set['F'], f.set['R'], f.set['H']
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var out bytes.Buffer
	found, unhashed := false, false
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r\n")
		marker, hosts, rest, ok := splitKnownHost(line)
		var kh *hostkey.KnownHostsLine
		if ok {
			kh, _ = hostkey.ParseKnownHostsLine([]byte(line))
		}
		if kh == nil {
			// Comments, blank and unparsable lines are kept as they are.
			if !find {
				out.WriteString(line + "\n")
			}
			continue
		}
		if find || remove {
			if !matchHosts(kh, hosts, f.host) {
				if remove {
					out.WriteString(line + "\n")
				}
				continue
			}
			if remove {
				if marker != "" {
					// CA and revocation lines are never removed.
					out.WriteString(line + "\n")
					continue
				}
				found = true
				if !f.quiet {
					fmt.Fprintf(f.stdout, "# Host %s found: line %d\n", f.host, i+1)
				}
				continue
			}
			found = true
			if !f.quiet {
				label := map[string]string{"@cert-authority": "CA", "@revoked": "REVOKED"}[marker]
				fmt.Fprintf(f.stdout, "# Host %s found: line %d %s\n", f.host, i+1, label)
			}
			if f.set['l'] {
				fp, err := f.fingerprintOf(kh.Key)
				if err != nil {
					return err
				}
				c := ""
				if kh.Comment != "" {
					c = " " + kh.Comment
				}
				fmt.Fprintf(f.stdout, "%s %s %s%s\n", f.host, keyName(kh.Key), fp, c)
				if f.verbose > 0 {
					fmt.Fprintln(f.stdout, f.randomArt(kh.Key))
				}
				continue
			}
			if hash && marker == "" && !strings.HasPrefix(hosts, "|1|") && !strings.ContainsAny(hosts, "*?!") {
				for _, h := range strings.Split(hosts, ",") {
					fmt.Fprintf(f.stdout, "%s %s\n", hostkey.HashHostname(strings.ToLower(h), nil), rest)
				}
			} else {
				fmt.Fprintln(f.stdout, line)
			}
			continue
		}
		// -H: one hashed line per host name.
		if marker != "" || strings.HasPrefix(hosts, "|1|") || strings.ContainsAny(hosts, "*?!") {
			if marker == "" && strings.ContainsAny(hosts, "*?!") {
				f.logit("%s:%d: ignoring host name with wildcard: %.64s", file, i+1, hosts)
			}
			out.WriteString(line + "\n")
			continue
		}
		unhashed = true
		for _, h := range strings.Split(hosts, ",") {
			fmt.Fprintf(&out, "%s %s\n", hostkey.HashHostname(strings.ToLower(h), nil), rest)
		}
	}
	if find {
		if !found {
			return &exitError{code: 1}
		}
		return nil
	}
	if remove && !found {
		f.logit("Host %s not found in %s", f.host, file)
		return nil
	}
	old := file + ".old"
	os.Remove(old)
	if err := os.Link(file, old); err != nil {
		return fatalf("link %s to %s: %v", file, old, err)
	}
	tmp := file + ".tmp"
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(file); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(tmp, out.Bytes(), mode); err != nil {
		return fatalf("writing %s: %v", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fatalf("rename %s to %s: %v", tmp, file, err)
	}
	fmt.Fprintf(f.stdout, "%s updated.\nOriginal contents retained as %s.old\n", file, file)
	if hash && unhashed {
		f.logit("WARNING: %s.old contains unhashed entries\r\nDelete this file to ensure privacy of hostnames", file)
	}
	return nil
}

// matchHosts is ssh-keygen's match of a -F/-R name against a line: host
// patterns without regard to case, a hashed name exactly as given.
func matchHosts(kh *hostkey.KnownHostsLine, hosts, name string) bool {
	if strings.HasPrefix(hosts, "|1|") {
		parts := strings.Split(hosts, "|")
		if len(parts) != 4 {
			return false
		}
		salt, err1 := base64.StdEncoding.DecodeString(parts[2])
		sum, err2 := base64.StdEncoding.DecodeString(parts[3])
		m := hmac.New(sha1.New, salt)
		m.Write([]byte(name))
		return err1 == nil && err2 == nil && hmac.Equal(m.Sum(nil), sum)
	}
	return kh.Matches(strings.ToLower(name))
}
