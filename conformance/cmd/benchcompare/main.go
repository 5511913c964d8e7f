// Command benchcompare measures sshstack against OpenSSH and
// golang.org/x/crypto/ssh on this machine, everything in one run so that
// the ratios compare like with like, and prints Markdown tables for
// docs/performance.md. `make bench-compare` builds and runs it.
//
//	benchcompare [-size MiB] [-n runs] [-idle conns] [-hs-time d] [-hs-clients n]
//	             [-reverse=false] [-only sections] [-gossh bin] [-gosshd bin]
//
// It builds gossh and gosshd, starts a throwaway sshd (package sshdtest)
// and gosshd on loopback with their own host keys, configuration and
// ports in a temporary directory, and measures:
//
//   - bulk transfer per cipher: SIZE bytes into "cat > /dev/null" on the
//     server (and, with -reverse, out of "head -c SIZE /dev/zero"), minus
//     the same connection running "true", for ssh and gossh against sshd
//     and gosshd, and for package client and server driven directly
//     (with x/crypto/ssh as the other peer) in child processes;
//   - handshakes per second: connect, key exchange, Ed25519 publickey
//     authentication, exec "true", close, 16 clients at once;
//   - memory per idle authenticated connection with one open session on
//     the server side, package server against x/crypto/ssh's server.
//
// Every figure is the median of -n runs; CPU time is the client's plus
// the server's (with the server's per-connection processes).
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshstack/sshstack/conformance/sshdtest"
)

// The ciphers of the bulk rows, each with the MAC it is measured with
// (AEAD ciphers ignore it).
var ciphers = []struct{ name, mac string }{
	{"aes128-gcm@openssh.com", "hmac-sha2-256-etm@openssh.com"},
	{"chacha20-poly1305@openssh.com", "hmac-sha2-256-etm@openssh.com"},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
}

// options are the harness's flags.
type options struct {
	size     int64         // bytes per bulk run
	runs     int           // runs per figure (the median is reported)
	idle     int           // idle connections for the memory rows
	hsTime   time.Duration // length of one handshake run
	hsConns  int           // concurrent clients of a handshake run
	reverse  bool          // also server -> client
	gossh    string        // prebuilt binaries; "" builds them
	gosshd   string
	sections string // comma-separated subset of "commands,library,handshakes,memory"
	progress io.Writer
	start    time.Time // of the run, for progress lines
}

func main() {
	if spec := os.Getenv(roleEnv); spec != "" {
		os.Exit(runRole(spec))
	}
	var o options
	// 256 MiB keeps the default run under 10 minutes on 2 shared cores;
	// issue 20's figures used -size 512.
	sizeMiB := flag.Int64("size", 256, "MiB per bulk run")
	flag.IntVar(&o.runs, "n", 3, "runs per figure; the median is reported")
	flag.IntVar(&o.idle, "idle", 1000, "idle connections for the memory rows (the issue's target is 10000)")
	flag.DurationVar(&o.hsTime, "hs-time", 2*time.Second, "length of one handshake run")
	flag.IntVar(&o.hsConns, "hs-clients", 16, "concurrent clients in the handshake rows")
	flag.BoolVar(&o.reverse, "reverse", true, "also measure server -> client bulk transfer")
	flag.StringVar(&o.gossh, "gossh", "", "gossh binary (default: go build it)")
	flag.StringVar(&o.gosshd, "gosshd", "", "gosshd binary (default: go build it)")
	flag.StringVar(&o.sections, "only", "commands,library,handshakes,memory", "sections to run")
	flag.Parse()
	o.size = *sizeMiB << 20
	o.progress = os.Stderr
	rep, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
	rep.markdown(os.Stdout)
}

// A report is everything one run measured.
type report struct {
	machine    string
	bulk       []bulkRow
	handshakes []hsRow
	memory     []memRow
	elapsed    time.Duration
}

type bulkRow struct {
	dir, cipher, pair   string
	mbps, mbPerCPU      float64 // medians; NaN if not measured
	lowerRate, lowerCPU bool    // the median run could not subtract its setup run: a lower bound
	ratio, cpuRatio     float64 // to ssh -> sshd, same cipher and direction
}

type hsRow struct {
	kex, pair       string
	perSec, cpuMS   float64
	ratio, cpuRatio float64 // to x/crypto -> x/crypto with curve25519
}

type memRow struct {
	server                 string
	conns                  int
	heap, stack, rss, gors float64 // per connection: bytes, bytes, bytes, goroutines
	heapRatio              float64 // to x/crypto/ssh's server
}

func (o options) has(section string) bool {
	return slices.Contains(strings.Split(o.sections, ","), section)
}

func (o options) logf(format string, args ...any) {
	if o.progress != nil {
		fmt.Fprintf(o.progress, "%7s "+format+"\n", append([]any{time.Since(o.start).Round(time.Second)}, args...)...)
	}
}

// run measures everything o asks for.
func run(ctx context.Context, o options) (*report, error) {
	start := time.Now()
	o.start = start
	dir, err := os.MkdirTemp("", "benchcompare-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	key := filepath.Join(dir, "id_ed25519")
	if err := sshdtest.WriteKey("ed25519", key, ""); err != nil {
		return nil, err
	}
	rep := &report{machine: machineLine()}
	if o.has("commands") {
		if err := rep.commands(ctx, o, dir, key); err != nil {
			return nil, err
		}
	}
	if o.has("library") {
		if err := rep.library(ctx, o, key); err != nil {
			return nil, err
		}
	}
	if o.has("handshakes") {
		if err := rep.handshakeRows(ctx, o, key); err != nil {
			return nil, err
		}
	}
	if o.has("memory") {
		if err := rep.memoryRows(ctx, o, key); err != nil {
			return nil, err
		}
	}
	rep.ratios()
	rep.elapsed = time.Since(start)
	return rep, nil
}

// dataFile writes size zero bytes to a file in /dev/shm (tmpfs, so the
// clients' stdin costs no disk I/O), or in dir if there is none.
func dataFile(dir string, size int64) (path string, remove func(), err error) {
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = dir
	}
	f, err := os.CreateTemp(base, "benchcompare-data-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.Remove(f.Name()) }
	if err := writeZeros(f, size); err != nil {
		f.Close()
		remove()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		remove()
		return "", nil, err
	}
	return f.Name(), remove, nil
}

func goBuild(dir, pkg, name string) (string, error) {
	out := filepath.Join(dir, "bin", name)
	b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// commands measures ssh, gossh, sshd and gosshd.
func (rep *report) commands(ctx context.Context, o options, dir, key string) error {
	gossh, gosshd := o.gossh, o.gosshd
	var err error
	if gossh == "" {
		o.logf("building gossh")
		if gossh, err = goBuild(dir, "github.com/sshstack/sshstack/client/cmd/gossh", "gossh"); err != nil {
			return err
		}
	}
	if gosshd == "" {
		o.logf("building gosshd")
		if gosshd, err = goBuild(dir, "github.com/sshstack/sshstack/server/cmd/gosshd", "gosshd"); err != nil {
			return err
		}
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		return err
	}
	for _, d := range []string{"sshd", "gosshd"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	sshd, err := startSSHD(filepath.Join(dir, "sshd"), pub)
	if err != nil {
		return err
	}
	defer sshd.stop()
	ours, err := startGosshd(gosshd, filepath.Join(dir, "gosshd"), pub)
	if err != nil {
		return err
	}
	defer ours.stop()
	data, remove, err := dataFile(dir, o.size)
	if err != nil {
		return err
	}
	defer remove()

	pairs := []struct {
		name   string
		client string
		server *daemon
	}{
		{"ssh -> sshd", sshdtest.SSH, sshd},
		{"gossh -> gosshd", gossh, ours},
		{"gossh -> sshd", gossh, sshd},
		{"ssh -> gosshd", sshdtest.SSH, ours},
	}
	for _, dirn := range o.directions() {
		for _, c := range ciphers {
			samples := make([][]sample, len(pairs))
			// Round-robin over the pairs, so that a change in the
			// machine's load falls on all of them alike.
			for r := range o.runs {
				for i, p := range pairs {
					o.logf("%s %s %s run %d", dirn, c.name, p.name, r+1)
					setup, err := runCommand(ctx, p.client, p.server, key, c.name, c.mac, "", cmdTrue)
					if err != nil {
						return err
					}
					in, remote := data, cmdDrain
					if dirn == "download" {
						in, remote = "", fmt.Sprintf(cmdZero, o.size)
					}
					bulk, err := runCommand(ctx, p.client, p.server, key, c.name, c.mac, in, remote)
					if err != nil {
						return err
					}
					s := netOf(bulk, setup)
					if s.lowerWall || s.lowerCPU {
						o.logf("  bulk run %v not distinguishable from setup run %v", bulk, setup)
					}
					samples[i] = append(samples[i], s)
				}
			}
			for i, p := range pairs {
				rep.bulk = append(rep.bulk, bulkFrom(dirn, c.name, p.name, o.size, samples[i]))
			}
		}
	}
	return nil
}

func (o options) directions() []string {
	if o.reverse {
		return []string{"upload", "download"}
	}
	return []string{"upload"}
}

// netOf subtracts the setup run from the bulk run. A bulk run that
// cannot be told from its setup run (tiny sizes, as in the smoke test, or
// a setup run stalled by other load) keeps its whole time, and is marked
// as giving a lower bound.
func netOf(bulk, setup sample) sample {
	s := bulk.sub(setup)
	if s.wall <= 0 {
		s.wall, s.lowerWall = bulk.wall, true
	}
	if s.cpu <= 0 {
		s.cpu, s.lowerCPU = bulk.cpu, true
	}
	return s
}

const mb = 1e6 // MB in every figure is 10^6 bytes

func bulkFrom(dirn, cipherName, pair string, size int64, samples []sample) bulkRow {
	var rates, eff []flagged
	for _, s := range samples {
		rates = append(rates, flagged{float64(size) / mb / s.wall.Seconds(), s.lowerWall})
		eff = append(eff, flagged{float64(size) / mb / s.cpu.Seconds(), s.lowerCPU})
	}
	r := bulkRow{dir: dirn, cipher: cipherName, pair: pair}
	r.mbps, r.lowerRate = medianFlagged(rates)
	r.mbPerCPU, r.lowerCPU = medianFlagged(eff)
	return r
}

// A flagged figure may be a lower bound.
type flagged struct {
	v     float64
	lower bool
}

// medianFlagged is the median of v, and whether a value it is made of is
// a lower bound.
func medianFlagged(v []flagged) (float64, bool) {
	if len(v) == 0 {
		return math.NaN(), false
	}
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b flagged) int { return cmp.Compare(a.v, b.v) })
	if len(v)%2 == 1 {
		return v[len(v)/2].v, v[len(v)/2].lower
	}
	a, b := v[len(v)/2-1], v[len(v)/2]
	return (a.v + b.v) / 2, a.lower || b.lower
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// A child is a server or client child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr strings.Builder
}

func startChild(ctx context.Context, r role) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	spec, _ := json.Marshal(r)
	c := &child{cmd: exec.CommandContext(ctx, self, "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), roleEnv+"="+string(spec))
	c.cmd.Stderr = &c.stderr
	c.cmd.WaitDelay = 5 * time.Second
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.stdout = bufio.NewReader(out)
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

// line reads one line of the child's output.
func (c *child) line() (string, error) {
	l, err := c.stdout.ReadString('\n')
	if err != nil {
		c.stdin.Close()
		c.cmd.Wait()
		return "", fmt.Errorf("%s: %v: %s", c.cmd.Env[len(c.cmd.Env)-1], err, c.stderr.String())
	}
	return strings.TrimSuffix(l, "\n"), nil
}

// ask sends a request line to a server child and returns its answer.
func (c *child) ask(req string) (string, error) {
	if _, err := io.WriteString(c.stdin, req+"\n"); err != nil {
		return "", err
	}
	return c.line()
}

func (c *child) cpu() (time.Duration, error) {
	l, err := c.ask("cpu")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(l, 10, 64)
	return time.Duration(n), err
}

// finish closes the child's stdin and waits for it.
func (c *child) finish() error {
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("%v: %s", err, c.stderr.String())
	}
	return nil
}

// A libServer is a running server child.
type libServer struct {
	*child
	addr string
}

func startLibServer(ctx context.Context, impl, key string) (*libServer, error) {
	c, err := startChild(ctx, role{Kind: "server", Impl: impl, Key: key + ".pub"})
	if err != nil {
		return nil, err
	}
	addr, err := c.line()
	if err != nil {
		return nil, err
	}
	return &libServer{child: c, addr: addr}, nil
}

// runLibClient runs one client child to completion against s (nil: the
// child's own in-process server) and returns its result with the
// server's CPU time added.
func runLibClient(ctx context.Context, s *libServer, r role) (clientResult, error) {
	var s0 time.Duration
	var err error
	if s != nil {
		r.Addr = s.addr
		if s0, err = s.cpu(); err != nil {
			return clientResult{}, err
		}
	} else {
		r.InProc = true
	}
	c, err := startChild(ctx, r)
	if err != nil {
		return clientResult{}, err
	}
	l, err := c.line()
	if err != nil {
		return clientResult{}, err
	}
	if err := c.finish(); err != nil {
		return clientResult{}, err
	}
	var res clientResult
	if err := json.Unmarshal([]byte(l), &res); err != nil {
		return clientResult{}, fmt.Errorf("client result %q: %v", l, err)
	}
	if s != nil {
		s1, err := s.cpu()
		if err != nil {
			return clientResult{}, err
		}
		res.CPU += s1 - s0
	}
	return res, nil
}

// library measures package client and server driven directly, with
// x/crypto/ssh as the other peer.
func (rep *report) library(ctx context.Context, o options, key string) error {
	servers := map[string]*libServer{}
	for _, impl := range []string{implOurs, implXCrypto} {
		s, err := startLibServer(ctx, impl, key)
		if err != nil {
			return err
		}
		defer s.finish()
		servers[impl] = s
	}
	pairs := []struct {
		name           string
		client, server string // server "": in the client's process
	}{
		{"lib ours -> ours", implOurs, implOurs},
		{"lib x/crypto -> ours", implXCrypto, implOurs},
		{"lib ours -> x/crypto", implOurs, implXCrypto},
		{"lib x/crypto -> x/crypto", implXCrypto, implXCrypto},
		{"lib ours -> ours, 1 process", implOurs, ""},
	}
	for _, dirn := range o.directions() {
		for _, c := range ciphers {
			samples := make([][]sample, len(pairs))
			for r := range o.runs {
				for i, p := range pairs {
					o.logf("%s %s %s run %d", dirn, c.name, p.name, r+1)
					base := role{Kind: "client", Impl: p.client, Key: key, Cipher: c.name, MAC: c.mac,
						Kex: "curve25519-sha256", Size: o.size}
					srv := servers[p.server]
					setupRole := base
					setupRole.Mode = "true"
					setup, err := runLibClient(ctx, srv, setupRole)
					if err != nil {
						return err
					}
					base.Mode = dirn
					bulk, err := runLibClient(ctx, srv, base)
					if err != nil {
						return err
					}
					s := netOf(sample{wall: bulk.Wall, cpu: bulk.CPU}, sample{wall: setup.Wall, cpu: setup.CPU})
					samples[i] = append(samples[i], s)
				}
			}
			for i, p := range pairs {
				rep.bulk = append(rep.bulk, bulkFrom(dirn, c.name, p.name, o.size, samples[i]))
			}
		}
	}
	return nil
}

// handshakeRows measures full connections per second.
func (rep *report) handshakeRows(ctx context.Context, o options, key string) error {
	servers := map[string]*libServer{}
	for _, impl := range []string{implOurs, implXCrypto} {
		s, err := startLibServer(ctx, impl, key)
		if err != nil {
			return err
		}
		defer s.finish()
		servers[impl] = s
	}
	cases := []struct{ kex, impl string }{
		{"curve25519-sha256", implOurs},
		{"curve25519-sha256", implXCrypto},
		{"mlkem768x25519-sha256", implOurs},
		{"mlkem768x25519-sha256", implXCrypto},
	}
	rates := make([][]float64, len(cases))
	cpus := make([][]float64, len(cases))
	for r := range o.runs {
		for i, tc := range cases {
			o.logf("handshakes %s %s run %d", tc.kex, tc.impl, r+1)
			res, err := runLibClient(ctx, servers[tc.impl], role{Kind: "client", Impl: tc.impl, Key: key,
				Mode: "handshakes", Kex: tc.kex, Cipher: ciphers[0].name, MAC: ciphers[0].mac,
				Clients: o.hsConns, For: o.hsTime})
			if err != nil {
				return err
			}
			if res.Count == 0 {
				return fmt.Errorf("handshakes %s %s: none completed", tc.kex, tc.impl)
			}
			rates[i] = append(rates[i], float64(res.Count)/res.Wall.Seconds())
			cpus[i] = append(cpus[i], res.CPU.Seconds()*1000/float64(res.Count))
		}
	}
	for i, tc := range cases {
		name := map[string]string{implOurs: "lib ours -> ours", implXCrypto: "lib x/crypto -> x/crypto"}[tc.impl]
		rep.handshakes = append(rep.handshakes, hsRow{kex: tc.kex, pair: name, perSec: median(rates[i]), cpuMS: median(cpus[i])})
	}
	return nil
}

// memoryRows measures what an idle authenticated connection with one
// open session costs a fresh server process.
func (rep *report) memoryRows(ctx context.Context, o options, key string) error {
	for _, impl := range []string{implOurs, implXCrypto} {
		o.logf("memory %s, %d idle connections", impl, o.idle)
		s, err := startLibServer(ctx, impl, key)
		if err != nil {
			return err
		}
		row, err := measureIdle(ctx, s, impl, key, o.idle)
		if ferr := s.finish(); err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
		rep.memory = append(rep.memory, row)
	}
	return nil
}

func measureIdle(ctx context.Context, s *libServer, impl, key string, n int) (memRow, error) {
	var before, after memStats
	mem := func(m *memStats) error {
		l, err := s.ask("mem")
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(l), m)
	}
	if err := mem(&before); err != nil {
		return memRow{}, err
	}
	c, err := startChild(ctx, role{Kind: "client", Impl: impl, Key: key, Addr: s.addr, Mode: "idle",
		Kex: "curve25519-sha256", Cipher: ciphers[0].name, MAC: ciphers[0].mac, Conns: n})
	if err != nil {
		return memRow{}, err
	}
	l, err := c.line()
	if err == nil && l != "ready" {
		err = fmt.Errorf("idle client: %q", l)
	}
	if err != nil {
		c.finish()
		return memRow{}, err
	}
	time.Sleep(300 * time.Millisecond) // let the last sessions settle
	err = mem(&after)
	if ferr := c.finish(); err == nil {
		err = ferr
	}
	if err != nil {
		return memRow{}, err
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	name := map[string]string{implOurs: "package server", implXCrypto: "x/crypto/ssh server"}[impl]
	return memRow{server: name, conns: n,
		heap: per(after.HeapInuse, before.HeapInuse), stack: per(after.StackInuse, before.StackInuse),
		rss: per(after.RSS, before.RSS), gors: float64(after.Goroutines-before.Goroutines) / float64(n)}, nil
}

// ratios fills in every row's ratio to its baseline from the same run.
func (rep *report) ratios() {
	for i := range rep.bulk {
		r := &rep.bulk[i]
		r.ratio, r.cpuRatio = math.NaN(), math.NaN()
		for _, b := range rep.bulk {
			if b.pair == "ssh -> sshd" && b.dir == r.dir && b.cipher == r.cipher {
				r.ratio, r.cpuRatio = r.mbps/b.mbps, r.mbPerCPU/b.mbPerCPU
			}
		}
	}
	for i := range rep.handshakes {
		r := &rep.handshakes[i]
		r.ratio, r.cpuRatio = math.NaN(), math.NaN()
		for _, b := range rep.handshakes {
			if b.pair == "lib x/crypto -> x/crypto" && b.kex == "curve25519-sha256" {
				r.ratio, r.cpuRatio = r.perSec/b.perSec, r.cpuMS/b.cpuMS
			}
		}
	}
	for i := range rep.memory {
		r := &rep.memory[i]
		r.heapRatio = math.NaN()
		for _, b := range rep.memory {
			if b.server == "x/crypto/ssh server" {
				r.heapRatio = r.heap / b.heap
			}
		}
	}
}

// machineLine describes the machine: date, CPU model and the flags that
// decide the crypto's speed, core count, load, Go and OpenSSH versions.
func machineLine() string {
	model, flags, seen := "unknown CPU", []string(nil), false
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				model = strings.TrimSpace(v)
			case "flags":
				if seen {
					continue // one line per CPU, all alike
				}
				seen = true
				have := strings.Fields(v)
				for _, f := range []string{"avx2", "avx512f", "vaes", "sha_ni"} {
					if slices.Contains(have, f) {
						flags = append(flags, f)
					}
				}
			}
		}
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	sshV := "OpenSSH ?"
	if out, err := exec.Command(sshdtest.SSH, "-V").CombinedOutput(); err == nil {
		sshV = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s; %s (%s), %d CPUs, load average %s at start; %s; %s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), model, strings.Join(flags, " "),
		runtime.NumCPU(), load, runtime.Version(), sshV)
}

func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func ratio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "x"
}

// markdown prints the report as Markdown.
func (rep *report) markdown(w io.Writer) {
	fmt.Fprintf(w, "Machine: %s.\n\n", rep.machine)
	if len(rep.bulk) > 0 {
		fmt.Fprintln(w, "| direction | cipher | pair | MB/s | ratio | MB/CPU-s | ratio |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|")
		for _, r := range rep.bulk {
			lb := func(lower bool) string {
				if lower {
					return ">= "
				}
				return ""
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s%s | %s | %s%s | %s |\n", map[string]string{"upload": "client -> server", "download": "server -> client"}[r.dir],
				r.cipher, r.pair, lb(r.lowerRate), num(r.mbps, 0), ratio(r.ratio), lb(r.lowerCPU), num(r.mbPerCPU, 0), ratio(r.cpuRatio))
		}
		fmt.Fprintln(w)
	}
	if len(rep.handshakes) > 0 {
		fmt.Fprintln(w, "| handshakes (connect, kex, ed25519 publickey, exec true) | pair | per second | ratio | CPU-ms/conn | ratio |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
		for _, r := range rep.handshakes {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.kex, r.pair, num(r.perSec, 0), ratio(r.ratio), num(r.cpuMS, 2), ratio(r.cpuRatio))
		}
		fmt.Fprintln(w)
	}
	if len(rep.memory) > 0 {
		fmt.Fprintln(w, "| idle connection, one open session | conns | heap KiB/conn | ratio | stack KiB/conn | RSS KiB/conn | goroutines/conn |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, r := range rep.memory {
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s |\n", r.server, r.conns, num(r.heap/1024, 1), ratio(r.heapRatio),
				num(r.stack/1024, 1), num(r.rss/1024, 1), num(r.gors, 1))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Measured in %s.\n", rep.elapsed.Round(time.Second))
}

var errNoRows = errors.New("benchcompare: a row has no figure")

// check returns errNoRows if a row lacks a figure (the smoke test).
func (rep *report) check() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 }
	for _, r := range rep.bulk {
		if bad(r.mbps) || bad(r.mbPerCPU) || bad(r.ratio) || bad(r.cpuRatio) {
			return fmt.Errorf("%w: %+v", errNoRows, r)
		}
	}
	for _, r := range rep.handshakes {
		if bad(r.perSec) || bad(r.cpuMS) || bad(r.ratio) || bad(r.cpuRatio) {
			return fmt.Errorf("%w: %+v", errNoRows, r)
		}
	}
	for _, r := range rep.memory {
		if math.IsNaN(r.heap) || math.IsNaN(r.rss) || math.IsNaN(r.gors) || r.gors <= 0 {
			return fmt.Errorf("%w: %+v", errNoRows, r)
		}
	}
	return nil
}
