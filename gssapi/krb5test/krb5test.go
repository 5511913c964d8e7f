// Package krb5test starts a throwaway MIT Kerberos KDC for tests.
//
// Start creates a realm in a temporary directory (krb5.conf, kdc.conf, a
// database created with kdb5_util), starts krb5kdc in the foreground on a
// free loopback port (UDP and TCP), and stops it by PID when the test
// ends. Principals, keytabs and ticket caches are made with kadmin.local
// and kinit. Nothing outside the temporary directory is touched: every
// child process gets KRB5_CONFIG and KRB5_KDC_PROFILE explicitly, and
// /etc/krb5.conf is never read or written.
//
// Typical use:
//
//	kdc := krb5test.Start(t)
//	kdc.AddService(t, "host/localhost")
//	kt := kdc.Keytab(t, "host/localhost")
//	kdc.AddUser(t, "alice", "alicepw")
//	cc := kdc.Kinit(t, "alice", "alicepw")
//	t.Setenv("KRB5_CONFIG", kdc.ConfigPath) // or kdc.Setenv(t)
//
// The MIT tools are looked up in /usr/sbin, /usr/bin and PATH. Start
// fails the test (it does not skip) when they are missing.
package krb5test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultRealm is the realm Start creates unless Options says otherwise.
const DefaultRealm = "SSHSTACK.TEST"

// Options configures Start. The zero value is usable.
type Options struct {
	// Realm is the realm name; DefaultRealm if empty.
	Realm string
	// ExtraLibdefaults is appended verbatim to the [libdefaults]
	// section of krb5.conf (one "key = value" per line).
	ExtraLibdefaults string
	// ExtraRealm is appended verbatim inside the realm's block of
	// krb5.conf's [realms], e.g. an auth_to_local rule.
	ExtraRealm string
}

// A KDC is a running MIT krb5kdc with its realm in a temporary directory.
// Its methods may be called from the test goroutine only.
type KDC struct {
	Realm      string // realm name, e.g. SSHSTACK.TEST
	Dir        string // temporary directory holding every file
	Port       int    // KDC port on 127.0.0.1, UDP and TCP
	ConfigPath string // krb5.conf (KRB5_CONFIG)
	KDCProfile string // kdc.conf (KRB5_KDC_PROFILE)
	LogPath    string // krb5kdc log file

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// Start creates a realm and starts its KDC. The KDC is stopped and the
// directory removed when t ends.
func Start(t testing.TB, opts ...Options) *KDC {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Realm == "" {
		o.Realm = DefaultRealm
	}
	for _, tool := range []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist"} {
		if _, err := lookTool(tool); err != nil {
			t.Fatalf("krb5test: %v (install krb5-kdc, krb5-admin-server, krb5-user)", err)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		k, err := start(t, o)
		if err == nil {
			return k
		}
		lastErr = err
	}
	t.Fatalf("krb5test: starting KDC: %v", lastErr)
	return nil
}

func start(t testing.TB, o Options) (*KDC, error) {
	dir, err := os.MkdirTemp("", "krb5test-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	k := &KDC{
		Realm:      o.Realm,
		Dir:        dir,
		Port:       port,
		ConfigPath: filepath.Join(dir, "krb5.conf"),
		KDCProfile: filepath.Join(dir, "kdc.conf"),
		LogPath:    filepath.Join(dir, "kdc.log"),
	}
	if err := os.MkdirAll(filepath.Join(dir, "rcache"), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := k.writeConfig(o); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := k.run("kdb5_util", "create", "-s", "-r", k.Realm, "-P", "krb5test-master"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("kdb5_util create: %v: %s", err, out)
	}
	if err := k.startKDC(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	t.Cleanup(k.stop)
	return k, nil
}

func (k *KDC) writeConfig(o Options) error {
	conf := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	forwardable = true
	ticket_lifetime = 10h
	noaddresses = true
	default_ccache_name = FILE:%[2]s/ccache
	default_keytab_name = FILE:%[2]s/krb5.keytab
%[4]s
[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[3]d
%[5]s
	}

[domain_realm]
	localhost = %[1]s
	.localhost = %[1]s
`, k.Realm, k.Dir, k.Port, o.ExtraLibdefaults, o.ExtraRealm)
	kdcConf := fmt.Sprintf(`[kdcdefaults]
	kdc_listen = 127.0.0.1:%[3]d
	kdc_tcp_listen = 127.0.0.1:%[3]d

[realms]
	%[1]s = {
		database_name = %[2]s/principal
		key_stash_file = %[2]s/stash
		acl_file = %[2]s/kadm5.acl
		max_life = 10h
		max_renewable_life = 7d
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = FILE:%[2]s/kdc.log
	default = FILE:%[2]s/kdc.log
`, k.Realm, k.Dir, k.Port)
	if err := os.WriteFile(k.ConfigPath, []byte(conf), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "kadm5.acl"), nil, 0o600); err != nil {
		return err
	}
	return os.WriteFile(k.KDCProfile, []byte(kdcConf), 0o600)
}

func (k *KDC) startKDC() error {
	path, err := lookTool("krb5kdc")
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "-n", "-r", k.Realm, "-P", filepath.Join(k.Dir, "kdc.pid"))
	cmd.Env = k.Env()
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("krb5kdc: %v", err)
	}
	k.cmd = cmd
	k.done = make(chan struct{})
	go func() {
		cmd.Wait()
		close(k.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-k.done:
			log, _ := os.ReadFile(k.LogPath)
			return fmt.Errorf("krb5kdc exited: %s %s", stderr.String(), log)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(k.Port)), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	k.stop()
	return errors.New("krb5kdc did not start listening within 10s")
}

// stop kills the KDC by PID, waits for it and removes the directory.
func (k *KDC) stop() {
	if k.cmd != nil && k.cmd.Process != nil {
		select {
		case <-k.done:
		default:
			k.cmd.Process.Signal(os.Interrupt)
			select {
			case <-k.done:
			case <-time.After(5 * time.Second):
				k.cmd.Process.Kill()
				<-k.done
			}
		}
	}
	os.RemoveAll(k.Dir)
}

// Env returns the environment for a child process that should use this
// realm: PATH, HOME, KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5RCACHEDIR, and
// KRB5CCNAME and KRB5_KTNAME pointing at the realm's default cache and
// keytab in Dir.
func (k *KDC) Env() []string {
	return []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + k.Dir,
		"KRB5_CONFIG=" + k.ConfigPath,
		"KRB5_KDC_PROFILE=" + k.KDCProfile,
		"KRB5RCACHEDIR=" + filepath.Join(k.Dir, "rcache"),
		"KRB5CCNAME=FILE:" + filepath.Join(k.Dir, "ccache"),
		"KRB5_KTNAME=FILE:" + filepath.Join(k.Dir, "krb5.keytab"),
	}
}

// Setenv sets KRB5_CONFIG, KRB5_KDC_PROFILE and KRB5RCACHEDIR in the test
// process for the duration of t (t.Setenv), so in-process code reading
// the standard variables uses this realm. KRB5CCNAME and KRB5_KTNAME are
// left alone; set them per test.
func (k *KDC) Setenv(t testing.TB) {
	t.Helper()
	t.Setenv("KRB5_CONFIG", k.ConfigPath)
	t.Setenv("KRB5_KDC_PROFILE", k.KDCProfile)
	t.Setenv("KRB5RCACHEDIR", filepath.Join(k.Dir, "rcache"))
}

// Command returns an exec.Cmd for an MIT tool or any other program, with
// Env() plus extra ("KEY=value") as its whole environment. Later entries
// override earlier ones.
func (k *KDC) Command(ctx context.Context, name string, args []string, extra ...string) *exec.Cmd {
	path, err := lookTool(name)
	if err != nil {
		path = name
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(k.Env(), extra...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (k *KDC) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return k.Command(ctx, name, args).CombinedOutput()
}

// Principal returns name qualified with the realm: "alice" becomes
// "alice@SSHSTACK.TEST". A name that already has a realm is unchanged.
func (k *KDC) Principal(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return name + "@" + k.Realm
}

// Kadmin runs one kadmin.local query and fails the test on error.
func (k *KDC) Kadmin(t testing.TB, query string) string {
	t.Helper()
	out, err := k.run("kadmin.local", "-r", k.Realm, "-q", query)
	if err != nil {
		t.Fatalf("krb5test: kadmin.local -q %q: %v: %s", query, err, out)
	}
	return string(out)
}

// AddUser creates a principal with a password.
func (k *KDC) AddUser(t testing.TB, name, password string) {
	t.Helper()
	k.Kadmin(t, fmt.Sprintf("addprinc -pw %s %s", password, k.Principal(name)))
}

// AddService creates a principal with a random key, such as
// "host/localhost".
func (k *KDC) AddService(t testing.TB, name string) {
	t.Helper()
	k.Kadmin(t, "addprinc -randkey "+k.Principal(name))
}

// Keytab writes the keys of principals to a new keytab file in Dir and
// returns its path (without a "FILE:" prefix). ktadd with -norandkey keeps
// the keys the KDC already has, so tickets issued earlier stay valid.
func (k *KDC) Keytab(t testing.TB, principals ...string) string {
	t.Helper()
	f, err := os.CreateTemp(k.Dir, "keytab-")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	f.Close()
	os.Remove(path) // kadmin wants to create it
	for _, p := range principals {
		k.Kadmin(t, fmt.Sprintf("ktadd -k %s -norandkey %s", path, k.Principal(p)))
	}
	return path
}

// Kinit gets a forwardable TGT for name with password into a new FILE:
// cache in Dir and returns the cache path (without "FILE:").
func (k *KDC) Kinit(t testing.TB, name, password string, flags ...string) string {
	t.Helper()
	f, err := os.CreateTemp(k.Dir, "ccache-")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	f.Close()
	os.Remove(path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"-f"}, flags...)
	args = append(args, "-c", "FILE:"+path, k.Principal(name))
	cmd := k.Command(ctx, "kinit", args, "KRB5CCNAME=FILE:"+path)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("krb5test: kinit %s: %v: %s", name, err, out)
	}
	return path
}

// KinitCollection gets a forwardable TGT for name with password into the
// MIT DIR: collection dir (created if need be) as "KRB5CCNAME=DIR:dir
// kinit" does: a new cache for a new principal, which becomes the
// primary one. It returns "DIR:" + dir.
func (k *KDC) KinitCollection(t testing.TB, dir, name, password string, flags ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := k.Command(ctx, "kinit", append(append([]string{"-f"}, flags...), k.Principal(name)), "KRB5CCNAME=DIR:"+dir)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("krb5test: kinit %s into DIR:%s: %v: %s", name, dir, err, out)
	}
	return "DIR:" + dir
}

// Klist runs klist on a cache ("klist -f -c FILE:path") and returns its
// output; the error is klist's exit status.
func (k *KDC) Klist(ctx context.Context, ccache string) (string, error) {
	if !strings.Contains(ccache, ":") {
		ccache = "FILE:" + ccache
	}
	out, err := k.Command(ctx, "klist", []string{"-f", "-c", ccache}).CombinedOutput()
	return string(out), err
}

// Log returns the KDC's log so far, for failure messages.
func (k *KDC) Log() string {
	b, _ := os.ReadFile(k.LogPath)
	return string(b)
}

func freePort() (int, error) {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, errors.New("no free port with both TCP and UDP available")
}

func lookTool(name string) (string, error) {
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("krb5test: %s not found", name)
	}
	return p, nil
}

// A Fixture is the usual setup of a GSS test: a running KDC, a service
// principal with its keytab, and a user with a forwardable TGT.
type Fixture struct {
	KDC      *KDC
	Service  string // e.g. "host/localhost@SSHSTACK.TEST"
	Keytab   string // path of the service's keytab
	User     string // e.g. "alice@SSHSTACK.TEST"
	Password string
	CCache   string // path of the user's FILE: cache
}

// NewFixture starts a KDC and creates service (e.g. "host/localhost")
// with a keytab and user "alice" (password "alicepw") with a TGT.
func NewFixture(t testing.TB, service string) *Fixture {
	t.Helper()
	k := Start(t)
	k.AddService(t, service)
	k.AddUser(t, "alice", "alicepw")
	return &Fixture{
		KDC:      k,
		Service:  k.Principal(service),
		Keytab:   k.Keytab(t, service),
		User:     k.Principal("alice"),
		Password: "alicepw",
		CCache:   k.Kinit(t, "alice", "alicepw"),
	}
}

// Env returns the KDC's environment with KRB5_KTNAME and KRB5CCNAME
// pointing at the fixture's keytab and cache, for child processes such
// as sshd and ssh.
func (f *Fixture) Env() []string {
	var env []string
	for _, kv := range f.KDC.Env() {
		if !strings.HasPrefix(kv, "KRB5_KTNAME=") && !strings.HasPrefix(kv, "KRB5CCNAME=") {
			env = append(env, kv)
		}
	}
	return append(env, "KRB5_KTNAME=FILE:"+f.Keytab, "KRB5CCNAME=FILE:"+f.CCache)
}

// Setenv sets KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5RCACHEDIR, KRB5_KTNAME
// and KRB5CCNAME in the test process for the duration of t.
func (f *Fixture) Setenv(t testing.TB) {
	t.Helper()
	f.KDC.Setenv(t)
	t.Setenv("KRB5_KTNAME", "FILE:"+f.Keytab)
	t.Setenv("KRB5CCNAME", "FILE:"+f.CCache)
}
