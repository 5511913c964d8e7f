package main

// The command rows: OpenSSH's ssh and sshd, gossh and gosshd, as users
// run them, on loopback.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// procStat returns a process's parent, and its CPU time plus that of
// the children it has waited for (utime+stime+cutime+cstime).
func procStat(pid int) (ppid int, cpu time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return ppid, time.Duration(ticks) * clockTick, nil
}

// descendants returns the live processes below pid, from the children
// lists of each of their threads (/proc/<pid>/task/<tid>/children).
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		for _, t := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", p, t.Name()))
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
					queue = append(queue, c)
				}
			}
		}
	}
	return out
}

// treeCPU is the CPU time of a server's process tree: the listener, the
// children it has reaped, and those still alive. It first waits (up to
// 3 s) for the per-connection processes of the last connection to
// finish, so that their time is in the listener's cutime.
func treeCPU(pid int) (time.Duration, error) {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(descendants(pid)) == 0 {
			break
		}
	}
	_, total, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	for _, p := range descendants(pid) {
		if _, cpu, err := procStat(p); err == nil {
			total += cpu
		}
	}
	return total, nil
}

// A daemon is a running sshd or gosshd.
type daemon struct {
	name string
	port int
	pid  int
	stop func()
}

func startSSHD(dir string, pub []byte) (*daemon, error) {
	s, err := sshdtest.Launch(dir, sshdtest.Options{
		HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pub,
		// sshdtest logs at DEBUG3 for tests; INFO is sshd's default.
		Config: []string{"LogLevel INFO"},
	})
	if err != nil {
		return nil, err
	}
	return &daemon{name: "sshd", port: s.Port, pid: s.PID(), stop: s.Stop}, nil
}

// startGosshd runs gosshd -D -e with a configuration like sshdtest's:
// its own host key, a free loopback port, root login with the throwaway
// user key.
func startGosshd(bin, dir string, pub []byte) (*daemon, error) {
	hk := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := sshdtest.WriteKey("ed25519", hk, ""); err != nil {
		return nil, err
	}
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, pub, 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "gosshd.log")
	var lastErr error
	for range 5 {
		port, err := sshdtest.FreePort()
		if err != nil {
			return nil, err
		}
		cfg := strings.Join([]string{
			"ListenAddress 127.0.0.1", "Port " + strconv.Itoa(port), "HostKey " + hk,
			"AuthorizedKeysFile " + ak, "PermitRootLogin yes", "UsePAM no",
			"StrictModes no", // the key file is under /tmp (mode 1777)
			"PidFile none", "LogLevel INFO",
		}, "\n") + "\n"
		conf := filepath.Join(dir, "gosshd_config")
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			return nil, err
		}
		logf, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "-D", "-e", "-f", conf)
		cmd.Stdout, cmd.Stderr = logf, logf
		d, err := sshdtest.StartDaemon(cmd, sshdtest.LogContains(logPath, "Server listening"), 10*time.Second)
		logf.Close() // the child has its own copy
		if lastErr = err; err == nil {
			stop := func() { d.Stop(syscall.SIGTERM, 15*time.Second) }
			return &daemon{name: "gosshd", port: port, pid: d.PID(), stop: stop}, nil
		}
	}
	log, _ := os.ReadFile(logPath)
	return nil, fmt.Errorf("gosshd did not start: %v\n%s", lastErr, log)
}

// A sample is one measured run: wall time and CPU time of client and
// server together.
type sample struct {
	wall, cpu           time.Duration
	lowerWall, lowerCPU bool // netOf could not subtract the setup run
}

func (s sample) sub(t sample) sample { return sample{wall: s.wall - t.wall, cpu: s.cpu - t.cpu} }

// runCommand runs client (ssh or gossh) against d with the cipher and
// MAC, the remote command cmd, stdin from the file in (empty: /dev/null)
// and stdout to /dev/null, and measures it.
func runCommand(ctx context.Context, clientBin string, d *daemon, key, cipherName, mac, in, remote string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if in == "" {
		in = os.DevNull
	}
	stdin, err := os.Open(in)
	if err != nil {
		return sample{}, err
	}
	defer stdin.Close()
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return sample{}, err
	}
	defer stdout.Close()
	cmd := exec.CommandContext(ctx, clientBin,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-F", "/dev/null", "-i", key, "-p", strconv.Itoa(d.port),
		"-c", cipherName, "-m", mac, "-l", "root", "127.0.0.1", remote)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	s0, err := treeCPU(d.pid)
	if err != nil {
		return sample{}, err
	}
	t0 := time.Now()
	err = cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return sample{}, fmt.Errorf("%s -> %s %q (%s): %v: %s", filepath.Base(clientBin), d.name, remote, cipherName, err, stderr.String())
	}
	s1, err := treeCPU(d.pid)
	if err != nil {
		return sample{}, err
	}
	return sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime() + s1 - s0}, nil
}
