package main

import (
	"bytes"
	"errors"
	"github.com/sshstack/sshstack/wire/wiretest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// result is what one run of either tool printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// gk runs gossh-keygen in-process.
func gk(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{out.String(), errb.String(), code}
}

var sshKeygen string

// osk runs OpenSSH's ssh-keygen.
func osk(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	if sshKeygen == "" {
		p, err := exec.LookPath("ssh-keygen")
		if err != nil {
			wiretest.MissingPeer(t, "no ssh-keygen")
		}
		sshKeygen = p
	}
	cmd := exec.Command(sshKeygen, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// ok fails the test unless r succeeded.
func (r result) ok(t *testing.T, what string) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.code, r.stdout, r.stderr)
	}
	return r
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, name, data string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// same fails the test if the two tools' outputs differ.
func same(t *testing.T, what string, ours, theirs result) {
	t.Helper()
	if diff := cmp.Diff(theirs, ours, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("%s (-ssh-keygen +gossh-keygen):\n%s", what, diff)
	}
}

var keyTypes = []struct{ name, t, b string }{
	{"ed25519", "ed25519", ""},
	{"ecdsa256", "ecdsa", "256"},
	{"ecdsa384", "ecdsa", "384"},
	{"ecdsa521", "ecdsa", "521"},
	{"rsa2048", "rsa", "2048"},
}

func genArgs(t, b string) []string {
	if b == "" {
		return []string{"-t", t}
	}
	return []string{"-t", t, "-b", b}
}

// TestOurKeysInOpenSSH: keys gossh-keygen makes, plain and with a
// passphrase (bcrypt-pbkdf, aes256-ctr), are read by ssh-keygen -y and
// fingerprinted by ssh-keygen -l/-lv/-E md5 as by gossh-keygen.
func TestOurKeysInOpenSSH(t *testing.T) {
	dir := t.TempDir()
	for _, kt := range keyTypes {
		for _, pass := range []string{"", "secret words"} {
			t.Run(kt.name+"/pass="+pass, func(t *testing.T) {
				f := filepath.Join(dir, kt.name+strings.ReplaceAll(pass, " ", ""))
				args := append(genArgs(kt.t, kt.b), "-q", "-N", pass, "-C", "made by gossh", "-f", f)
				if kt.t != "ed25519" {
					// ssh-keygen's 16 bcrypt rounds once (Ed25519), then
					// fewer: -race makes bcrypt slow.
					args = append(args, "-a", "2")
				}
				gk(t, "", args...).ok(t, "gossh-keygen")
				if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("private key mode %v (%v), want 0600", fi.Mode(), err)
				}
				pub := read(t, f+".pub")
				if !strings.HasSuffix(pub, " made by gossh\n") {
					t.Errorf(".pub %q lacks the comment", pub)
				}
				y := osk(t, "", "-y", "-P", pass, "-f", f).ok(t, "ssh-keygen -y")
				if y.stdout != pub {
					t.Errorf("ssh-keygen -y = %q, .pub = %q", y.stdout, pub)
				}
				if pass != "" {
					if r := osk(t, "", "-y", "-P", "wrong", "-f", f); r.code == 0 {
						t.Error("ssh-keygen read the key with a wrong passphrase")
					}
				}
				for _, args := range [][]string{{"-l"}, {"-lv"}, {"-l", "-E", "md5"}, {"-lv", "-E", "sha1"}, {"-l", "-E", "sha384"}, {"-lv", "-E", "sha512"}} {
					a := append(args, "-f", f+".pub")
					same(t, strings.Join(a, " "), gk(t, "", a...), osk(t, "", a...))
				}
				if pass == "" {
					same(t, "-l on the private key", gk(t, "", "-l", "-f", f), osk(t, "", "-l", "-f", f))
				}
			})
		}
	}
}

// TestOpenSSHKeysInOurs: keys ssh-keygen makes are read by
// gossh-keygen -y, -l, -lv, -E md5 as ssh-keygen reads them.
func TestOpenSSHKeysInOurs(t *testing.T) {
	dir := t.TempDir()
	for _, kt := range keyTypes {
		t.Run(kt.name, func(t *testing.T) {
			f := filepath.Join(dir, kt.name)
			args := append(genArgs(kt.t, kt.b), "-q", "-N", "pw", "-C", "made by openssh", "-f", f)
			if kt.t != "ed25519" {
				args = append(args, "-a", "2") // 16 rounds once, as above
			}
			osk(t, "", args...).ok(t, "ssh-keygen")
			y := gk(t, "", "-y", "-P", "pw", "-f", f).ok(t, "gossh-keygen -y")
			if want := read(t, f+".pub"); y.stdout != want {
				t.Errorf("gossh-keygen -y = %q, .pub = %q", y.stdout, want)
			}
			if r := gk(t, "", "-y", "-P", "wrong", "-f", f); r.code == 0 {
				t.Error("gossh-keygen read the key with a wrong passphrase")
			}
			for _, args := range [][]string{{"-l", "-f", f + ".pub"}, {"-lv", "-f", f + ".pub"}, {"-l", "-E", "md5", "-f", f + ".pub"}, {"-l", "-f", f}} {
				same(t, strings.Join(args, " "), gk(t, "", args...), osk(t, "", args...))
			}
		})
	}
}

// TestChangePassphrase: -p re-encrypts a key that the other tool then
// reads with the new passphrase only, both ways.
func TestChangePassphrase(t *testing.T) {
	dir := t.TempDir()
	for _, dir2 := range []struct {
		name         string
		make, change func(*testing.T, string, ...string) result
		verify       func(*testing.T, string, ...string) result
	}{
		{"ours changes OpenSSH's", osk, gk, osk},
		{"OpenSSH changes ours", gk, osk, gk},
	} {
		t.Run(dir2.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(dir2.name, " ", "_"))
			dir2.make(t, "", "-q", "-t", "ed25519", "-a", "2", "-N", "old", "-C", "kept", "-f", f).ok(t, "make")
			r := dir2.change(t, "", "-p", "-a", "2", "-P", "old", "-N", "new", "-f", f).ok(t, "-p")
			if !strings.Contains(r.stdout, "Your identification has been saved with the new passphrase.") {
				t.Errorf("-p printed %q", r.stdout)
			}
			if r := dir2.verify(t, "", "-y", "-P", "old", "-f", f); r.code == 0 {
				t.Error("the old passphrase still works")
			}
			y := dir2.verify(t, "", "-y", "-P", "new", "-f", f).ok(t, "-y with the new passphrase")
			if y.stdout != read(t, f+".pub") {
				t.Errorf("-y = %q, want %q", y.stdout, read(t, f+".pub"))
			}
			// And back to no passphrase.
			dir2.change(t, "", "-p", "-P", "new", "-N", "", "-f", f).ok(t, "-p to none")
			dir2.verify(t, "", "-y", "-P", "", "-f", f).ok(t, "-y without passphrase")
		})
	}
}

// TestGenerateOutput: without -q the messages are ssh-keygen's, save
// for the random fingerprint and picture.
func TestGenerateOutput(t *testing.T) {
	dir := t.TempDir()
	re := regexp.MustCompile(`SHA256:\S+|\|.*\|`)
	ours := gk(t, "", "-t", "ed25519", "-N", "", "-C", "c", "-f", filepath.Join(dir, "k")).ok(t, "gossh-keygen")
	theirs := osk(t, "", "-t", "ed25519", "-N", "", "-C", "c", "-f", filepath.Join(dir, "k2")).ok(t, "ssh-keygen")
	o := re.ReplaceAllString(strings.ReplaceAll(ours.stdout, "/k", "/K"), "X")
	th := re.ReplaceAllString(strings.ReplaceAll(theirs.stdout, "/k2", "/K"), "X")
	if diff := cmp.Diff(th, o); diff != "" {
		t.Errorf("output (-ssh-keygen +gossh-keygen):\n%s", diff)
	}
	// An existing file is not overwritten without a yes.
	before := read(t, filepath.Join(dir, "k"))
	if r := gk(t, "n\n", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "k")); r.code == 0 || read(t, filepath.Join(dir, "k")) != before {
		t.Errorf("overwrote without asking: %+v", r)
	}
	gk(t, "y\n", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "k")).ok(t, "overwrite with y")
	if read(t, filepath.Join(dir, "k")) == before {
		t.Error("y did not overwrite")
	}
}

// TestFlagErrors: bad flags are refused as ssh-keygen refuses them,
// and leave no key behind.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	pub := filepath.Join(dir, "k")
	gk(t, "", "-q", "-t", "ed25519", "-N", "", "-f", pub).ok(t, "key")
	x := filepath.Join(dir, "x")
	for _, args := range [][]string{
		{"-q", "-N", "", "-f", x, "-t", "ecdsa", "-b", "300"},
		{"-q", "-N", "", "-f", x, "-t", "rsa", "-b", "512"},
		{"-q", "-N", "", "-f", x, "-t", "nosuch"},
		{"-q", "-N", "", "-f", x, "-t", "ed25519", "-Z", "nosuch-cipher"},
		{"-l", "-E", "sha3", "-f", pub + ".pub"},
		{"-Y", "verify", "-O", "no-such-option", "-n", "file", "-f", pub + ".pub", "-I", "a", "-s", pub + ".pub"},
	} {
		if r := gk(t, "", args...); r.code == 0 {
			t.Errorf("%v: accepted", args)
		}
		if r := osk(t, "", args...); r.code == 0 {
			t.Errorf("%v: ssh-keygen accepted it; the test is wrong", args)
		}
		if _, err := os.Stat(x); err == nil {
			t.Errorf("%v: left %s behind", args, x)
			os.Remove(x)
		}
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestErrorsLikeOpenSSH: failures exit with ssh-keygen's status, and
// with its message where the message does not name the program.
func TestErrorsLikeOpenSSH(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "k")
	gk(t, "", "-q", "-t", "ed25519", "-N", "", "-f", k).ok(t, "key")
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		args    []string
		message bool // compare stderr too
	}{
		{[]string{"-L", "-f", k + ".pub"}, true},
		{[]string{"-y", "-f", missing}, true},
		{[]string{"-F", "x", "-f", missing}, true},
		{[]string{"-R", "x", "-f", missing}, true},
		{[]string{"-Q", "-f", missing, k + ".pub"}, true},
		{[]string{"-s", k, "-I", "x", missing + ".pub"}, true},
		{[]string{"-l", "-f", missing}, false},
		{[]string{"-e", "-f", missing}, false},
		{[]string{"-L", "-f", missing}, false},
	} {
		o, th := gk(t, "", tc.args...), osk(t, "", tc.args...)
		if !tc.message {
			o.stderr, th.stderr = "", ""
		}
		same(t, strings.Join(tc.args, " "), o, th)
	}
}
