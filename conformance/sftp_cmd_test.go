package conformance_test

// gosftp and goscp (client/cmd) against OpenSSH 9.2's sshd and against
// gosshd, each run next to OpenSSH's sftp and scp doing the same thing
// with the same arguments: the same batch transcript (stdout, stderr,
// exit status), the same trees uploaded and downloaded with -r -p
// (content, mode, mtime), and -3 copies between the two servers.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshstack/sshstack/conformance"
	"github.com/sshstack/sshstack/conformance/sshdtest"
)

var (
	sfBuildOnce sync.Once
	sfBinDir    string
	sfBuildErr  error
)

// sfBuild builds gossh, gosftp and goscp into one directory once per
// test binary: gosftp and goscp find gossh next to themselves.
func sfBuild(t *testing.T) string {
	t.Helper()
	sfBuildOnce.Do(func() {
		sfBinDir, sfBuildErr = os.MkdirTemp("", "gosftp-bin")
		if sfBuildErr != nil {
			return
		}
		conformance.RemoveAtExit(sfBinDir)
		for _, cmd := range []string{"gossh", "gosftp", "goscp"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(sfBinDir, cmd), "github.com/sshstack/sshstack/client/cmd/"+cmd).CombinedOutput()
			if err != nil {
				sfBuildErr = fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
				return
			}
		}
	})
	if sfBuildErr != nil {
		t.Fatal(sfBuildErr)
	}
	return sfBinDir
}

// An sfPeer is a server the commands copy to and from.
type sfPeer struct {
	name       string
	port       string
	key        string // user private key
	knownHosts string
}

// sfPeers starts a gosshd and an sshd that both accept gosshd's user
// key for root (the test runs as root).
func sfPeers(t *testing.T) (openssh, ours sfPeer) {
	t.Helper()
	g := svStart(t, []string{"ed25519"}, "Subsystem sftp internal-sftp")
	pub, err := os.ReadFile(g.userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub})
	kh := uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), []byte(srv.KnownHostsLine(t, "ed25519")), 0o600)
	return sfPeer{"sshd", itoa(srv.Port), g.userKey, kh}, sfPeer{"gosshd", g.port, g.userKey, g.knownHosts}
}

// args are the connection flags both sftp and gosftp (scp and goscp)
// take: no config file, the key, the known_hosts file, the port.
func (p sfPeer) args() []string {
	return []string{"-F", "none", "-i", p.key, "-o", "UserKnownHostsFile=" + p.knownHosts,
		"-o", "GlobalKnownHostsFile=none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none", "-P", p.port}
}

type sfResult struct {
	stdout, stderr string
	code           int
}

// sfRun runs a command in dir and returns what it printed and its exit
// status.
func sfRun(t *testing.T, dir, bin string, args ...string) sfResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return sfResult{o.String(), e.String(), code}
}

// sfTree writes a tree with distinct modes and mtimes in the past, a
// dot file and a nested directory.
func sfTree(t *testing.T, root string) {
	t.Helper()
	files := []struct {
		name string
		mode fs.FileMode
		data string
	}{
		{"a.txt", 0o600, "alpha\n"},
		{"b.txt", 0o644, strings.Repeat("bravo ", 3000)},
		{"run.sh", 0o755, "#!/bin/sh\necho hi\n"},
		{".hidden", 0o640, "dot\n"},
		{"sub/c.txt", 0o444, "charlie\n"},
		{"sub/deep/d.bin", 0o600, string(bytes.Repeat([]byte{0, 1, 2, 255}, 70000))},
	}
	for _, f := range files {
		p := filepath.Join(root, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, f.mode)
	}
	os.Chmod(filepath.Join(root, "sub"), 0o750)
	os.Chmod(filepath.Join(root, "sub/deep"), 0o700)
	// Children first: setting a file's times does not touch its
	// directory's, but creating it did.
	base := time.Date(2021, 3, 4, 5, 6, 7, 0, time.Local)
	var paths []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	for i := len(paths) - 1; i >= 0; i-- {
		mt := base.Add(time.Duration(i) * 25 * time.Hour)
		if err := os.Chtimes(paths[i], mt.Add(-time.Hour), mt); err != nil {
			t.Fatal(err)
		}
	}
}

// sfDescribe lists a tree: each path with its mode, mtime and content
// (or size), for cmp.Diff. withTimes false leaves the mtime out.
func sfDescribe(t *testing.T, root string, withTimes bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		s := fi.Mode().String()
		if withTimes {
			s += " " + fi.ModTime().UTC().Format(time.RFC3339)
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" %d %x", len(b), b[:min(len(b), 32)])
		}
		out[rel] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGosftpBatchLikeSFTP runs one batch file with OpenSSH's sftp and
// with gosftp against each server, in the same directories, and
// requires the same transcript and exit status (1: the batch ends at the
// first failing command not prefixed with "-"), the same remote tree
// after put -rp, the same local tree after get -rp, and both equal to
// the source in content, mode and mtime.
func TestGosftpBatchLikeSFTP(t *testing.T) {
	bins := sfBuild(t)
	openssh, ours := sfPeers(t)
	for _, p := range []sfPeer{openssh, ours} {
		t.Run(p.name, func(t *testing.T) {
			work := t.TempDir()
			src := filepath.Join(work, "src", "tree")
			sfTree(t, src)
			remote := filepath.Join(work, "remote")
			local := filepath.Join(work, "local")
			longView := "ls -l tree"
			if p.name == "gosshd" {
				// Without users-groups-by-id, sftp's ls -l of a
				// directory prints the server's long names, which
				// pkg/sftp drops (docs/gosftp.md); -n is drawn by the
				// client in both.
				longView = "ls -ln tree"
			}
			batch := strings.Join([]string{
				"cd " + remote,
				"lcd " + local,
				"pwd",
				"put -rp " + src,
				"ls",
				"ls -1 tree",
				"ls -a tree",
				longView,
				"ls -ln tree",
				"ls -lnS tree",
				"ls -lnt tree",
				"ls -lnr tree/*.txt",
				"ls -1 tree/sub/deep",
				"mkdir made",
				"rmdir made",
				"put -p " + filepath.Join(src, "a.txt") + " copy.txt",
				"chmod 640 copy.txt",
				"ls -ln copy.txt",
				"rename copy.txt moved.txt",
				"symlink moved.txt link",
				"ls -1",
				"-rm nonexistent",
				"@-rm nonexistent",
				"-@ls -1 tree/sub",
				"@pwd",
				"-cp moved.txt copied.txt", // gosshd: no copy-data
				"-cp nonexistent x",
				"-cp tree x",
				"ls -1",
				"-rm copied.txt",
				"-mkdir tree",
				"-get nothing-here",
				"-cd tree/a.txt",
				"# a comment",
				"",
				"get -rp tree got",
				"get -p tree/run.sh",
				"rm moved.txt",
				"rm link",
				"lpwd",
				"version",
				"cd tree/a.txt",
				"pwd",
			}, "\n") + "\n"
			bf := uaWrite(t, filepath.Join(work, "batch"), []byte(batch), 0o644)
			run := func(bin string) (sfResult, map[string]string, map[string]string) {
				for _, d := range []string{remote, local} {
					os.RemoveAll(d)
					if err := os.Mkdir(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				r := sfRun(t, work, bin, append(p.args(), "-b", bf, "root@127.0.0.1")...)
				got := sfDescribe(t, local, true)
				delete(got, ".") // the test's directory, changed just now
				return r, sfDescribe(t, filepath.Join(remote, "tree"), true), got
			}
			want, wantRemote, wantLocal := run("sftp")
			got, gotRemote, gotLocal := run(filepath.Join(bins, "gosftp"))
			if want.code != 1 {
				t.Fatalf("sftp exited %d, not 1:\n%s\n%s", want.code, want.stdout, want.stderr)
			}
			if diff := sfResultDiff(want, got); diff != "" {
				t.Errorf("gosftp -b (-sftp +gosftp):\n%s", diff)
			}
			if diff := sfTreeDiff(wantRemote, gotRemote); diff != "" {
				t.Errorf("remote tree after put -rp (-sftp +gosftp):\n%s", diff)
			}
			if diff := sfTreeDiff(wantLocal, gotLocal); diff != "" {
				t.Errorf("local tree after get -rp (-sftp +gosftp):\n%s", diff)
			}
			srcTree := sfDescribe(t, src, true)
			if diff := sfTreeDiff(srcTree, gotRemote); diff != "" {
				t.Errorf("put -rp did not keep the tree (-source +remote):\n%s", diff)
			}
			if diff := sfTreeDiff(srcTree, sfDescribe(t, filepath.Join(local, "got"), true)); diff != "" {
				t.Errorf("get -rp did not keep the tree (-source +local):\n%s", diff)
			}
			if !strings.Contains(got.stdout, "sftp> ls -1 tree\n") || !strings.Contains(got.stdout, "run.sh") {
				t.Errorf("transcript lacks the listing:\n%s", got.stdout)
			}
		})
	}
}

// TestGosftpInteractiveLikeSFTP feeds commands on stdin (not a
// terminal, no -b): each is echoed after "sftp> ", errors do not end the
// session, the exit status is 0, and get/put say what they copy.
func TestGosftpInteractiveLikeSFTP(t *testing.T) {
	bins := sfBuild(t)
	openssh, ours := sfPeers(t)
	for _, p := range []sfPeer{openssh, ours} {
		t.Run(p.name, func(t *testing.T) {
			work := t.TempDir()
			src := filepath.Join(work, "src")
			sfTree(t, src)
			remote := filepath.Join(work, "remote")
			input := strings.Join([]string{
				"cd " + remote,
				"put " + filepath.Join(src, "a.txt"),
				"put -r " + filepath.Join(src, "sub"),
				"bogus",
				"get a.txt " + filepath.Join(work, "down.txt"),
				"chmod 600 a.txt",
				"rm nope",
				"ls -1",
				"quit",
				"pwd",
			}, "\n") + "\n"
			run := func(bin string) sfResult {
				os.RemoveAll(remote)
				os.Mkdir(remote, 0o755)
				cmd := exec.Command(bin, append(p.args(), "root@127.0.0.1")...)
				cmd.Dir = work
				cmd.Stdin = strings.NewReader(input)
				var o, e bytes.Buffer
				cmd.Stdout, cmd.Stderr = &o, &e
				done := make(chan error, 1)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(90 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Fatalf("%s did not finish", bin)
				}
				return sfResult{o.String(), e.String(), cmd.ProcessState.ExitCode()}
			}
			want := run("sftp")
			got := run(filepath.Join(bins, "gosftp"))
			if diff := sfResultDiff(want, got); diff != "" {
				t.Errorf("gosftp < commands (-sftp +gosftp):\n%s", diff)
			}
			if got.code != 0 || !strings.Contains(got.stdout, "Uploading ") || strings.Contains(got.stdout, "Remote working") {
				t.Errorf("gosftp: %+v", got)
			}
		})
	}
}

// TestGosftpDownloadForm: gosftp host:path [local] fetches and exits,
// 0 when the file came, 1 when it is not there, as sftp.
func TestGosftpDownloadForm(t *testing.T) {
	bins := sfBuild(t)
	openssh, _ := sfPeers(t)
	work := t.TempDir()
	sfTree(t, filepath.Join(work, "src"))
	for _, bin := range []string{"sftp", filepath.Join(bins, "gosftp")} {
		out := filepath.Join(work, filepath.Base(bin)+".out")
		r := sfRun(t, work, bin, append(openssh.args(), "-q", "root@127.0.0.1:"+filepath.Join(work, "src", "b.txt"), out)...)
		if b, err := os.ReadFile(out); r.code != 0 || err != nil || len(b) != 18000 {
			t.Errorf("%s host:file: %+v, %d bytes, %v", bin, r, len(b), err)
		}
		r = sfRun(t, work, bin, append(openssh.args(), "-q", "root@127.0.0.1:"+filepath.Join(work, "none"), out)...)
		if r.code != 1 {
			t.Errorf("%s host:missing: %+v", bin, r)
		}
	}
	// -S swaps the ssh program: gosftp on OpenSSH's ssh, sftp on gossh.
	for _, c := range [][2]string{{filepath.Join(bins, "gosftp"), sshdtest.SSH}, {"sftp", filepath.Join(bins, "gossh")}} {
		out := filepath.Join(work, "via-"+filepath.Base(c[1]))
		r := sfRun(t, work, c[0], append(openssh.args(), "-q", "-S", c[1], "root@127.0.0.1:"+filepath.Join(work, "src", "b.txt"), out)...)
		if b, err := os.ReadFile(out); r.code != 0 || err != nil || len(b) != 18000 {
			t.Errorf("%s -S %s: %+v, %d bytes, %v", c[0], c[1], r, len(b), err)
		}
	}
}

// TestGoscpLikeSCP copies a tree up and down with -r -p with scp and
// goscp against each server and requires the same trees (content, mode,
// mtime, equal to the source), then copies between sshd and gosshd
// with -3 (scp:// operands), and checks scp's errors and exit status
// for a missing source and a directory without -r.
func TestGoscpLikeSCP(t *testing.T) {
	bins := sfBuild(t)
	goscp := filepath.Join(bins, "goscp")
	openssh, ours := sfPeers(t)
	work := t.TempDir()
	src := filepath.Join(work, "tree")
	sfTree(t, src)
	srcTree := sfDescribe(t, src, true)
	for _, p := range []sfPeer{openssh, ours} {
		t.Run(p.name, func(t *testing.T) {
			var plainSCP map[string]string
			for _, bin := range []string{"scp", goscp} {
				name := filepath.Base(bin)
				up := filepath.Join(work, p.name+"-up-"+name)
				r := sfRun(t, work, bin, append(p.args(), "-rp", src, "root@127.0.0.1:"+up)...)
				if r.code != 0 {
					t.Fatalf("%s -rp up: %+v", name, r)
				}
				if diff := sfTreeDiff(srcTree, sfDescribe(t, up, true)); diff != "" {
					t.Errorf("%s -rp up (-source +copy):\n%s", name, diff)
				}
				down := filepath.Join(work, p.name+"-down-"+name)
				if r := sfRun(t, work, bin, append(p.args(), "-rp", "root@127.0.0.1:"+src, down)...); r.code != 0 {
					t.Fatalf("%s -rp down: %+v", name, r)
				}
				if diff := sfTreeDiff(srcTree, sfDescribe(t, down, true)); diff != "" {
					t.Errorf("%s -rp down (-source +copy):\n%s", name, diff)
				}
				// Without -p: the same modes as scp gives (the source's,
				// writable by the owner, less the umask) and no old
				// mtimes.
				plain := filepath.Join(work, p.name+"-plain-"+name)
				if r := sfRun(t, work, bin, append(p.args(), "-r", "root@127.0.0.1:"+src, plain)...); r.code != 0 {
					t.Fatalf("%s -r down: %+v", name, r)
				}
				if name == "scp" {
					plainSCP = sfDescribe(t, plain, false)
				} else if diff := sfTreeDiff(plainSCP, sfDescribe(t, plain, false)); diff != "" {
					t.Errorf("%s -r down (-scp +goscp):\n%s", name, diff)
				}
				if fi, err := os.Stat(filepath.Join(plain, "a.txt")); err != nil || time.Since(fi.ModTime()) > time.Hour {
					t.Errorf("%s -r kept an mtime without -p: %v", name, err)
				}
				// Two files into a remote directory, and the home
				// directory as "host:".
				if r := sfRun(t, work, bin, append(p.args(), filepath.Join(src, "a.txt"), filepath.Join(src, "run.sh"), "root@127.0.0.1:"+up+"/sub")...); r.code != 0 {
					t.Errorf("%s two files: %+v", name, r)
				}
				if b, err := os.ReadFile(filepath.Join(up, "sub", "run.sh")); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
					t.Errorf("%s two files: %q %v", name, b, err)
				}
			}
			// Failures, each run by scp and by goscp in the same
			// place: the same messages and exit status.
			file := filepath.Join(src, "a.txt")
			cases := [][]string{
				{"root@127.0.0.1:" + filepath.Join(work, "missing"), filepath.Join(work, "x")},
				{"root@127.0.0.1:" + src, filepath.Join(work, "x")},
				{src, "root@127.0.0.1:" + work + "/"},
				{file, "root@127.0.0.1:" + filepath.Join(work, "nodir", "x")},
				{"-r", src, "root@127.0.0.1:" + file},
				{file, filepath.Join(src, "b.txt"), "root@127.0.0.1:" + file},
				{filepath.Join(work, "nonexist"), "root@127.0.0.1:" + filepath.Join(work, "x")},
				{"root@127.0.0.1:" + file, filepath.Join(work, "nodir", "y")},
				{"root@127.0.0.1:", filepath.Join(work, "home")},
				{"root@127.0.0.1:" + file, "root@127.0.0.1:" + filepath.Join(src, "b.txt"), file},
				{"root@127.0.0.1:" + file, "root@127.0.0.1:" + filepath.Join(src, "b.txt"), filepath.Join(work, "nodir")},
				{file, filepath.Join(src, "b.txt"), "root@127.0.0.1:" + filepath.Join(work, "newdir")},
			}
			for _, c := range cases {
				var res [2]sfResult
				for i, bin := range []string{"scp", goscp} {
					res[i] = sfRun(t, work, bin, append(p.args(), c...)...)
					if fi, err := os.Stat(filepath.Join(work, "newdir")); err == nil {
						// The mode scp asks for in its MKDIR, 0700;
						// gosshd's SFTP server (pkg/sftp) ignores it,
						// goscp sets it after.
						if p.name == "sshd" {
							res[i].stdout += fi.Mode().String()
						}
						os.RemoveAll(filepath.Join(work, "newdir"))
					}
				}
				if res[0].code == 0 && c[len(c)-1] != "root@127.0.0.1:"+filepath.Join(work, "newdir") {
					t.Errorf("scp %q succeeded", c)
				}
				if diff := sfResultDiff(res[0], res[1]); diff != "" {
					t.Errorf("%q (-scp +goscp):\n%s", c, diff)
				}
			}
		})
	}
	t.Run("-3 sshd to gosshd", func(t *testing.T) {
		kh := uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), append(must(os.ReadFile(openssh.knownHosts)), must(os.ReadFile(ours.knownHosts))...), 0o600)
		args := []string{"-F", "none", "-i", ours.key, "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=none",
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-3", "-rp"}
		for _, bin := range []string{"scp", goscp} {
			dst := filepath.Join(work, "three-"+filepath.Base(bin))
			r := sfRun(t, work, bin, append(args, "scp://root@127.0.0.1:"+openssh.port+"/"+src, "scp://root@127.0.0.1:"+ours.port+"/"+dst)...)
			if r.code != 0 {
				t.Fatalf("%s -3: %+v", bin, r)
			}
			if diff := sfTreeDiff(srcTree, sfDescribe(t, dst, true)); diff != "" {
				t.Errorf("%s -3 (-source +copy):\n%s", bin, diff)
			}
		}
	})
	t.Run("-J through gosshd with -F", func(t *testing.T) {
		kh := uaWrite(t, filepath.Join(t.TempDir(), "known_hosts"), append(must(os.ReadFile(openssh.knownHosts)), must(os.ReadFile(ours.knownHosts))...), 0o600)
		cfg := uaWrite(t, filepath.Join(t.TempDir(), "config"), []byte(fmt.Sprintf(
			"Host *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile none\n  BatchMode yes\n  IdentityAgent none\n",
			ours.key, kh)), 0o600)
		for _, bin := range []string{"scp", goscp, filepath.Join(bins, "gosftp")} {
			dst := filepath.Join(work, "jump-"+filepath.Base(bin))
			// The same command line for scp, goscp and gosftp's
			// download form.
			r := sfRun(t, work, bin, "-F", cfg, "-J", "127.0.0.1:"+ours.port, "-P", openssh.port, "127.0.0.1:"+filepath.Join(src, "b.txt"), dst)
			if b, err := os.ReadFile(dst); r.code != 0 || err != nil || len(b) != 18000 {
				t.Errorf("%s -J: %+v %v", bin, r, err)
			}
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// sfTreeDiff lists the paths where two sfDescribe results differ, "-"
// for want and "+" for got.
func sfTreeDiff(want, got map[string]string) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		w, wok := want[k]
		g, gok := got[k]
		if wok && gok && w == g {
			continue
		}
		if wok {
			fmt.Fprintf(&b, "-%s: %s\n", k, w)
		}
		if gok {
			fmt.Fprintf(&b, "+%s: %s\n", k, g)
		}
	}
	return b.String()
}

// sfResultDiff shows the lines where two runs differ, "-" for want and
// "+" for got.
func sfResultDiff(want, got sfResult) string {
	var b strings.Builder
	if want.code != got.code {
		fmt.Fprintf(&b, "-exit %d\n+exit %d\n", want.code, got.code)
	}
	for _, s := range []struct{ name, w, g string }{{"stdout", want.stdout, got.stdout}, {"stderr", want.stderr, got.stderr}} {
		if s.w == s.g {
			continue
		}
		fmt.Fprintf(&b, "%s:\n%s", s.name, sfLineDiff(strings.Split(s.w, "\n"), strings.Split(s.g, "\n")))
	}
	return b.String()
}

// sfLineDiff is a line diff of two texts (longest common subsequence),
// "-" for a, "+" for b.
func sfLineDiff(a, b []string) string {
	n, m := len(a), len(b)
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			fmt.Fprintf(&out, "+%q\n", b[j])
			j++
		default:
			fmt.Fprintf(&out, "-%q\n", a[i])
			i++
		}
	}
	return out.String()
}

// TestGosftpConnectionFailure: when the ssh program fails (here, an
// unknown host key in batch mode), gosftp and goscp exit 255 with
// "Connection closed", as sftp and scp do.
func TestGosftpConnectionFailure(t *testing.T) {
	bins := sfBuild(t)
	openssh, _ := sfPeers(t)
	work := t.TempDir()
	openssh.knownHosts = uaWrite(t, filepath.Join(work, "empty"), nil, 0o600)
	for _, c := range []struct{ bin, ours string }{{"sftp", "gosftp"}, {"scp", "goscp"}} {
		var res [2]sfResult
		for i, bin := range []string{c.bin, filepath.Join(bins, c.ours)} {
			args := append(openssh.args(), "root@127.0.0.1")
			if c.bin == "scp" {
				args = append(openssh.args(), "root@127.0.0.1:/etc/hostname", filepath.Join(work, "x"))
			}
			res[i] = sfRun(t, work, bin, args...)
		}
		if res[0].code != 255 || res[1].code != 255 || !strings.Contains(res[1].stderr, "Host key verification failed.") ||
			!strings.Contains(res[1].stderr, "Connection closed\r\n") {
			t.Errorf("%s %+v\n%s %+v", c.bin, res[0], c.ours, res[1])
		}
	}
}

// TestGosftpResumeLikeSFTP runs reget, reput, get -a and put -a (and -f)
// on partial, complete and larger destinations with sftp and gosftp
// against each server: the same transcript, exit status and files.
func TestGosftpResumeLikeSFTP(t *testing.T) {
	bins := sfBuild(t)
	openssh, ours := sfPeers(t)
	for _, p := range []sfPeer{openssh, ours} {
		t.Run(p.name, func(t *testing.T) {
			work := t.TempDir()
			src, local, remote := filepath.Join(work, "src"), filepath.Join(work, "local"), filepath.Join(work, "remote")
			data := strings.Repeat("0123456789", 20000)
			batch := strings.Join([]string{
				"cd " + src,
				"reget data " + local + "/part",
				"-reget data " + local + "/full",
				"-reget data " + local + "/big",
				"get -a data " + local + "/new",
				"reput " + src + "/data " + remote + "/part",
				"-reput " + src + "/data " + remote + "/full",
				"-put -af " + src + "/data " + remote + "/missing",
				"get -f data " + local + "/synced",
				"put -f data " + remote + "/synced",
			}, "\n") + "\n"
			bf := uaWrite(t, filepath.Join(work, "batch"), []byte(batch), 0o644)
			run := func(bin string) (sfResult, map[string]string) {
				for _, d := range []string{src, local, remote} {
					os.RemoveAll(d)
					os.Mkdir(d, 0o755)
				}
				uaWrite(t, filepath.Join(src, "data"), []byte(data), 0o644)
				uaWrite(t, filepath.Join(local, "part"), []byte(data[:12345]), 0o644)
				uaWrite(t, filepath.Join(local, "full"), []byte(data), 0o644)
				uaWrite(t, filepath.Join(local, "big"), []byte(data+"more"), 0o644)
				uaWrite(t, filepath.Join(remote, "part"), []byte(data[:777]), 0o644)
				uaWrite(t, filepath.Join(remote, "full"), []byte(data), 0o644)
				r := sfRun(t, work, bin, append(p.args(), "-b", bf, "root@127.0.0.1")...)
				files := sfDescribe(t, local, false)
				for k, v := range sfDescribe(t, remote, false) {
					files["remote/"+k] = v
				}
				delete(files, ".")
				delete(files, "remote/.")
				return r, files
			}
			want, wantFiles := run("sftp")
			got, gotFiles := run(filepath.Join(bins, "gosftp"))
			if diff := sfResultDiff(want, got); diff != "" {
				t.Errorf("gosftp -b (-sftp +gosftp):\n%s", diff)
			}
			if diff := sfTreeDiff(wantFiles, gotFiles); diff != "" {
				t.Errorf("files (-sftp +gosftp):\n%s", diff)
			}
			if b, _ := os.ReadFile(filepath.Join(local, "part")); string(b) != data {
				t.Errorf("reget: %d bytes", len(b))
			}
			if b, _ := os.ReadFile(filepath.Join(remote, "part")); string(b) != data {
				t.Errorf("reput: %d bytes", len(b))
			}
		})
	}
}

// TestGosftpTerminal runs gosftp on a terminal (util-linux script(1)
// gives it a pty): it prompts with "sftp> " and runs what is typed, and
// the global -r and -p flags make a plain get recursive and preserving.
func TestGosftpTerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		sshdtest.MissingPeer(t, "no script(1): %v", err)
	}
	bins := sfBuild(t)
	openssh, _ := sfPeers(t)
	work := t.TempDir()
	src := filepath.Join(work, "tree")
	sfTree(t, src)
	var quoted []string
	for _, a := range append([]string{filepath.Join(bins, "gosftp"), "-r", "-p"}, append(openssh.args(), "root@127.0.0.1")...) {
		quoted = append(quoted, "'"+a+"'")
	}
	cmd := exec.Command(scriptBin, "-qec", strings.Join(quoted, " "), "/dev/null")
	cmd.Dir = work
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	fmt.Fprintf(in, "pwd\nget %s copy\nbye\n", src)
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("gosftp on a terminal did not finish:\n%s", out.String())
	}
	in.Close()
	if err != nil || !strings.Contains(out.String(), "sftp> ") || !strings.Contains(out.String(), "Remote working directory: /root") {
		t.Errorf("gosftp on a terminal: %v\n%q", err, out.String())
	}
	if diff := sfTreeDiff(sfDescribe(t, src, true), sfDescribe(t, filepath.Join(work, "copy"), true)); diff != "" {
		t.Errorf("get with -r -p (-source +copy):\n%s", diff)
	}
}

// TestGosftpBatchErrorsLikeSFTP runs failing commands, each prefixed
// with "-", with sftp and gosftp against each server: the same messages
// on stderr, the same output and exit status 0.
func TestGosftpBatchErrorsLikeSFTP(t *testing.T) {
	bins := sfBuild(t)
	openssh, ours := sfPeers(t)
	for _, p := range []sfPeer{openssh, ours} {
		t.Run(p.name, func(t *testing.T) {
			work := t.TempDir()
			d := filepath.Join(work, "d")
			sfTree(t, d)
			none := filepath.Join(work, "none")
			batch := strings.Join([]string{
				"-ls " + none, "-ls " + d + "/*.nomatch", "-rmdir " + none, "-rmdir " + d,
				"-chmod 644 " + none, "-chown 0 " + none, "-chgrp 0 " + d + "/a.txt", "-chmod 9z /x", "-chmod",
				"-rename " + none + " " + d + "/y", "-rename " + d + "/a.txt", "-ln -s /a " + d + "/a.txt",
				"-ln " + d + "/nonexist " + d + "/h", "-symlink x", "-lmkdir " + work, "-lls " + none,
				"-get", "-get " + d + "/sub", "-put " + d, "-put " + none, "-mkdir", "-rm", "-rm " + d + "/sub",
				"-df " + none, "-ls -l " + d + "/a.txt /x", "-lumask 999", "-lcd " + none, "-cd " + none,
				"-cd " + d + "/a.txt", "-get " + d + "/nothing", "-nosuchcommand", "-ls -Z", "-get -Z x",
				"-cd", "pwd",
			}, "\n") + "\n"
			bf := uaWrite(t, filepath.Join(work, "batch"), []byte(batch), 0o644)
			want := sfRun(t, work, "sftp", append(p.args(), "-b", bf, "root@127.0.0.1")...)
			got := sfRun(t, work, filepath.Join(bins, "gosftp"), append(p.args(), "-b", bf, "root@127.0.0.1")...)
			if want.code != 0 || strings.Count(want.stderr, "\n") < 20 {
				t.Fatalf("sftp: %+v", want)
			}
			if diff := sfResultDiff(want, got); diff != "" {
				t.Errorf("gosftp -b (-sftp +gosftp):\n%s", diff)
			}
		})
	}
}
