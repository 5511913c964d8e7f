package kex

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/packet"
	"github.com/sshstack/sshstack/wire"
)

// Limits of the transport.
const (
	// MaxPendingPackets is how many application packets WritePacket
	// queues while a key exchange is in progress; further writers block
	// until it ends (docs/security.md#r4, CVE-2025-22869).
	MaxPendingPackets = 64

	// DefaultRekeyInterval is how long one set of keys is used at most.
	DefaultRekeyInterval = time.Hour

	// MaxPacketsPerKey forces a rekey before 2^31 packets in either
	// direction (RFC 4344, Section 3.1; OpenSSH's MAX_PACKETS).
	MaxPacketsPerKey = 1 << 31

	// MaxHeldDuringRekey bounds the bytes of connection-layer messages
	// the peer sends during a rekey that a writer or Rekey, reading on
	// behalf of the layers above while they do not, keeps for ReadPacket
	// (see Transport.holdDuringRekey): as much as MaxPendingPackets of
	// the largest packets, the bound on our side.
	MaxHeldDuringRekey = MaxPendingPackets * packet.DefaultMaxPacketSize

	// maxOwed bounds the answers the reader owes the peer (UNIMPLEMENTED,
	// PONG) that wait for a write in progress to finish.
	maxOwed = MaxPendingPackets
)

// More errors of the transport.
var (
	// ErrStrictKex means the peer broke strict key exchange (OpenSSH
	// PROTOCOL, Section 1.9): its KEXINIT was not its first packet, or it
	// sent something other than a key exchange message during the
	// initial exchange (docs/security.md#k1, #k2).
	ErrStrictKex = errors.New("kex: strict key exchange violation")

	// ErrRekeyRefused means the peer answered our KEXINIT with
	// SSH_MSG_UNIMPLEMENTED, as OpenSSH's sshd does before user
	// authentication has completed.
	ErrRekeyRefused = errors.New("kex: peer refused key re-exchange")

	// ErrClosed is returned after Close.
	ErrClosed = errors.New("kex: transport closed")

	// ErrHeldTooMuch means the peer sent more than MaxHeldDuringRekey
	// bytes of messages for the layers above during a rekey while they
	// were not being read, or made us owe it more than MaxPendingPackets
	// answers while our writes were blocked.
	ErrHeldTooMuch = errors.New("kex: too much data during key re-exchange")
)

// A HostKey is one of the server's host keys with the public-key
// algorithms it can sign with, preferred first (for an RSA key:
// rsa-sha2-512, rsa-sha2-256).
type HostKey struct {
	Signer     HostKeySigner
	Algorithms []string
}

// DefaultHostKeyAlgorithms is the client's default host key algorithm
// preference: Ed25519 first, then ECDSA, then RSA with SHA-2 (ssh-rsa
// with SHA-1 is not offered).
func DefaultHostKeyAlgorithms() []string {
	return []string{
		"ssh-ed25519",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"rsa-sha2-512", "rsa-sha2-256",
	}
}

// Config configures a Transport. The zero value is not usable on either
// side: a client needs HostKeyVerifier and a server HostKeys.
type Config struct {
	// Version is our identification string; empty means
	// packet.DefaultVersion.
	Version string

	// Methods are the key exchange methods in preference order; nil
	// means DefaultMethods from the registry. A method given here need
	// not be registered.
	Methods []Method

	// HostKeyAlgorithms is the client's host key algorithm preference;
	// nil means DefaultHostKeyAlgorithms. The server offers exactly the
	// algorithms of its HostKeys (docs/security.md#k10b).
	HostKeyAlgorithms []string

	// Ciphers and MACs are the preference lists for both directions; nil
	// means cipher.DefaultCiphers and cipher.DefaultMACs.
	Ciphers, MACs []string

	// Compression is the compression preference for both directions
	// (RFC 4253, Section 6.2); nil means "none" only. packet implements
	// "zlib" and "zlib@openssh.com"; the latter starts after user
	// authentication on its own (packet.Conn.EnableDelayedCompression).
	// OpenSSH's Compression=yes corresponds to
	// {"zlib@openssh.com", "zlib", "none"} on a client.
	Compression []string

	// HostKeys are the server's host keys.
	HostKeys []HostKey

	// HostKeyVerifier checks the server's host key and its signature on
	// the client. It is called once per key exchange.
	HostKeyVerifier HostKeyVerifier

	// ServerName is the host the client dialled (for methods that need
	// it, see Params.ServerName).
	ServerName string

	// Rand is the source of randomness; nil means crypto/rand.
	Rand io.Reader

	// RekeyBytes is the data volume per direction after which new keys
	// are negotiated; zero means the RFC 4344, Section 3.2 limit for the
	// cipher's block size (2^32 blocks for 16-byte blocks, 1 GiB for
	// smaller ones, as in OpenSSH).
	RekeyBytes uint64

	// RekeyInterval is the time after which new keys are negotiated at
	// the next packet; zero means DefaultRekeyInterval.
	RekeyInterval time.Duration

	// DisableStrictKex leaves the kex-strict markers out of the first
	// KEXINIT. Strict kex protects against Terrapin (CVE-2023-48795);
	// disable it only to test.
	DisableStrictKex bool

	// Extensions are sent in SSH_MSG_EXT_INFO (RFC 8308) when the peer
	// signalled it accepts one. nil on a server means
	// DefaultServerExtensions; nil on a client sends none.
	Extensions []wire.Extension

	// FirstPayload, on a client, is a packet to send right after the
	// first NEWKEYS (and EXT_INFO, if we send one), under the new keys
	// and in the same network write: package client passes the
	// SERVICE_REQUEST for "ssh-userauth" here (and tells userauth so),
	// which saves the client a write and the server a wake-up per
	// connection. A server ignores it, as do later exchanges.
	FirstPayload []byte

	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger

	// KeyLog, if not nil, receives the secrets of every key exchange on
	// the connection, the first and each rekey, in the key log format
	// Wireshark's SSH dissector reads (see KeyLogLines), like
	// crypto/tls's Config.KeyLogWriter. Anyone who reads it can decrypt
	// the whole session, passwords included: use it only to debug. A
	// failed Write fails the key exchange.
	KeyLog io.Writer
}

// DefaultServerExtensions returns the EXT_INFO a server sends by
// default: server-sig-algs (RFC 8308, Section 3.1) with the signature
// algorithms the userauth layer verifies, publickey-hostbound@openssh.com
// and ping@openssh.com (OpenSSH PROTOCOL).
func DefaultServerExtensions() []wire.Extension {
	return []wire.Extension{
		{Name: wire.ExtServerSigAlgs, Value: wire.NameListValue([]string{
			"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
			"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
			"rsa-sha2-512", "rsa-sha2-256",
		})},
		{Name: wire.ExtPublicKeyHostbound, Value: []byte(wire.ExtVersion0)},
		{Name: wire.ExtPing, Value: []byte(wire.ExtVersion0)},
	}
}

// A Transport is a secure wire.Transport over a *packet.Conn. It runs the
// initial key exchange in ClientHandshake or ServerHandshake, and afterwards re-keys
// whenever either side asks, by volume, by time or on demand, without the
// layers above noticing except that WritePacket may block.
//
// The Transport has no goroutine of its own while no key exchange runs.
// ReadPacket reads in its caller's goroutine: it runs the key exchanges
// the peer starts, handles IGNORE, DEBUG, PING and unrecognized messages,
// and returns everything else. While an exchange we have joined runs and
// no goroutine is in ReadPacket, a helper goroutine reads for it until it
// ends (or a ReadPacket call comes), keeping what arrives for the layers
// above for the next ReadPacket: so writes queued during the exchange go
// out, and a blocked WritePacket or Rekey returns, even if nobody reads.
// A key exchange the peer starts while nobody reads waits for the next
// ReadPacket (or for one of ours). Key exchange messages (20-49) never
// reach ReadPacket, and WritePacket refuses them.
//
// Locks: rmu is held by whoever reads (ReadPacket, the handshake, the
// helper); wmu by whoever writes to the packet layer, and it is the only
// lock held across a network write; mu guards the state both sides look
// at and is never held across I/O; heldMu guards only the held packets.
// When two are needed, wmu is taken before mu.
type Transport struct {
	pc      *packet.Conn
	cfg     *Config
	role    Role
	log     *slog.Logger
	methods []Method

	local, remote string // identification strings, without CR LF

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	// Owned by the holder of rmu. waiting counts the ReadPacket calls
	// waiting for rmu, which the helper hands it to.
	rmu       sync.Mutex
	waiting   atomic.Int32
	lent      bool // the last payload ReadPacket returned aliases pc's buffer
	strict    bool
	sessionID []byte
	ext       extPhase // where EXT_INFO may appear

	// held is what a helper or writer read for the layers above during
	// a rekey, waiting for ReadPacket. It has a lock of its own so that
	// ReadPacket takes it even while the helper holds rmu, blocked on a
	// peer that has gone quiet.
	heldMu    sync.Mutex
	held      [][]byte // guarded by heldMu
	heldBytes int      // guarded by heldMu

	wmu sync.Mutex // serializes writes to pc with the decisions about them

	wg sync.WaitGroup // the helper (see kick)

	mu           sync.Mutex
	phase        phase         // guarded by mu; changed with wmu held too, except phaseNewKeysSent -> phaseOpen
	err          error         // first fatal error; guarded by mu
	kexCount     int           // completed exchanges; guarded by mu
	localInit    []byte        // our KEXINIT payload in the current exchange; guarded by mu
	initSeq      uint32        // sequence number of our KEXINIT; guarded by mu
	pending      [][]byte      // writes queued during kex; guarded by mu
	owed         []owedAnswer  // answers waiting for wmu; guarded by mu
	kexDone      chan struct{} // closed when the current exchange ends; guarded by mu
	helping      bool          // the helper runs; guarded by mu
	lastKex      time.Time     // guarded by mu
	algs         Algorithms    // guarded by mu
	hostKey      []byte        // server's K_S; guarded by mu
	rekeyBytes   [2]uint64     // write, read; guarded by mu
	rekeyLimit   uint64        // Config.RekeyBytes or SetRekeyLimit's; guarded by mu
	rekeyEvery   time.Duration // Config.RekeyInterval or SetRekeyLimit's; guarded by mu
	peerExt      []wire.Extension
	closeOnce    sync.Once
	closeErr     error       // of closing pc; written once under closeOnce
	closing      atomic.Bool // Close has started
	disconnected bool        // DISCONNECT sent; guarded by mu

	pingSend sync.Mutex    // orders Ping's PINGs on the wire with their waiters
	pingMu   sync.Mutex    // guards pings
	pings    []*pingWaiter // our PINGs not yet answered, oldest first; guarded by pingMu
}

// A phase is where the Transport is in its key exchanges (RFC 4253,
// Sections 7 and 9). Writes of the layers above are queued from our
// KEXINIT to our NEWKEYS; the exchange is over once the peer's NEWKEYS
// has been read.
type phase uint8

const (
	phaseInitial     phase = iota // version exchange and the first exchange, in ClientHandshake or ServerHandshake
	phaseOpen                     // keys in force, no exchange running
	phaseKexInitSent              // our KEXINIT sent: writes queue
	phaseNewKeysSent              // our NEWKEYS sent, the peer's not yet read: writes flow
)

func (p phase) String() string {
	switch p {
	case phaseInitial:
		return "initial"
	case phaseOpen:
		return "open"
	case phaseKexInitSent:
		return "KEXINIT sent"
	case phaseNewKeysSent:
		return "NEWKEYS sent"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// queues reports whether application writes are queued in p.
func (p phase) queues() bool { return p == phaseInitial || p == phaseKexInitSent }

// running reports whether a key exchange we have joined runs in p.
func (p phase) running() bool { return p == phaseKexInitSent || p == phaseNewKeysSent }

// An extPhase tracks where EXT_INFO may appear (RFC 8308, Section 2.4).
type extPhase uint8

const (
	extNone       extPhase = iota // no EXT_INFO expected
	extFirst                      // the next packet may be EXT_INFO
	extBeforeAuth                 // client: one more EXT_INFO may precede USERAUTH_SUCCESS
	extThenAuth                   // client: an EXT_INFO was accepted; USERAUTH_SUCCESS must come next
)

func (e extPhase) String() string {
	switch e {
	case extNone:
		return "none"
	case extFirst:
		return "first"
	case extBeforeAuth:
		return "before auth"
	case extThenAuth:
		return "then auth"
	}
	return fmt.Sprintf("extPhase(%d)", uint8(e))
}

// An owedAnswer is a message the reader owes the peer (UNIMPLEMENTED,
// PONG) that waits for the write in progress; duringKex says whether it
// may be sent between our KEXINIT and our NEWKEYS.
type owedAnswer struct {
	payload   []byte
	duringKex bool
}

var (
	_ wire.Transport     = (*Transport)(nil)
	_ wire.ScratchWriter = (*Transport)(nil)
)

// ClientHandshake runs the version exchange and the initial key exchange as the
// client on pc and returns the secure Transport. On failure it sends
// DISCONNECT with the matching reason, closes pc and returns the error.
func ClientHandshake(ctx context.Context, pc *packet.Conn, cfg *Config) (*Transport, error) {
	return handshake(ctx, pc, cfg, Client)
}

// ServerHandshake runs the version exchange and the initial key exchange as the
// server on pc and returns the secure Transport.
func ServerHandshake(ctx context.Context, pc *packet.Conn, cfg *Config) (*Transport, error) {
	return handshake(ctx, pc, cfg, Server)
}

func handshake(ctx context.Context, pc *packet.Conn, cfg *Config, role Role) (*Transport, error) {
	t, err := newTransport(pc, cfg, role)
	if err != nil {
		pc.Close()
		return nil, err
	}
	t.rmu.Lock()
	// leaveReader: a KEXINIT that takeBufferedExtInfo dispatched needs
	// the helper until the caller reads.
	defer t.leaveReader()
	if err := t.initial(ctx); err != nil {
		t.fail(err)
		t.cancel()
		return nil, t.errOr(err)
	}
	return t, nil
}

func newTransport(pc *packet.Conn, cfg *Config, role Role) (*Transport, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	t := &Transport{pc: pc, cfg: cfg, role: role, log: cfg.Logger, rekeyLimit: cfg.RekeyBytes, rekeyEvery: cfg.RekeyInterval}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.methods = cfg.Methods
	if t.methods == nil {
		for _, n := range DefaultMethods() {
			if m, ok := Lookup(n); ok {
				t.methods = append(t.methods, m)
			}
		}
	}
	switch role {
	case Client:
		if cfg.HostKeyVerifier == nil {
			return nil, errors.New("kex: client config without HostKeyVerifier")
		}
	case Server:
		if len(cfg.HostKeys) == 0 && !t.hostKeyOptionalOnly() {
			return nil, errors.New("kex: server config without HostKeys")
		}
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t, nil
}

func (t *Transport) hostKeyOptionalOnly() bool {
	for _, m := range t.methods {
		if needsHostKey(m) {
			return false
		}
	}
	return len(t.methods) > 0
}

// initial runs the version exchange and the first key exchange
// (RFC 4253, Sections 4.2 and 7) in the caller's goroutine.
func (t *Transport) initial(ctx context.Context) error {
	// A client's KEXINIT leaves with its identification string, in one
	// write. A server's does not: Wireshark's SSH dissector (4.0, as
	// Debian 12 ships it) then often fails to decrypt the session with
	// our key log (TestKeyLogWireshark), and being read by it is worth
	// more than one write.
	var first []byte
	if t.role == Client {
		m, err := t.buildInit(0)
		if err != nil {
			return err
		}
		first = m.Append(nil)
	}
	remote, err := t.pc.ExchangeVersionsThen(ctx, t.cfg.Version, first)
	if err != nil {
		return err
	}
	t.local, t.remote = t.cfg.Version, remote
	if t.local == "" {
		t.local = packet.DefaultVersion
	}
	t.pc.SetInitialKex(true)
	defer t.pc.SetInitialKex(false)

	stop := context.AfterFunc(ctx, func() { t.pc.Close() })
	defer stop()

	if first != nil {
		t.initSent(0, first)
	} else if err := t.sendInit(); err != nil {
		return err
	}
	peerInit, err := t.readPeerInit()
	if err != nil {
		return t.ctxErr(ctx, err)
	}
	if err := t.exchange(ctx, peerInit); err != nil {
		return t.ctxErr(ctx, err)
	}
	if err := t.takeBufferedExtInfo(); err != nil {
		return t.ctxErr(ctx, err)
	}
	return nil
}

// takeBufferedExtInfo reads, on a client, the packet that follows the
// server's first NEWKEYS if it has already arrived whole: the server
// sends its EXT_INFO there (RFC 8308, Section 2.4), usually in the same
// network write, and with it taken userauth knows server-sig-algs before
// it sends anything, so it can send SERVICE_REQUEST and the first
// USERAUTH_REQUEST together (PeerExtensions). Nothing waits on the
// network. A packet other than EXT_INFO is dispatched as ReadPacket
// would and, if it is for the layers above, held for the first
// ReadPacket. rmu held.
func (t *Transport) takeBufferedExtInfo() error {
	if t.role != Client || t.ext != extFirst || !t.pc.Buffered() {
		return nil
	}
	p, deliver, err := t.readOne()
	if err != nil {
		return err
	}
	if deliver {
		t.heldMu.Lock()
		t.held = append(t.held, clone(p))
		t.heldBytes += len(p)
		t.heldMu.Unlock()
	}
	return nil
}

func (t *Transport) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("kex: initial key exchange: %w (%v)", ctx.Err(), err)
	}
	return err
}

// readPeerInit reads the peer's first KEXINIT. A non-strict peer may send
// IGNORE, DEBUG and UNIMPLEMENTED first (docs/security.md#k4); whether the peer
// is strict is known only from its KEXINIT, so exchange checks afterwards
// that a strict peer's KEXINIT had sequence number 0 (docs/security.md#k1).
func (t *Transport) readPeerInit() ([]byte, error) {
	for {
		p, err := t.pc.ReadPacket()
		if err != nil {
			return nil, err
		}
		switch num := wire.MsgNum(p[0]); num {
		case wire.MsgKexInit:
			return clone(p), nil
		case wire.MsgIgnore, wire.MsgDebug, wire.MsgUnimplemented:
			continue
		case wire.MsgDisconnect:
			return nil, remoteDisconnect(p)
		default:
			return nil, fmt.Errorf("kex: %v before KEXINIT: %w", num, ErrUnexpectedMessage)
		}
	}
}

// buildInit returns our KEXINIT for the exchange after count completed
// ones.
func (t *Transport) buildInit(count int) (*wire.KexInit, error) {
	m := &wire.KexInit{}
	if _, err := io.ReadFull(t.rand(), m.Cookie[:]); err != nil {
		return nil, fmt.Errorf("kex: cookie: %w", err)
	}
	for _, meth := range t.methods {
		m.KexAlgorithms = append(m.KexAlgorithms, meth.Name())
	}
	first := count == 0
	if t.role == Client {
		if first {
			m.KexAlgorithms = append(m.KexAlgorithms, ExtInfoClient)
			if !t.cfg.DisableStrictKex {
				m.KexAlgorithms = append(m.KexAlgorithms, StrictClient)
			}
		}
		m.ServerHostKeyAlgorithms = t.cfg.HostKeyAlgorithms
		if m.ServerHostKeyAlgorithms == nil {
			m.ServerHostKeyAlgorithms = DefaultHostKeyAlgorithms()
		}
	} else {
		if first {
			m.KexAlgorithms = append(m.KexAlgorithms, ExtInfoServer)
			if !t.cfg.DisableStrictKex {
				m.KexAlgorithms = append(m.KexAlgorithms, StrictServer)
			}
		}
		for _, hk := range t.cfg.HostKeys {
			for _, a := range hk.Algorithms {
				if !slices.Contains(m.ServerHostKeyAlgorithms, a) {
					m.ServerHostKeyAlgorithms = append(m.ServerHostKeyAlgorithms, a)
				}
			}
		}
		if len(t.cfg.HostKeys) == 0 {
			m.ServerHostKeyAlgorithms = []string{NullHostKey}
		}
	}
	ciphers, macs := t.cfg.Ciphers, t.cfg.MACs
	if ciphers == nil {
		ciphers = cipher.DefaultCiphers()
	}
	if macs == nil {
		macs = cipher.DefaultMACs()
	}
	m.CiphersClientServer, m.CiphersServerClient = ciphers, ciphers
	m.MACsClientServer, m.MACsServerClient = macs, macs
	comp := t.cfg.Compression
	if comp == nil {
		comp = []string{packet.CompressionNone}
	}
	m.CompressionClientServer, m.CompressionServerClient = comp, comp
	return m, nil
}

// sendInit sends our KEXINIT and starts a key exchange, unless one
// runs; from here until our NEWKEYS, application writes are queued.
func (t *Transport) sendInit() error {
	t.mu.Lock()
	running := t.phase.running()
	t.mu.Unlock()
	if running {
		return nil // no need to wait for a write in progress
	}
	t.wmu.Lock()
	defer t.unlockW()
	return t.sendInitW()
}

// sendInitW is sendInit with wmu held, so that no application packet
// slips between the decision and our KEXINIT.
func (t *Transport) sendInitW() error {
	t.mu.Lock()
	ph, count, err := t.phase, t.kexCount, t.err
	t.mu.Unlock()
	if err != nil {
		return err
	}
	if ph.running() {
		return nil
	}
	m, err := t.buildInit(count)
	if err != nil {
		return err
	}
	p := m.Append(nil)
	seq := t.pc.WriteSeq()
	if err := t.pc.WritePacket(p); err != nil {
		return err
	}
	t.initSent(seq, p)
	return nil
}

// initSent records that our KEXINIT p went out with sequence number seq:
// the exchange runs, and writes queue until our NEWKEYS.
func (t *Transport) initSent(seq uint32, p []byte) {
	t.mu.Lock()
	t.initSeq = seq
	t.localInit = p
	t.phase = phaseKexInitSent
	t.kexDone = make(chan struct{})
	count := t.kexCount
	t.mu.Unlock()
	t.log.Debug("kex: sent KEXINIT", "role", t.role, "count", count)
}

var randReader = crand.Reader

// packetLimit is MaxPacketsPerKey; tests lower it.
var packetLimit uint64 = MaxPacketsPerKey

func (t *Transport) rand() io.Reader {
	if t.cfg.Rand != nil {
		return t.cfg.Rand
	}
	return randReader
}

// exchange runs one key exchange after both KEXINITs (RFC 4253,
// Sections 7.1-7.3): negotiation, the method, then NEWKEYS each way.
func (t *Transport) exchange(ctx context.Context, peerInitPayload []byte) error {
	first := t.kexCount == 0
	peerInit, err := wire.ParseKexInit(peerInitPayload)
	if err != nil {
		return fmt.Errorf("kex: %w", err)
	}
	t.mu.Lock()
	localPayload := t.localInit
	t.mu.Unlock()
	localInit, err := wire.ParseKexInit(localPayload)
	if err != nil {
		return fmt.Errorf("kex: our KEXINIT: %w", err)
	}
	clientInit, serverInit := &localInit, &peerInit
	ic, is := localPayload, peerInitPayload
	if t.role == Server {
		clientInit, serverInit = serverInit, clientInit
		ic, is = is, ic
	}
	if first {
		// Strict kex holds only if both first KEXINITs carry the
		// markers; later KEXINITs cannot turn it on or off (docs/security.md#k3).
		t.strict = !t.cfg.DisableStrictKex && HasMarker(clientInit, StrictClient) && HasMarker(serverInit, StrictServer)
		if t.strict && t.pc.ReadSeq() != 1 {
			return fmt.Errorf("%w: KEXINIT was not the first packet", ErrStrictKex)
		}
	}
	algs, err := Negotiate(clientInit, serverInit, t.lookup)
	if err != nil {
		return err
	}
	algs.intern()
	method, _ := t.lookup(algs.Kex)
	skip := peerInit.FirstKexPacketFollows && !GuessMatches(clientInit, serverInit)
	kc := &kexConn{t: t, skipGuess: skip, strict: t.strict && first, rekey: !first}

	params := &Params{
		Role:             t.role,
		ClientKexInit:    ic,
		ServerKexInit:    is,
		HostKeyAlgorithm: algs.HostKey,
		Rand:             t.cfg.Rand,
		SessionID:        t.sessionID,
		ServerName:       t.cfg.ServerName,
		KeyLog:           t.cfg.KeyLog != nil,
	}
	if t.role == Client {
		params.ClientVersion, params.ServerVersion = []byte(t.local), []byte(t.remote)
		params.Verifier = t.cfg.HostKeyVerifier
	} else {
		params.ClientVersion, params.ServerVersion = []byte(t.remote), []byte(t.local)
		params.HostKey = t.hostKeyFor(algs.HostKey)
	}
	// A method that fails after a write leaves the cork on; the
	// DISCONNECT that follows must not be held.
	defer t.pc.Flush()
	res, err := method.Run(ctx, kc, params)
	if err != nil {
		return err
	}
	if t.cfg.KeyLog != nil {
		if err := t.writeKeyLog(t.cfg.KeyLog, localPayload, res); err != nil {
			return err
		}
	}
	if first {
		t.sessionID = clone(res.H)
		t.pc.SetSessionID(res.H)
	}
	return t.switchKeys(kc, algs, res, clientInit, serverInit, first)
}

func (t *Transport) lookup(name string) (Method, bool) {
	for _, m := range t.methods {
		if m.Name() == name {
			return m, true
		}
	}
	return nil, false
}

func (t *Transport) hostKeyFor(alg string) HostKeySigner {
	for _, hk := range t.cfg.HostKeys {
		if slices.Contains(hk.Algorithms, alg) {
			return hk.Signer
		}
	}
	return nil
}

// switchKeys derives the keys, sends NEWKEYS and switches the send
// direction, then reads the peer's NEWKEYS and switches the receive
// direction (RFC 4253, Section 7.3). With strict kex both sequence numbers
// restart at zero. After the first exchange the server sends EXT_INFO
// first thing if the client asked for it (RFC 8308, Section 2.4).
func (t *Transport) switchKeys(kc *kexConn, algs Algorithms, res *Result, ci, si *wire.KexInit, first bool) error {
	c2s, s2c, err := t.keys(algs, res)
	if err != nil {
		return err
	}
	out, in := c2s, s2c
	if t.role == Server {
		out, in = s2c, c2s
	}
	var after [][]byte
	if first {
		if ext := t.extInfoToSend(ci, si); ext != nil {
			after = append(after, ext) // EXT_INFO comes first (RFC 8308, Section 2.4)
		}
		if t.role == Client && len(t.cfg.FirstPayload) > 0 {
			after = append(after, t.cfg.FirstPayload)
		}
	}
	if err := t.sendNewKeys(out, after, func() {
		t.algs = algs
		if res.HostKey != nil {
			t.hostKey = res.HostKey
		}
		t.lastKex = time.Now()
		t.rekeyBytes = [2]uint64{t.limitBytes(out.Cipher), t.limitBytes(in.Cipher)}
	}); err != nil {
		return err
	}

	if err := kc.readNewKeys(); err != nil {
		return err
	}
	if err := t.pc.SetReadKeys(in); err != nil {
		return err
	}
	if first {
		t.ext = extNone
		if (t.role == Client && HasMarker(ci, ExtInfoClient)) || (t.role == Server && HasMarker(si, ExtInfoServer)) {
			t.ext = extFirst
		}
	}
	t.mu.Lock()
	t.kexCount++
	t.phase = phaseOpen
	close(t.kexDone)
	t.mu.Unlock()
	t.log.Debug("kex: keys switched", "role", t.role, "kex", algs.Kex, "strict", t.strict, "count", t.kexCount)
	return nil
}

// sendNewKeys sends NEWKEYS, switches the send direction to out, sends
// after (EXT_INFO, Config.FirstPayload) and the writes queued during the
// exchange, and ends the write side of the exchange, running update under
// mu; all of it corked, so it leaves in one network write. All of it
// happens under wmu, so no application write comes between; mu is taken
// only around the state, never across a write.
func (t *Transport) sendNewKeys(out packet.Keys, after [][]byte, update func()) error {
	t.wmu.Lock()
	defer t.unlockW()
	t.pc.Cork()
	if err := t.pc.WriteNewKeys(out); err != nil {
		return err
	}
	for _, p := range after {
		if err := t.pc.WritePacket(p); err != nil {
			return err
		}
	}
	for {
		t.mu.Lock()
		pending := t.pending
		t.pending = nil
		if len(pending) == 0 {
			// Writers see the new phase only now, so nothing they
			// queue is left behind.
			t.localInit = nil // an idle connection need not hold it
			t.phase = phaseNewKeysSent
			update()
			t.mu.Unlock()
			return t.pc.Flush()
		}
		t.mu.Unlock()
		for _, p := range pending {
			if err := t.pc.WritePacket(p); err != nil {
				return err
			}
		}
	}
}

// extInfoToSend returns the EXT_INFO payload we send after our first
// NEWKEYS, or nil: a server sends one if the client listed ext-info-c, a
// client if the server listed ext-info-s and there is something to send.
func (t *Transport) extInfoToSend(ci, si *wire.KexInit) []byte {
	ext := t.cfg.Extensions
	switch t.role {
	case Server:
		if !HasMarker(ci, ExtInfoClient) {
			return nil
		}
		if ext == nil {
			ext = DefaultServerExtensions()
		}
	case Client:
		if !HasMarker(si, ExtInfoServer) || len(ext) == 0 {
			return nil
		}
	}
	m := wire.ExtInfo{Extensions: ext}
	return m.Append(nil)
}

// keys derives the key material of both directions for the negotiated
// algorithms (RFC 4253, Section 7.2).
func (t *Transport) keys(algs Algorithms, res *Result) (c2s, s2c packet.Keys, err error) {
	sizes := func(d DirectionAlgorithms) (KeySizes, error) {
		a, ok := cipher.LookupAlgorithm(d.Cipher)
		if !ok {
			return KeySizes{}, fmt.Errorf("kex: unknown cipher %q", d.Cipher)
		}
		s := KeySizes{IV: a.IVSize, Key: a.KeySize}
		if !a.AEAD() && d.MAC != "" {
			m, ok := cipher.LookupMAC(d.MAC)
			if !ok {
				return KeySizes{}, fmt.Errorf("kex: unknown MAC %q", d.MAC)
			}
			s.MACKey = m.KeySize
		}
		return s, nil
	}
	cs, err := sizes(algs.ClientToServer)
	if err != nil {
		return c2s, s2c, err
	}
	ss, err := sizes(algs.ServerToClient)
	if err != nil {
		return c2s, s2c, err
	}
	kc, ks := res.Keys(t.sessionID, cs, ss)
	mk := func(d DirectionAlgorithms, k DirectionKeys) packet.Keys {
		return packet.Keys{Cipher: d.Cipher, MAC: d.MAC, IV: k.IV, Key: k.Key, MACKey: k.MACKey,
			Compression: d.Compression, ResetSeq: t.strict}
	}
	return mk(algs.ClientToServer, kc), mk(algs.ServerToClient, ks), nil
}

// limitBytes is the RFC 4344, Section 3.2 volume limit for a cipher, or
// Config.RekeyBytes.
func (t *Transport) limitBytes(name string) uint64 {
	if t.rekeyLimit > 0 {
		return t.rekeyLimit
	}
	bs := 8
	if a, ok := cipher.LookupAlgorithm(name); ok && a.BlockSize > bs {
		bs = a.BlockSize
	}
	if bs >= 16 {
		return uint64(1) << 32 * uint64(bs) // 2^(L/4) blocks of L bits
	}
	return 1 << 30
}

// needRekeyLocked reports whether the current keys are used up.
func (t *Transport) needRekeyLocked() bool {
	if t.phase != phaseOpen {
		return false
	}
	w, r := t.pc.WriteCounters(), t.pc.ReadCounters()
	interval := t.rekeyEvery
	if interval == 0 {
		interval = DefaultRekeyInterval
	}
	return w.KeyBytes >= t.rekeyBytes[0] || r.KeyBytes >= t.rekeyBytes[1] ||
		w.KeyPackets >= packetLimit || r.KeyPackets >= packetLimit ||
		time.Since(t.lastKex) >= interval
}

// kexConn is the Conn a Method runs on: it reads through the packet
// layer and lets only method messages (30-49) through.
type kexConn struct {
	t         *Transport
	skipGuess bool // discard the peer's wrongly guessed first method packet (RFC 4253, Section 7)
	strict    bool // initial exchange under strict kex: nothing but kex messages
	rekey     bool // not the initial exchange: messages of the layers above are delivered
}

func (c *kexConn) WritePacket(_ context.Context, p []byte) error {
	if len(p) == 0 || !wire.MsgNum(p[0]).IsKex() {
		return fmt.Errorf("kex: method wrote a non-kex message: %w", ErrUnexpectedMessage)
	}
	// Held until the method reads again or NEWKEYS is out: a server's
	// reply, NEWKEYS and EXT_INFO leave in one write.
	c.t.pc.Cork()
	return c.t.pc.WritePacket(p)
}

func (c *kexConn) ReadPacket(ctx context.Context) ([]byte, error) {
	for {
		p, err := c.next()
		if err != nil {
			return nil, err
		}
		num := wire.MsgNum(p[0])
		if num.IsKexMethod() {
			if c.skipGuess {
				c.skipGuess = false
				continue
			}
			return p, nil
		}
		return nil, fmt.Errorf("kex: %v during key exchange: %w", num, ErrUnexpectedMessage)
	}
}

// next reads the next packet that is not IGNORE or DEBUG (those are
// dropped, except under strict kex during the initial exchange, where
// they, like UNIMPLEMENTED, are fatal: docs/security.md#k1).
func (c *kexConn) next() ([]byte, error) {
	if err := c.t.pc.Flush(); err != nil { // what we wrote is what the peer waits for
		return nil, err
	}
	for {
		p, err := c.t.pc.ReadPacket()
		if err != nil {
			return nil, err
		}
		num := wire.MsgNum(p[0])
		switch num {
		case wire.MsgIgnore, wire.MsgDebug, wire.MsgUnimplemented:
			if c.strict {
				return nil, fmt.Errorf("%w: %v during the initial key exchange", ErrStrictKex, num)
			}
			continue
		case wire.MsgDisconnect:
			return nil, remoteDisconnect(p)
		case wire.MsgKexInit:
			return nil, fmt.Errorf("kex: second KEXINIT during key exchange: %w", ErrUnexpectedMessage)
		}
		if !num.Recognized() && !c.strict {
			// RFC 4253, Section 11.4; UNIMPLEMENTED is a transport
			// generic message, allowed during kex (Section 7.1). Under
			// strict kex the initial exchange admits nothing else (K1).
			if err := c.t.answerUnrecognized(); err != nil {
				return nil, err
			}
			continue
		}
		if c.rekey && num >= 50 {
			if err := c.t.holdDuringRekey(p); err != nil {
				return nil, err
			}
			continue
		}
		return p, nil
	}
}

func (c *kexConn) readNewKeys() error {
	p, err := c.next()
	if err != nil {
		return err
	}
	if num := wire.MsgNum(p[0]); num != wire.MsgNewKeys {
		return fmt.Errorf("kex: %v instead of NEWKEYS: %w", num, ErrUnexpectedMessage)
	}
	if _, err := wire.ParseNewKeys(p); err != nil {
		return fmt.Errorf("kex: %w", err)
	}
	return nil
}

func remoteDisconnect(p []byte) error {
	m, err := wire.ParseDisconnect(p)
	if err != nil {
		return &wire.DisconnectError{Reason: wire.ProtocolError, Message: "malformed DISCONNECT", Remote: true}
	}
	return &wire.DisconnectError{Reason: m.Reason, Message: m.Description, Remote: true}
}

// ReadPacket returns the next message that is not part of the transport
// layer's own business. It reads in the caller's goroutine: it runs the
// key exchanges the peer starts, drops IGNORE and DEBUG, answers PING
// and unrecognized messages, enforces where EXT_INFO and kex messages may
// appear (docs/security.md#p9, #p10, #h3), and starts a rekey when the
// keys are used up. One caller at a time reads; concurrent calls take
// turns.
//
// CHANNEL_DATA and CHANNEL_EXTENDED_DATA payloads, the bulk of the
// traffic, alias the packet layer's buffer, decrypted in place, and are
// valid only until the next ReadPacket (the wire.Transport contract);
// every other payload is a copy the caller may keep. A writer or Rekey
// that reads for a key exchange meanwhile leaves the payload alone
// (packet.Conn.KeepPayload), so it stays valid until the caller's next
// ReadPacket whatever other goroutines do.
func (t *Transport) ReadPacket() ([]byte, error) {
	t.waiting.Add(1) // before popHeld: a helper that holds more after it sees us
	if q := t.popHeld(); q != nil {
		// Held packets first, without rmu: the helper may be blocked
		// in a read on a peer that sends nothing until it hears from
		// us. It hands rmu over only after its read returns, and we
		// may have made it do so: kick brings it back if need be.
		t.waiting.Add(-1)
		t.kick()
		return q, nil
	}
	t.rmu.Lock()
	t.waiting.Add(-1)
	defer t.leaveReader()
	t.lent = false
	for {
		if q := t.popHeld(); q != nil {
			return q, nil
		}
		p, deliver, err := t.readOne()
		if err != nil {
			return nil, err
		}
		if deliver {
			if num := wire.MsgNum(p[0]); num == wire.MsgChannelData || num == wire.MsgChannelExtendedData {
				t.lent = true
				return p, nil
			}
			return clone(p), nil
		}
	}
}

// ReadBuffered is ReadPacket without the wait: it returns the next
// payload for the layers above if it has already arrived, reading only
// packets that are whole in the packet layer's buffer
// (packet.Conn.Buffered), and ok false, having read nothing from the
// network, once none is left. Packets of this layer's own (IGNORE,
// EXT_INFO, a KEXINIT...) are handled on the way as ReadPacket handles
// them. It returns ok false at once while another goroutine reads. The
// payload is valid as ReadPacket's is. userauth uses it to answer a
// request that came with the SERVICE_REQUEST together with the
// SERVICE_ACCEPT (docs/decisions/0043-service-request-with-first-auth.md).
func (t *Transport) ReadBuffered() (p []byte, ok bool, err error) {
	if q := t.popHeld(); q != nil {
		t.kick()
		return q, true, nil
	}
	if !t.rmu.TryLock() {
		return nil, false, nil
	}
	defer t.leaveReader()
	t.lent = false
	if q := t.popHeld(); q != nil {
		return q, true, nil
	}
	for t.pc.Buffered() {
		p, deliver, err := t.readOne()
		if err != nil {
			return nil, false, err
		}
		if deliver {
			if num := wire.MsgNum(p[0]); num == wire.MsgChannelData || num == wire.MsgChannelExtendedData {
				t.lent = true
				return p, true, nil
			}
			return clone(p), true, nil
		}
	}
	return nil, false, nil
}

// popHeld returns the oldest held packet, or nil.
func (t *Transport) popHeld() []byte {
	t.heldMu.Lock()
	defer t.heldMu.Unlock()
	if len(t.held) == 0 {
		return nil
	}
	q := t.held[0]
	t.held[0] = nil
	t.held = t.held[1:]
	if t.heldBytes -= len(q); len(t.held) == 0 {
		t.held, t.heldBytes = nil, 0
	}
	return q
}

// readOne reads and dispatches one packet, and starts a rekey if the
// keys are used up; rmu held. deliver says whether p is for the layers
// above. Errors are fatal and recorded.
func (t *Transport) readOne() (p []byte, deliver bool, err error) {
	if err := t.errOr(nil); err != nil {
		return nil, false, err
	}
	p, err = t.pc.ReadPacket()
	if err == nil {
		deliver, err = t.dispatch(p)
	}
	if err == nil && t.needRekey() {
		err = t.sendInitIfFree()
	}
	if err != nil {
		t.fail(err)
		return nil, false, t.errOr(err)
	}
	return p, deliver, nil
}

// leaveReader releases rmu, and starts the helper if an exchange needs
// reads.
func (t *Transport) leaveReader() {
	t.rmu.Unlock()
	t.kick()
}

// kick starts the helper goroutine if an exchange we have joined runs,
// nobody reads and no helper runs. The helper reads until the exchange
// ends, the Transport fails, or a ReadPacket call waits to take over.
func (t *Transport) kick() {
	t.mu.Lock()
	if !t.phase.running() || t.err != nil || t.helping || t.waiting.Load() > 0 || !t.rmu.TryLock() {
		t.mu.Unlock()
		return
	}
	t.helping = true
	done := t.kexDone
	t.wg.Add(1) // under mu: Close sets err under mu before it waits
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		t.help(done)
		t.mu.Lock()
		t.helping = false
		t.mu.Unlock()
		t.leaveReader()
	}()
}

// help reads and dispatches until done is closed, holding what is for
// the layers above; rmu held. If the last payload ReadPacket returned
// aliases the packet buffer, its holder may still be using it: unless it
// is back already, the packet layer is told to read on in new memory.
func (t *Transport) help(done <-chan struct{}) {
	if t.lent {
		runtime.Gosched() // a reader between two packets is usually back by now
		if t.waiting.Load() > 0 {
			return
		}
		t.pc.KeepPayload()
		t.lent = false
	}
	for {
		select {
		case <-done:
			return
		default:
		}
		if t.waiting.Load() > 0 {
			return
		}
		p, deliver, err := t.readOne()
		if err != nil {
			return
		}
		if deliver {
			if err := t.holdDuringRekey(p); err != nil {
				t.fail(err)
				return
			}
		}
	}
}

// awaitKex waits for the key exchange whose kexDone is done to end, for
// ctx, or for the Transport to fail; the reading is done by ReadPacket or
// the helper.
func (t *Transport) awaitKex(ctx context.Context, done <-chan struct{}) error {
	t.kick()
	select {
	case <-done:
		return nil
	case <-t.ctx.Done():
		return t.errOr(ErrClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// needRekey reports whether the current keys are used up.
func (t *Transport) needRekey() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.needRekeyLocked()
}

// sendInitIfFree starts a rekey from the reading side unless a write is
// in progress: the reader must not wait behind a writer that the peer
// holds up (the peer may be waiting for us to read), and the writer
// starts the rekey itself when it lets go of wmu (unlockW).
func (t *Transport) sendInitIfFree() error {
	if !t.wmu.TryLock() {
		return nil
	}
	defer t.unlockW()
	return t.sendInitW()
}

// dispatch handles one packet read after the initial exchange and
// reports whether ReadPacket returns it.
func (t *Transport) dispatch(p []byte) (deliver bool, err error) {
	num := wire.MsgNum(p[0])
	ext := t.ext
	switch t.ext {
	case extFirst:
		t.ext = extNone
		if t.role == Client {
			t.ext = extBeforeAuth
		}
	case extThenAuth:
		t.ext = extNone
		if num != wire.MsgUserauthSuccess {
			return false, fmt.Errorf("kex: EXT_INFO not followed by USERAUTH_SUCCESS: %w", ErrUnexpectedMessage)
		}
	}
	switch {
	case num == wire.MsgKexInit:
		return false, t.peerRekey(p)
	case num == wire.MsgNewKeys || num.IsKexMethod():
		return false, fmt.Errorf("kex: %v outside key exchange: %w", num, ErrUnexpectedMessage)
	case !num.Recognized():
		// RFC 4253, Section 11.4, for every layer: a number no layer of
		// sshstack implements never reaches the layers above
		// (docs/decisions/0013-unimplemented-in-kex.md).
		return false, t.answerUnrecognized()
	case num == wire.MsgPing:
		return false, t.answerPing(p)
	case num == wire.MsgPong:
		return false, t.gotPong(p)
	case num == wire.MsgIgnore || num == wire.MsgDebug:
		return false, nil
	case num == wire.MsgDisconnect:
		return false, remoteDisconnect(p)
	case num == wire.MsgUnimplemented:
		if m, err := wire.ParseUnimplemented(p); err == nil {
			t.mu.Lock()
			refused := t.phase.running() && m.SeqNum == t.initSeq
			t.mu.Unlock()
			if refused {
				return false, ErrRekeyRefused
			}
		}
	case num == wire.MsgExtInfo:
		if ext != extFirst && ext != extBeforeAuth {
			return false, fmt.Errorf("kex: EXT_INFO out of place: %w", ErrUnexpectedMessage)
		}
		m, err := wire.ParseExtInfo(p)
		if err != nil {
			return false, fmt.Errorf("kex: %w", err)
		}
		for i := range m.Extensions {
			m.Extensions[i].Value = clone(m.Extensions[i].Value)
		}
		t.mu.Lock()
		t.peerExt = m.Extensions
		t.mu.Unlock()
		if ext == extBeforeAuth {
			t.ext = extThenAuth
		}
		return false, nil
	case num == wire.MsgUserauthSuccess:
		t.ext = extNone
	}
	return true, nil
}

// peerRekey answers a KEXINIT the peer sent after the initial exchange
// and runs the exchange to its end.
func (t *Transport) peerRekey(p []byte) error {
	if err := t.sendInit(); err != nil {
		return err
	}
	return t.exchange(t.ctx, clone(p))
}

// holdDuringRekey keeps a message for the layers above (50 and up) that
// was read while they were not reading, for ReadPacket to return: one
// the peer sent between its KEXINIT and its NEWKEYS of a rekey, or one
// that a writer or Rekey read on their behalf while waiting for an
// exchange to end. RFC 4253, Section 7.1 forbids sending them during the
// exchange, but OpenSSH accepts them (only transport messages are errors
// during its kex) and AsyncSSH 2.10 sends channel data there; we
// interoperate (docs/deviations.md). The initial exchange still refuses
// them. At most MaxHeldDuringRekey bytes are held.
func (t *Transport) holdDuringRekey(p []byte) error {
	t.heldMu.Lock()
	defer t.heldMu.Unlock()
	if t.heldBytes += len(p); t.heldBytes > MaxHeldDuringRekey {
		return fmt.Errorf("%w: more than %d bytes", ErrHeldTooMuch, MaxHeldDuringRekey)
	}
	t.held = append(t.held, clone(p))
	return nil
}

// WritePacket sends payload. While a key exchange is in progress it is
// queued (copied) instead, up to MaxPendingPackets; beyond that
// WritePacket waits until the exchange ends, reading for it if no
// goroutine is in ReadPacket. Key exchange messages are refused.
// WritePacket may start a key exchange when the keys are used up.
func (t *Transport) WritePacket(payload []byte) error { return t.writePacket(payload, nil) }

// WritePacketSplit is WritePacket of head followed by data
// (wire.SplitWriter); outside a key exchange neither is copied before
// the packet layer seals them.
func (t *Transport) WritePacketSplit(head, data []byte) error { return t.writePacket(head, data) }

// WritePacketsSplit writes len(heads) packets, packet i's payload
// heads[i] followed by datas[i] (wire.BatchWriter), corked in the packet
// layer so that they leave in one network write. A key exchange that
// starts among them (this batch used up the keys, or the peer asked)
// ends the batch there: the rest are written, or queued, one by one as
// WritePacketSplit would.
func (t *Transport) WritePacketsSplit(heads, datas [][]byte) error {
	if len(heads) != len(datas) {
		return fmt.Errorf("kex: %d heads for %d data slices: %w", len(heads), len(datas), ErrUnexpectedMessage)
	}
	return t.writePackets(batch{heads: heads, datas: datas})
}

// WritePacketsScratch is WritePacketsSplit of heads[i] followed by
// buf[offs[i]:offs[i+1]] (wire.ScratchWriter): the packet layer may use
// the bytes around each data slice to put the packet together where the
// data lies (packet.Conn.WritePacketScratch), which spares a copy. It
// may overwrite buf before offs[i] for good while it writes packet i and
// leaves buf from offs[i+1] on as it was. Packets that wait for a key
// exchange are queued (copied) as WritePacketSplit's.
func (t *Transport) WritePacketsScratch(heads [][]byte, buf []byte, offs []int) error {
	if len(offs) != len(heads)+1 {
		return fmt.Errorf("kex: %d heads for %d offsets: %w", len(heads), len(offs), ErrUnexpectedMessage)
	}
	for i := range heads {
		if offs[i] > offs[i+1] || offs[i] < 0 || offs[i+1] > len(buf) {
			return fmt.Errorf("kex: data %d at %d:%d of %d bytes: %w", i, offs[i], offs[i+1], len(buf), ErrUnexpectedMessage)
		}
	}
	return t.writePackets(batch{heads: heads, buf: buf, offs: offs})
}

// A batch is the packets of WritePacketsSplit (heads and datas) or of
// WritePacketsScratch (heads, buf and offs).
type batch struct {
	heads [][]byte
	datas [][]byte
	buf   []byte
	offs  []int
}

func (b batch) data(i int) []byte {
	if b.datas != nil {
		return b.datas[i]
	}
	return b.buf[b.offs[i]:b.offs[i+1]]
}

// from returns the batch without its first n packets.
func (b batch) from(n int) batch {
	b.heads = b.heads[n:]
	if b.datas != nil {
		b.datas = b.datas[n:]
	} else {
		b.offs = b.offs[n:]
	}
	return b
}

func (t *Transport) writePackets(b batch) error {
	for _, h := range b.heads {
		if len(h) == 0 || wire.MsgNum(h[0]).IsKex() {
			return fmt.Errorf("kex: WritePacket of a key exchange message: %w", ErrUnexpectedMessage)
		}
	}
	for len(b.heads) > 0 {
		n, err := t.writeBatch(b)
		if err != nil {
			return err
		}
		b = b.from(n)
		if len(b.heads) > 0 {
			if err := t.writePacket(b.heads[0], b.data(0)); err != nil {
				return err
			}
			b = b.from(1)
		}
	}
	return nil
}

// writeBatch writes packets from the front of b, corked, until an
// exchange makes writes queue, and returns how many it wrote. Only wmu's
// holder writes application packets or starts an exchange, so the phase
// checked before each packet holds while it is written.
func (t *Transport) writeBatch(b batch) (int, error) {
	t.wmu.Lock()
	t.pc.Cork()
	n := 0
	var err error
	for n < len(b.heads) {
		t.mu.Lock()
		ph, terr := t.phase, t.err
		t.mu.Unlock()
		if terr != nil {
			err = terr
			break
		}
		if ph.queues() {
			break
		}
		if b.datas != nil {
			err = t.writeW(b.heads[n], b.datas[n])
		} else {
			err = t.writeScratchW(b.heads[n], b.buf, b.offs[n], b.offs[n+1])
		}
		if err != nil {
			break
		}
		n++
	}
	if ferr := t.pc.Flush(); err == nil {
		err = ferr
	}
	t.unlockW()
	return n, err
}

func (t *Transport) writePacket(head, data []byte) error {
	if len(head) == 0 || wire.MsgNum(head[0]).IsKex() {
		return fmt.Errorf("kex: WritePacket of a key exchange message: %w", ErrUnexpectedMessage)
	}
	for {
		queued, done, err := t.queue(head, data)
		if queued {
			t.kick() // so that it goes out even if nobody reads
		}
		if err != nil || queued {
			return err
		}
		if done == nil {
			// No exchange running: write, with wmu, unless one started
			// while we waited for it.
			t.wmu.Lock()
			t.mu.Lock()
			ph, err := t.phase, t.err
			t.mu.Unlock()
			if err == nil && !ph.queues() {
				err = t.writeW(head, data)
				t.unlockW()
				return err
			}
			t.unlockW()
			if err != nil {
				return err
			}
			continue
		}
		// The queue is full: wait for the exchange to end without
		// holding wmu, which the exchange needs to send NEWKEYS.
		if err := t.awaitKex(context.Background(), done); err != nil {
			return err
		}
	}
}

// queue queues payload if a key exchange runs and there is room. If the
// queue is full it returns the exchange's kexDone; if no exchange
// queues writes, neither.
func (t *Transport) queue(head, data []byte) (queued bool, done <-chan struct{}, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.err != nil:
		return false, nil, t.err
	case !t.phase.queues():
		return false, nil, nil
	case len(t.pending) < MaxPendingPackets:
		t.pending = append(t.pending, append(clone(head), data...))
		return true, nil, nil
	}
	return false, t.kexDone, nil
}

// writeW writes payload outside a key exchange and starts one when the
// keys are used up; wmu held.
func (t *Transport) writeW(head, data []byte) error {
	var err error
	if data != nil {
		err = t.pc.WritePacketSplit(head, data)
	} else {
		err = t.pc.WritePacket(head)
	}
	return t.afterW(err)
}

// writeScratchW is writeW of head and buf[off:end] through
// packet.Conn.WritePacketScratch.
func (t *Transport) writeScratchW(head, buf []byte, off, end int) error {
	return t.afterW(t.pc.WritePacketScratch(head, buf, off, end))
}

// afterW starts the rekey a packet just written (err nil) used the keys
// up for; wmu held.
func (t *Transport) afterW(err error) error {
	if err != nil {
		return err
	}
	if t.needRekey() {
		return t.sendInitW()
	}
	return nil
}

// unlockW releases wmu, first sending what the reader owes the peer and
// starting the rekey it could not start; it takes wmu back (if free) for
// what was owed while it let go, so that nothing waits for a next write.
func (t *Transport) unlockW() {
	for {
		t.flushOwedW()
		t.wmu.Unlock()
		t.mu.Lock()
		more := t.err == nil && (len(t.owed) > 0 || t.needRekeyLocked())
		t.mu.Unlock()
		if !more || !t.wmu.TryLock() {
			return
		}
	}
}

// flushOwedW sends the answers owed to the peer, and a KEXINIT if the
// keys are used up; wmu held. Errors are fatal and recorded.
func (t *Transport) flushOwedW() {
	t.mu.Lock()
	owed := t.owed
	t.owed = nil
	ph := t.phase
	need := t.needRekeyLocked()
	t.mu.Unlock()
	for _, a := range owed {
		if !a.duringKex && ph.running() {
			continue // a PONG during kex is dropped (docs/security.md#r5)
		}
		if err := t.pc.WritePacket(a.payload); err != nil {
			t.fail(err)
			return
		}
	}
	if need {
		if err := t.sendInitW(); err != nil {
			t.fail(err)
		}
	}
}

// Rekey starts a key exchange unless one is in progress and waits until
// it has completed (RFC 4253, Section 9), or until ctx is done; the
// exchange goes on then. No goroutine need be in ReadPacket meanwhile.
func (t *Transport) Rekey(ctx context.Context) error {
	if err := t.errOr(nil); err != nil {
		return err
	}
	if err := t.sendInit(); err != nil {
		return err
	}
	t.mu.Lock()
	done := t.kexDone
	t.mu.Unlock()
	return t.awaitKex(ctx, done)
}

// SessionID returns the exchange hash of the first key exchange.
func (t *Transport) SessionID() []byte { return t.pc.SessionID() }

// SetRekeyLimit replaces Config.RekeyBytes and Config.RekeyInterval
// (zero meaning their defaults, as there) for the current keys and
// every later exchange, as OpenSSH's server does once a user's Match
// sections are known (RekeyLimit). Keys already used past the new
// limit are renewed at the next packet.
func (t *Transport) SetRekeyLimit(bytes uint64, interval time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rekeyLimit, t.rekeyEvery = bytes, interval
	if t.algs.Kex == "" {
		return // no keys yet: the first NEWKEYS sets rekeyBytes
	}
	out, in := t.algs.ClientToServer, t.algs.ServerToClient
	if t.role == Server {
		out, in = in, out
	}
	t.rekeyBytes = [2]uint64{t.limitBytes(out.Cipher), t.limitBytes(in.Cipher)}
}

// Algorithms returns the algorithms of the last completed key exchange.
func (t *Transport) Algorithms() Algorithms {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.algs
}

// HostKey returns the server's host key blob K_S from the last exchange
// (nil if the method used none).
func (t *Transport) HostKey() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hostKey
}

// Strict reports whether strict key exchange is in force.
func (t *Transport) Strict() bool { return t.strict }

// RemoteVersion returns the peer's identification string.
func (t *Transport) RemoteVersion() string { return t.remote }

// PeerExtensions returns the extensions of the last EXT_INFO the peer sent
// (RFC 8308), or nil. On a client it is complete once the first packet
// after the initial exchange has been read (SERVICE_ACCEPT, say), or
// already when the handshake returns if the EXT_INFO came in the same
// network read as the server's NEWKEYS; it may be replaced once more by
// an EXT_INFO just before USERAUTH_SUCCESS.
func (t *Transport) PeerExtensions() []wire.Extension {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peerExt
}

// ServerSigAlgs returns the server-sig-algs the server announced, or nil.
func (t *Transport) ServerSigAlgs() []string {
	for _, e := range t.PeerExtensions() {
		if e.Name == wire.ExtServerSigAlgs {
			names, err := wire.ParseNameListValue(e.Value)
			if err == nil {
				return names
			}
		}
	}
	return nil
}

// Close sends nothing, closes the connection, which ends a ReadPacket
// or WritePacket in progress, and waits for the helper to end. It is idempotent: every call returns the
// error of closing the connection, so that a caller whose Close was not
// the first one (the connection layer may have closed the Transport when
// the peer went away) still learns what failed.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.closing.Store(true)
		t.cancel()
		t.closeErr = t.pc.Close()
		t.mu.Lock()
		if t.err == nil {
			t.err = ErrClosed
		}
		t.mu.Unlock()
		t.wg.Wait()
	})
	return t.closeErr
}

// Disconnect sends DISCONNECT with reason and message, then closes.
func (t *Transport) Disconnect(reason wire.DisconnectReason, msg string) error {
	t.sendDisconnect(reason, msg)
	return t.Close()
}

func (t *Transport) errOr(def error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	return def
}

// fail records err, sends DISCONNECT with the matching reason code unless
// the peer disconnected or the connection is gone, and closes the
// packet layer.
func (t *Transport) fail(err error) {
	if t.closing.Load() {
		err = ErrClosed
	}
	t.mu.Lock()
	if t.err != nil {
		t.mu.Unlock()
		return
	}
	t.err = err
	t.mu.Unlock()
	if reason := DisconnectReasonFor(err); reason != 0 {
		t.sendDisconnect(reason, err.Error())
	}
	t.cancel()
	t.pc.Close()
}

func (t *Transport) sendDisconnect(reason wire.DisconnectReason, msg string) {
	t.mu.Lock()
	if t.disconnected {
		t.mu.Unlock()
		return
	}
	t.disconnected = true
	t.mu.Unlock()
	// DISCONNECT goes out after the packet being written, if any; a
	// writer blocked on a peer that does not read would hold it back
	// forever, so give up on the peer after a second.
	timer := time.AfterFunc(time.Second, func() { t.pc.Close() })
	defer timer.Stop()
	m := wire.Disconnect{Reason: reason, Description: msg}
	t.pc.WritePacket(m.Append(nil))
}

// DisconnectReasonFor maps an error of this package to the DISCONNECT
// reason code to send (RFC 4253, Section 11.1), or 0 when none should be
// sent (the peer disconnected, or the connection is already gone).
func DisconnectReasonFor(err error) wire.DisconnectReason {
	var de *wire.DisconnectError
	switch {
	case err == nil, errors.As(err, &de), errors.Is(err, ErrClosed):
		return 0
	case errors.Is(err, ErrNoCommonAlgorithm), errors.Is(err, ErrInvalidPublicValue), errors.Is(err, ErrInvalidGroup):
		return wire.KeyExchangeFailed
	case errors.Is(err, ErrHostKey):
		return wire.HostKeyNotVerifiable
	case errors.Is(err, ErrStrictKex), errors.Is(err, ErrUnexpectedMessage), errors.Is(err, wire.ErrTruncated),
		errors.Is(err, wire.ErrInvalid), errors.Is(err, wire.ErrTrailingData), errors.Is(err, wire.ErrTooLarge),
		errors.Is(err, wire.ErrUnexpectedMessage):
		return wire.ProtocolError
	}
	return 0
}
