//go:build unix

// Command gossh-add adds private keys to an ssh-agent (gossh-agent,
// OpenSSH's ssh-agent or any other), lists, removes and locks them. It
// takes ssh-add(1)'s flags and prints what ssh-add prints:
//
//	gossh-add [-cDdkLlqvXx] [-E fingerprint_hash] [-S provider] [-t life] [file ...]
//	gossh-add -s pkcs11 [-c] [-t life]
//	gossh-add -e pkcs11
//	gossh-add -T pubkey ...
//
// Without files it adds ~/.ssh/id_rsa, id_ecdsa, id_ed25519 and id_dsa,
// those that exist, in ssh-add's order, and each key's certificate
// (FILE-cert.pub) beside it; ~ is $HOME, as in gossh (ssh-add reads the
// passwd entry instead). Passphrases are asked on the terminal, or
// through SSH_ASKPASS when standard input is not one (as ssh-add asks).
// docs/gossh-agent.md lists every flag with its status.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/sshconfig"
	"github.com/sshstack/sshstack/sshconfig/getopt"
)

const usage = `usage: gossh-add [-cDdkLlqvXx] [-E fingerprint_hash] [-S provider] [-t life] [file ...]
       gossh-add -s pkcs11 [-c] [-t life]
       gossh-add -e pkcs11
       gossh-add -T pubkey ...
`

// defaultFiles are ssh-add's default identities, in its order (the
// XMSS file it also tries is not loadable here).
var defaultFiles = []string{".ssh/id_rsa", ".ssh/id_ecdsa", ".ssh/id_ecdsa_sk", ".ssh/id_ed25519", ".ssh/id_ed25519_sk", ".ssh/id_dsa"}

type flags struct {
	l, x       byte // 'l' or 'L'; 'x' or 'X'
	c, d, D, k bool
	T          bool
	q          bool
	hash       string
	life       time.Duration
	provider   string // -s or -e: a PKCS#11 provider
	deleting   bool   // -e
	skProvider string // -S
	files      []string
}

func main() { os.Exit(run(os.Args[1:])) }

func parseFlags(args []string) (*flags, error) {
	f := &flags{hash: "sha256"}
	rest, err := getopt.Parse(args, "", "EehHMmsSt", func(c byte, val string) error {
		switch c {
		case 'l', 'L':
			if f.l != 0 {
				return fatalError(fmt.Sprintf("-%c flag already specified", f.l))
			}
			f.l = c
		case 'x', 'X':
			if f.x != 0 {
				return fatalError(fmt.Sprintf("-%c flag already specified", f.x))
			}
			f.x = c
		case 'c':
			f.c = true
		case 'd':
			f.d = true
		case 'D':
			f.D = true
		case 'k':
			f.k = true
		case 'q':
			f.q = true
		case 'v':
		case 'E':
			if _, err := keyagent.FingerprintFunc(val); err != nil {
				return fatalError(fmt.Sprintf("Invalid hash algorithm \"%s\"", val))
			}
			f.hash = val
		case 't':
			d, err := sshconfig.ParseTime(val)
			if err != nil || d/time.Second > 1<<32-1 {
				return errLifetime
			}
			f.life = d
		case 'T':
			f.T = true
		case 's':
			f.provider = val
		case 'e':
			f.provider, f.deleting = val, true
		case 'S':
			f.skProvider = val
		case 'K', 'h', 'H', 'M', 'm':
			return usageError(fmt.Sprintf("-%c is not supported by gossh-add", c))
		default:
			return usageError(fmt.Sprintf("unknown option -- %c", c))
		}
		return nil
	}, func(m string) error { return usageError(m) })
	if err != nil {
		return nil, err
	}
	f.files = rest
	return f, nil
}

func run(args []string) int {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		fmt.Fprint(os.Stderr, "Could not open a connection to your authentication agent.\n")
		return 2
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error connecting to agent: %v\n", err)
		return 2
	}
	defer conn.Close()
	f, err := parseFlags(args)
	if err != nil {
		var fe fatalError
		switch {
		case errors.As(err, &fe):
			fmt.Fprintf(os.Stderr, "%s\r\n", fe)
			return 255
		case errors.Is(err, errLifetime):
			fmt.Fprint(os.Stderr, "Invalid lifetime\n")
			return 1
		}
		fmt.Fprintf(os.Stderr, "%v\r\n", err)
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	if f.provider != "" {
		// Before agent.NewClient, whose pipeline would read the reply.
		if (&adder{f: f, ctx: context.Background()}).updateCard(conn) != nil {
			return 1
		}
		return 0
	}
	a := &adder{ag: agent.NewClient(conn), f: f, ctx: context.Background()}
	defer func() { clear(a.pass) }()
	n := 0
	for _, b := range []bool{f.x != 0, f.l != 0, f.D} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		fmt.Fprint(os.Stderr, "Invalid combination of actions\r\n")
		return 255
	case f.x != 0:
		return a.lock(f.x == 'x')
	case f.l != 0:
		return a.list(f.l == 'l')
	case f.D:
		if err := a.ag.RemoveAll(); err != nil {
			fmt.Fprint(os.Stderr, "Failed to remove all identities.\n")
			return 1
		}
		if !f.q {
			fmt.Fprint(os.Stderr, "All identities removed.\n")
		}
		return 0
	}
	files := f.files
	ret := 0
	if f.T {
		if len(files) == 0 {
			fmt.Fprint(os.Stderr, "no keys to test\r\n")
			return 255
		}
		for _, p := range files {
			if a.test(p) != nil {
				ret = 1
			}
		}
		return ret
	}
	if len(files) == 0 {
		home, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintf(os.Stderr, "No user found with uid %d\n", os.Getuid())
			return 1
		}
		count := 0
		for _, d := range defaultFiles {
			p := filepath.Join(home, d)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			if a.do(p) != nil {
				ret = 1
			} else {
				count++
			}
		}
		if count == 0 {
			ret = 1
		}
		return ret
	}
	for _, p := range files {
		if a.do(p) != nil {
			ret = 1
		}
	}
	return ret
}

type adder struct {
	ag   agent.ExtendedAgent
	f    *flags
	ctx  context.Context
	pass []byte // the last passphrase that worked, tried first (ssh-add's cache)
}

var errReported = errors.New("gossh-add: reported")

// A fatalError is one ssh-add reports through fatal(): the message, a CR
// LF (its log lines end so), and exit status 255. A usageError is
// printed the same way, then the usage, exit 1.
type (
	fatalError string
	usageError string
)

func (e fatalError) Error() string { return string(e) }
func (e usageError) Error() string { return string(e) }

var errLifetime = errors.New("invalid lifetime")

func (a *adder) do(path string) error {
	if a.f.d {
		return a.delete(path)
	}
	return a.add(path)
}

// fingerprint is that of the key; for a certificate, of the certified
// key, as ssh-add prints it.
func (a *adder) fingerprint(pub hostkey.PublicKey) string {
	if c, ok := pub.(*hostkey.Certificate); ok {
		pub = c.Key
	}
	fp, _ := keyagent.FingerprintFunc(a.f.hash) // checked by parseFlags
	return fp(pub)
}

// list is -l (fingerprints) and -L (public keys).
func (a *adder) list(fp bool) int {
	keys, err := a.ag.List()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error fetching identities: %v\n", err)
		return 1
	}
	if len(keys) == 0 {
		fmt.Print("The agent has no identities.\n")
		return 1
	}
	for _, k := range keys {
		pub, err := hostkey.ParsePublicKey(k.Blob)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sshkey_write: %v\n", err)
			continue
		}
		if fp {
			bits, typ := keyInfo(pub)
			fmt.Printf("%d %s %s (%s)\n", bits, a.fingerprint(pub), k.Comment, typ)
		} else {
			fmt.Printf("%s %s\n", strings.TrimSuffix(string(hostkey.MarshalAuthorizedKey(pub, "")), "\n"), k.Comment)
		}
	}
	return 0
}

// keyInfo is ssh-add -l's size and type name: "256", "ED25519-CERT".
func keyInfo(pub hostkey.PublicKey) (int, string) {
	suffix := ""
	if c, ok := pub.(*hostkey.Certificate); ok {
		pub, suffix = c.Key, "-CERT"
	}
	t := pub.Type()
	switch {
	case t == hostkey.SKED25519:
		return 256, "ED25519-SK" + suffix
	case t == hostkey.SKECDSAP256:
		return 256, "ECDSA-SK" + suffix
	}
	cp, ok := pub.(hostkey.CryptoPublicKey)
	if !ok {
		return 0, strings.ToUpper(t) + suffix
	}
	switch k := cp.CryptoPublicKey().(type) {
	case ed25519.PublicKey:
		return 256, "ED25519" + suffix
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize, "ECDSA" + suffix
	case *rsa.PublicKey:
		return k.N.BitLen(), "RSA" + suffix
	}
	return 0, strings.ToUpper(t) + suffix
}

// lock is -x and -X.
func (a *adder) lock(lock bool) int {
	p1, err := keyagent.ReadPassphrase(a.ctx, "Enter lock password: ", keyagent.AllowStdin)
	if err != nil {
		p1 = ""
	}
	un := "un"
	if lock {
		un = ""
		p2, err := keyagent.ReadPassphrase(a.ctx, "Again: ", keyagent.AllowStdin)
		if err != nil || p1 != p2 {
			fmt.Fprint(os.Stderr, "Passwords do not match.\n")
			return 1
		}
		err = a.ag.Lock([]byte(p1))
		if err == nil {
			fmt.Fprint(os.Stderr, "Agent locked.\n")
			return 0
		}
	} else if err = a.ag.Unlock([]byte(p1)); err == nil {
		fmt.Fprint(os.Stderr, "Agent unlocked.\n")
		return 0
	}
	fmt.Fprintf(os.Stderr, "Failed to %slock agent: agent refused operation\n", un)
	return 1
}

// test is -T: the agent signs random data with the key of path, and the
// signature must verify. An RSA key is asked for rsa-sha2-512 where
// ssh-add asks for ssh-rsa, which hostkey does not verify.
func (a *adder) test(path string) error {
	pub, _, err := loadPublic(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Couldn't read public key %s: %v\r\n", path, err)
		return errReported
	}
	data := make([]byte, 1024)
	rand.Read(data)
	key, err := ssh.ParsePublicKey(pub.Marshal())
	var sig *ssh.Signature
	if err == nil {
		sig, err = a.ag.SignWithFlags(key, data, agent.SignatureFlagRsaSha512)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Agent signature failed for %s: agent refused operation\r\n", path)
		return errReported
	}
	if err := pub.Verify(data, &hostkey.Signature{Format: sig.Format, Blob: sig.Blob, Rest: sig.Rest}); err != nil {
		fmt.Fprintf(os.Stderr, "Signature verification failed for %s: %v\r\n", path, err)
		return errReported
	}
	return nil
}

// loadPublic is sshkey_load_public: the file as a public key, else
// FILE.pub, else the public half an openssh-key-v1 file stores in clear.
func loadPublic(path string) (hostkey.PublicKey, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", errors.New(strerror(err))
	}
	if pub, comment, err := hostkey.ParsePublicKeyFile(data); err == nil {
		return pub, comment, nil
	}
	if pd, err := os.ReadFile(path + ".pub"); err == nil {
		if pub, comment, err := hostkey.ParsePublicKeyFile(pd); err == nil {
			return pub, comment, nil
		}
	}
	_, _, err = hostkey.ParseRawPrivateKey(data, nil)
	var pm *hostkey.PassphraseMissingError
	if errors.As(err, &pm) && pm.PublicKey != nil {
		return pm.PublicKey, "", nil
	}
	if err == nil {
		s, err := hostkey.ParsePrivateKey(data, nil)
		if err == nil {
			return s.PublicKey(), "", nil
		}
	}
	return nil, "", fmt.Errorf("invalid format")
}

// deleteStdin is -d -: each public key line of standard input.
func (a *adder) deleteStdin() error {
	data, err := readAll(os.Stdin)
	if err != nil {
		return errReported
	}
	ret := errReported
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimLeft(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		pub, comment, err := hostkey.ParsePublicKeyFile([]byte(line))
		if err != nil {
			fmt.Fprintf(os.Stderr, "(stdin):%d: invalid key: invalid format\r\n", i+1)
			continue
		}
		if a.deleteOne(pub, comment, "(stdin)") == nil {
			ret = nil
		}
	}
	return ret
}

// delete is -d: the key and, unless -k, its certificate.
func (a *adder) delete(path string) error {
	if path == "-" {
		return a.deleteStdin()
	}
	pub, comment, err := loadPublic(path)
	if err != nil {
		fmt.Printf("Bad key file %s: %v\n", path, err)
		return errReported
	}
	ret := a.deleteOne(pub, comment, path)
	if a.f.k {
		return ret
	}
	cpath := path + "-cert.pub"
	data, err := os.ReadFile(cpath)
	if err != nil {
		return ret
	}
	cert, ccomment, err := hostkey.ParsePublicKeyFile(data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to load certificate \"%s\": %v\r\n", cpath, err)
		return ret
	}
	c, ok := cert.(*hostkey.Certificate)
	if !ok || !hostkey.Equal(c.Key, pub) {
		fmt.Fprintf(os.Stderr, "Certificate %s does not match private key %s\r\n", cpath, path)
		os.Exit(255)
	}
	if a.deleteOne(cert, ccomment, cpath) == nil {
		ret = nil
	}
	return ret
}

func (a *adder) deleteOne(pub hostkey.PublicKey, comment, path string) error {
	key, err := ssh.ParsePublicKey(pub.Marshal())
	if err == nil {
		err = a.ag.Remove(key)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Could not remove identity \"%s\": agent refused operation\n", path)
		return errReported
	}
	if !a.f.q {
		if comment == "" {
			comment = "no comment"
		}
		_, typ := keyInfo(pub)
		fmt.Fprintf(os.Stderr, "Identity removed: %s %s (%s)\n", path, typ, comment)
	}
	return nil
}

// permOK is sshkey_perm_ok: a key file of ours that others can read is
// refused.
func permOK(fi os.FileInfo, path string) bool {
	if fi.Mode().Perm()&0o077 == 0 || !ownedByUs(fi) {
		return true
	}
	fmt.Fprintf(os.Stderr, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"+
		"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\r\n"+
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"+
		"Permissions 0%03o for '%s' are too open.\r\n"+
		"It is required that your private key files are NOT accessible by others.\r\n"+
		"This private key will be ignored.\r\n", fi.Mode().Perm(), path)
	return false
}

// parse decrypts a key file, trying no passphrase, then the cached one,
// then asking until the user gives up with an empty answer.
func (a *adder) parse(path string, data []byte) (crypto.Signer, string, error) {
	key, comment, err := hostkey.ParseRawPrivateKey(data, nil)
	if err == nil {
		return key, comment, nil
	}
	if !errors.Is(err, hostkey.ErrPassphraseNeeded) && !errors.Is(err, hostkey.ErrWrongPassphrase) {
		fmt.Fprintf(os.Stderr, "Error loading key \"%s\": %v\n", path, err)
		return nil, "", errReported
	}
	if a.pass != nil {
		if key, comment, err = hostkey.ParseRawPrivateKey(data, a.pass); err == nil {
			return key, comment, nil
		}
	}
	clear(a.pass)
	a.pass = nil
	confirm := ""
	if a.f.c {
		confirm = " (will confirm each use)"
	}
	prompt := fmt.Sprintf("Enter passphrase for %s%s: ", path, confirm)
	for {
		p, err := keyagent.ReadPassphrase(a.ctx, prompt, keyagent.AllowStdin)
		if err != nil || p == "" {
			return nil, "", errReported
		}
		key, comment, err = hostkey.ParseRawPrivateKey(data, []byte(p))
		if err == nil {
			a.pass = []byte(p)
			return key, comment, nil
		}
		if !errors.Is(err, hostkey.ErrWrongPassphrase) {
			fmt.Fprintf(os.Stderr, "Error loading key \"%s\": %v\n", path, err)
			return nil, "", errReported
		}
		prompt = fmt.Sprintf("Bad passphrase, try again for %s%s: ", path, confirm)
	}
}

// add adds a key file and, unless -k, the certificate beside it.
func (a *adder) add(path string) error {
	var data []byte
	var err error
	if path == "-" {
		path = "(stdin)"
		data, err = readAll(os.Stdin)
	} else {
		var fi os.FileInfo
		if fi, err = os.Stat(path); err == nil && !permOK(fi, path) {
			return errReported
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", path, strerror(err))
		return errReported
	}
	if sk, err := a.parseSK(path, data); sk != nil || err != nil {
		if err != nil {
			return err
		}
		return a.addSK(path, sk)
	}
	key, comment, err := a.parse(path, data)
	if err != nil {
		return err
	}
	if comment == "" {
		comment = path
	}
	ak := agent.AddedKey{PrivateKey: key, Comment: comment, ConfirmBeforeUse: a.f.c, LifetimeSecs: uint32(a.f.life / time.Second)}
	if err := a.ag.Add(ak); err != nil {
		fmt.Fprintf(os.Stderr, "Could not add identity \"%s\": agent refused operation\n", path)
		return errReported
	}
	a.report("Identity added: %s (%s)\n", path, comment)
	if a.f.k || path == "(stdin)" {
		return nil
	}
	cpath := path + "-cert.pub"
	cdata, err := os.ReadFile(cpath)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "Failed to load certificate \"%s\": %v\r\n", cpath, err)
		}
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(cdata)
	cert, ok := pub.(*ssh.Certificate)
	if err != nil || !ok {
		fmt.Fprintf(os.Stderr, "Failed to load certificate \"%s\": invalid format\r\n", cpath)
		return nil
	}
	sp, err := ssh.NewPublicKey(key.Public())
	if err != nil || string(sp.Marshal()) != string(cert.Key.Marshal()) {
		fmt.Fprintf(os.Stderr, "Certificate %s does not match private key %s\r\n", cpath, path)
		return nil
	}
	ak.Certificate = cert
	if err := a.ag.Add(ak); err != nil {
		fmt.Fprintf(os.Stderr, "Certificate %s (%s) add failed: agent refused operation\r\n", cpath, cert.KeyId)
		return nil
	}
	a.report("Certificate added: %s (%s)\n", cpath, cert.KeyId)
	return nil
}

func (a *adder) report(format, path, what string) {
	if a.f.q {
		return
	}
	fmt.Fprintf(os.Stderr, format, path, what)
	if a.f.life > 0 {
		fmt.Fprintf(os.Stderr, "Lifetime set to %d seconds\n", a.f.life/time.Second)
	}
	if a.f.c {
		fmt.Fprint(os.Stderr, "The user must confirm each use of the key\n")
	}
}

// strerror is the C library's text of a system error: Go's, with a
// capital first letter ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	m := errno.Error()
	return strings.ToUpper(m[:1]) + m[1:]
}

func readAll(f *os.File) ([]byte, error) { return io.ReadAll(io.LimitReader(f, 1<<20)) }

func ownedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
