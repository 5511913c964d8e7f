package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/sshstack/sshstack/hostkey"
)

// Strictness is the known_hosts policy for keys that are not recorded,
// as OpenSSH's StrictHostKeyChecking.
type Strictness uint8

// Strictness values. A changed or revoked key is refused under every
// one of them.
const (
	// StrictYes refuses hosts whose key is not recorded (the default).
	StrictYes Strictness = iota
	// StrictAcceptNew records the key of a host that has no entry yet
	// and connects ("accept-new").
	StrictAcceptNew
	// StrictNo records the key of an unknown host and connects, also when
	// the host is recorded with keys of other types only ("no"). A key
	// that changed is still refused.
	StrictNo
	// StrictOff trusts any host key without looking at known_hosts. Only
	// for tests against throwaway servers.
	StrictOff
	// StrictAsk asks Config.AskHostKey about a host that is not
	// recorded, and records the key if it says yes ("ask").
	StrictAsk
)

var strictNames = [...]string{StrictYes: "yes", StrictAcceptNew: "accept-new", StrictNo: "no", StrictOff: "off", StrictAsk: "ask"}

func (s Strictness) String() string {
	if int(s) < len(strictNames) {
		return strictNames[s]
	}
	return "Strictness(" + strconv.Itoa(int(s)) + ")"
}

// ErrHostKeyRefused is wrapped by the error a host key check returns
// when known_hosts does not vouch for the key; errors.As on the same
// error finds hostkey's *KeyUnknownError, *KeyChangedError or
// *KeyRevokedError.
var ErrHostKeyRefused = errors.New("client: host key verification failed")

// DefaultUserKnownHostsFiles returns ~/.ssh/known_hosts and
// ~/.ssh/known_hosts2, as OpenSSH's UserKnownHostsFile default.
func DefaultUserKnownHostsFiles() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []string{filepath.Join(home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts2")}
}

// DefaultGlobalKnownHostsFiles returns OpenSSH's GlobalKnownHostsFile
// default.
func DefaultGlobalKnownHostsFiles() []string {
	return []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
}

// KnownHostsAddress returns the name known_hosts records for host and
// port: the host alone for port 22 and "[host]:port" otherwise.
func KnownHostsAddress(host string, port int) string {
	if port == 0 || port == DefaultPort {
		return host
	}
	return "[" + host + "]:" + strconv.Itoa(port)
}

// knownHosts is the verification a Config asks for.
type knownHosts struct {
	strict     Strictness
	userFiles  []string
	hash       bool
	alias      string
	ask        func(name string, key hostkey.PublicKey) bool
	added      func(name string, key hostkey.PublicKey)
	mu         sync.Mutex
	kh         *hostkey.KnownHosts // nil until loaded; guarded by mu
	loadErr    error
	allFiles   []string
	verifiedBy *hostkey.Verified // set by a successful check
}

func newKnownHosts(c *Config) *knownHosts {
	user, global := c.UserKnownHostsFiles, c.GlobalKnownHostsFiles
	if user == nil {
		user = DefaultUserKnownHostsFiles()
	}
	if global == nil {
		global = DefaultGlobalKnownHostsFiles()
	}
	return &knownHosts{strict: c.StrictHostKeyChecking, userFiles: user, hash: c.HashKnownHosts,
		alias: c.HostKeyAlias, ask: c.AskHostKey, added: c.HostKeyAdded, allFiles: slices.Concat(user, global)}
}

// load reads the known_hosts files once. A line that does not parse is
// skipped as ssh does; an unreadable file fails closed.
func (k *knownHosts) load() (*hostkey.KnownHosts, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kh == nil && k.loadErr == nil {
		kh, err := hostkey.LoadKnownHosts(k.allFiles...)
		var le *hostkey.LineError
		if err != nil && !errors.As(err, &le) {
			k.loadErr = fmt.Errorf("client: reading known_hosts: %w", err)
		}
		if kh == nil {
			kh = &hostkey.KnownHosts{}
		}
		k.kh = kh
	}
	return k.kh, k.loadErr
}

// name is the known_hosts name of the address dialled.
func (k *knownHosts) name(addr string) string {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		host, portStr = addr, ""
	}
	if k.alias != "" {
		return k.alias // used as is, as ssh does (no port added)
	}
	port, _ := strconv.Atoi(portStr)
	return KnownHostsAddress(host, port)
}

// algorithms returns the host key algorithms known for addr, for the
// preference order (ssh puts them first).
func (k *knownHosts) algorithms(addr string) []string {
	if k.strict == StrictOff {
		return nil
	}
	kh, err := k.load()
	if err != nil {
		return nil
	}
	return kh.HostKeyAlgorithms(k.name(addr))
}

// check decides on key for addr. Every path that is not an explicit
// success returns an error (docs/security.md#h1).
func (k *knownHosts) check(addr string, _ net.Addr, key hostkey.PublicKey) error {
	if k.strict == StrictOff {
		return nil
	}
	kh, err := k.load()
	if err != nil {
		return err
	}
	name := k.name(addr)
	// kh.Lines may change under UpdateHostKeys while a rekey checks
	// the key again.
	k.mu.Lock()
	defer k.mu.Unlock()
	v, err := kh.Verify(name, key)
	if err == nil && v != nil {
		k.verifiedBy = v
		return nil
	}
	var unknown *hostkey.KeyUnknownError
	isUnknown := errors.As(err, &unknown)
	accept := isUnknown && (k.strict == StrictNo || k.strict == StrictAcceptNew && len(unknown.Others) == 0)
	if isUnknown && k.strict == StrictAsk && k.ask != nil {
		accept = k.ask(name, key)
	}
	if accept {
		if _, isCert := key.(*hostkey.Certificate); isCert {
			return fmt.Errorf("%w: %w", ErrHostKeyRefused, err)
		}
		if len(k.userFiles) == 0 {
			return fmt.Errorf("%w: no known_hosts file to record the key in: %w", ErrHostKeyRefused, err)
		}
		file := k.userFiles[0]
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return fmt.Errorf("%w: recording the key: %w", ErrHostKeyRefused, err)
		}
		if err := kh.AddKnownHost(file, []string{name}, key, k.hash); err != nil {
			return fmt.Errorf("%w: recording the key: %w", ErrHostKeyRefused, err)
		}
		if k.added != nil {
			k.added(name, key)
		}
		return nil
	}
	if err == nil {
		err = hostkey.ErrHostKeyUnknown
	}
	return fmt.Errorf("%w: %w", ErrHostKeyRefused, err)
}
