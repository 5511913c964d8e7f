package gssapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Flags are GSS-API context flags (RFC 2743, Section 1.2.1; the
// GSS_C_*_FLAG values of RFC 2744, Section 3.9.2).
type Flags uint32

const (
	FlagDelegate     Flags = 1      // credential delegation
	FlagMutual       Flags = 2      // mutual authentication
	FlagReplay       Flags = 4      // replay detection for per-message tokens
	FlagSequence     Flags = 8      // out-of-sequence detection
	FlagConf         Flags = 16     // confidentiality (Wrap with encryption) available
	FlagInteg        Flags = 32     // integrity (MIC, Wrap) available
	FlagAnonymous    Flags = 64     // anonymous initiator
	FlagProtReady    Flags = 128    // per-message protection available
	FlagTransferable Flags = 256    // Export is possible
	FlagDelegPolicy  Flags = 0x8000 // delegate only if the ticket is ok-as-delegate
)

// DefaultFlags are the flags InitOptions requests when Flags is 0, the
// same default as python-gssapi's SecurityContext.
const DefaultFlags = FlagMutual | FlagSequence | FlagReplay

// Delegate reports whether f has FlagDelegate (credentials were (or are to be) delegated).
func (f Flags) Delegate() bool { return f&FlagDelegate != 0 }

// Mutual reports whether f has FlagMutual (mutual authentication).
func (f Flags) Mutual() bool { return f&FlagMutual != 0 }

// Replay reports whether f has FlagReplay (replay detection).
func (f Flags) Replay() bool { return f&FlagReplay != 0 }

// Sequence reports whether f has FlagSequence (out-of-sequence detection).
func (f Flags) Sequence() bool { return f&FlagSequence != 0 }

// Conf reports whether f has FlagConf (confidentiality is available).
func (f Flags) Conf() bool { return f&FlagConf != 0 }

// Integ reports whether f has FlagInteg (integrity is available).
func (f Flags) Integ() bool { return f&FlagInteg != 0 }

// Anonymous reports whether f has FlagAnonymous (the initiator is anonymous).
func (f Flags) Anonymous() bool { return f&FlagAnonymous != 0 }

// ProtReady reports whether f has FlagProtReady (per-message protection is available).
func (f Flags) ProtReady() bool { return f&FlagProtReady != 0 }

// Transferable reports whether f has FlagTransferable (the context can be exported).
func (f Flags) Transferable() bool { return f&FlagTransferable != 0 }

// String returns the set flags in python-gssapi's words, joined by "|".
func (f Flags) String() string {
	names := []string{"deleg", "mutual", "replay", "sequence", "conf", "integ", "anon", "prot_ready", "trans"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if f&FlagDelegPolicy != 0 {
		out = append(out, "deleg_policy")
	}
	return strings.Join(out, "|")
}

// checksumFlags are the flags carried in the authenticator checksum.
const checksumFlags = FlagDelegate | FlagMutual | FlagReplay | FlagSequence | FlagConf | FlagInteg

type ctxState int

// ctxState is where a context is in establishment.
const (
	stateInitial ctxState = iota
	stateWaitAPRep
	stateEstablished
	stateDeleted
	stateFailed
)

func (s ctxState) String() string {
	return [...]string{"initial", "waiting for AP-REP", "established", "deleted", "failed"}[s]
}

// InitOptions are the arguments of GSS_Init_sec_context (RFC 2743,
// Section 2.2.1) besides the target name.
type InitOptions struct {
	Cred            *Credential      // nil: the default initiator credential
	Mech            OID              // "" or MechKerberos5
	Flags           Flags            // requested flags; 0 means DefaultFlags
	Lifetime        time.Duration    // requested lifetime; 0: the ticket's (see NewInitContext)
	ChannelBindings *ChannelBindings // nil: none
	Config          *Config          // nil: KRB5_CONFIG
}

// A Context is a GSS-API security context (RFC 2743, Section 1.1.3),
// initiator or acceptor, for the Kerberos mechanism (RFC 4121). Step it
// until Established; then use the per-message calls. A Context is safe
// for concurrent use; calls are serialized.
type Context struct {
	mu sync.Mutex // guards every field below

	initiator bool
	state     ctxState
	cfg       *Config
	cred      *Credential
	cb        *ChannelBindings
	reqFlags  Flags
	flags     Flags

	initName   *Name // initiator principal
	targetName *Name // acceptor principal

	sessionKey  types.EncryptionKey // ticket session key
	initSubkey  types.EncryptionKey // from the authenticator, if any
	accSubkey   types.EncryptionKey // from the AP-REP, if any
	haveAccKey  bool
	ctime       time.Time // authenticator time, to check the AP-REP
	cusec       int
	expiry      time.Time
	sendSeq     uint64
	recv        *seqWindow
	sendKey     *perMessageKey    // the key this side signs and seals with
	recvKeys    [2]*perMessageKey // peer's keys: [0] initiator subkey or session key, [1] acceptor subkey
	delegated   *Credential
	established time.Time
	skew        time.Duration // acceptor: allowed clock skew, 0 for krb5.conf's
	lifetime    time.Duration // initiator: requested lifetime, 0 for the ticket's
}

// NewInitContext returns an initiator context for target (a host-based
// service or principal name). The first Step (with nil input) produces
// the AP-REQ token. A non-zero Lifetime asks the KDC for a service
// ticket that ends no later (as MIT passes time_req) and ends the
// context then at the latest; a ticket already cached is reused. Errors:
// ErrBadMech, ErrBadName.
func NewInitContext(target *Name, o *InitOptions) (*Context, error) {
	if o == nil {
		o = &InitOptions{}
	}
	if o.Mech != "" && o.Mech != MechKerberos5 {
		return nil, newError(StatusBadMech, 0, "mechanism %s not supported", o.Mech)
	}
	if target == nil {
		return nil, newError(StatusBadName, 0, "no target name")
	}
	t, err := target.CanonicalizeConfig(o.Config, MechKerberos5)
	if err != nil {
		return nil, err
	}
	f := o.Flags
	if f == 0 {
		f = DefaultFlags
	}
	return &Context{initiator: true, cfg: o.Config, cred: o.Cred, cb: o.ChannelBindings, reqFlags: f, targetName: t, lifetime: o.Lifetime}, nil
}

// AcceptOptions are the arguments of GSS_Accept_sec_context (RFC 2743,
// Section 2.2.2).
type AcceptOptions struct {
	// Cred is the acceptor credential; nil means the default keytab
	// (KRB5_KTNAME) accepting for any principal in it. A credential
	// acquired with a Name accepts only that principal (strict).
	Cred            *Credential
	ChannelBindings *ChannelBindings
	Config          *Config
	// MaxClockSkew is the allowed clock difference; 0 means the
	// krb5.conf clockskew (default 5 minutes).
	MaxClockSkew time.Duration
}

// NewAcceptContext returns an acceptor context.
func NewAcceptContext(o *AcceptOptions) (*Context, error) {
	if o == nil {
		o = &AcceptOptions{}
	}
	if o.Cred != nil && !o.Cred.canAccept() {
		return nil, newError(StatusNoCred, 0, "credential is not usable for accepting")
	}
	return &Context{cfg: o.Config, cred: o.Cred, cb: o.ChannelBindings, skew: o.MaxClockSkew}, nil
}

// Step processes the peer's token and returns the token to send, if any
// (GSS_Init_sec_context / GSS_Accept_sec_context). Continue-needed is
// not an error: it is the state where Established returns false after a
// successful Step. A failed Step leaves the context unusable; an
// acceptor may then still return a token (a KRB-ERROR) that should be
// sent to the initiator, as RFC 2743, Section 2.2.2 allows.
func (c *Context) Step(ctx context.Context, in []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []byte
	var err error
	switch {
	case c.state == stateDeleted:
		return nil, newError(StatusNoContext, 0, "context deleted")
	case c.state == stateFailed:
		return nil, newError(StatusNoContext, 0, "context failed earlier")
	case c.state == stateEstablished:
		return nil, newError(StatusFailure, 0, "context already established")
	case c.initiator && c.state == stateInitial:
		if len(in) != 0 {
			return nil, newError(StatusDefectiveToken, 0, "unexpected input token on the first initiator step")
		}
		out, err = c.sendAPReq(ctx)
	case c.initiator:
		err = c.readAPRep(in)
	default:
		out, err = c.acceptAPReq(ctx, in)
	}
	if err != nil {
		c.state = stateFailed
		if c.initiator {
			out = nil
		}
		return out, err
	}
	return out, nil
}

// Established reports whether the context is complete.
func (c *Context) Established() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateEstablished
}

// sendAPReq builds the initial token: an AP-REQ with the GSS checksum
// (RFC 4121, Section 4.1).
func (c *Context) sendAPReq(ctx context.Context) ([]byte, error) {
	if c.cred == nil {
		cred, err := AcquireCredential(ctx, AcquireOptions{Usage: UsageInitiate, Config: c.cfg})
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	if !c.cred.canInitiate() {
		return nil, newError(StatusNoCred, 0, "credential is not usable for initiating")
	}
	c.initName = c.cred.name
	var till time.Time
	if c.lifetime > 0 && c.lifetime != Indefinite {
		till = time.Now().Add(c.lifetime)
	}
	st, err := c.cred.serviceTicket(ctx, c.targetName, till)
	if err != nil {
		return nil, err
	}
	// The context owns a copy: Delete clears it, and the ticket (with its
	// key) stays cached in the Credential for the next context.
	c.sessionKey = st.key
	c.sessionKey.KeyValue = bytes.Clone(st.key.KeyValue)
	c.expiry = st.end
	if !till.IsZero() && till.Before(c.expiry) {
		c.expiry = till
	}
	et, err := crypto.GetEtype(st.key.KeyType)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "session key")
	}
	c.initSubkey, err = generateKey(et)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "generating subkey")
	}
	c.sendSeq = randomSeq()

	c.flags = FlagConf | FlagInteg | FlagTransferable | c.reqFlags&(FlagMutual|FlagReplay|FlagSequence)
	ck := gssChecksum{Bnd: c.cb.hash()}
	if c.reqFlags&(FlagDelegate|FlagDelegPolicy) != 0 {
		okAsDelegate := types.IsFlagSet(&st.flags, flags.OKAsDelegate)
		if c.reqFlags&FlagDelegate != 0 || okAsDelegate {
			// As MIT does, a TGT that cannot be forwarded only drops
			// the flag.
			if kc, err := c.delegation(ctx); err == nil {
				ck.Deleg = kc
				c.flags |= FlagDelegate
			}
		}
	}
	ck.Flags = uint32(c.flags & checksumFlags)

	auth, err := types.NewAuthenticator(c.initName.realm, c.initName.principal)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "building authenticator")
	}
	auth.Cksum = types.Checksum{CksumType: gssChecksumType, Checksum: ck.marshal()}
	auth.SubKey = c.initSubkey
	auth.SeqNumber = int64(c.sendSeq)
	auth.CTime = auth.CTime.Truncate(time.Second)
	c.ctime, c.cusec = auth.CTime, auth.Cusec
	ap, err := messages.NewAPReq(st.tkt, st.key, auth)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "building AP-REQ")
	}
	if c.flags&FlagMutual != 0 {
		types.SetFlag(&ap.APOptions, flags.APOptionMutualRequired)
	}
	b, err := ap.Marshal()
	if err != nil {
		return nil, wrapError(StatusFailure, err, "encoding AP-REQ")
	}
	out := wrapInitialToken(tokAPReq, b)
	if c.flags&FlagMutual != 0 {
		c.state = stateWaitAPRep
		return out, nil
	}
	// Without an AP-REP the acceptor's sequence numbers start at ours,
	// as MIT's do (there is no AP-REP to carry its own).
	if err := c.establish(c.sendSeq); err != nil {
		return nil, err
	}
	return out, nil
}

// delegation returns a KRB-CRED with a forwarded TGT, encrypted in the
// session key (RFC 4121, Section 4.1.1.1).
func (c *Context) delegation(ctx context.Context) ([]byte, error) {
	rep, err := c.cred.forwardedTGT(ctx)
	if err != nil {
		return nil, err
	}
	d := rep.DecryptedEncPart
	info := krbCredInfo{
		Key:       d.Key,
		PRealm:    c.initName.realm,
		PName:     c.initName.principal,
		Flags:     d.Flags,
		AuthTime:  d.AuthTime.UTC(),
		StartTime: d.StartTime.UTC(),
		EndTime:   d.EndTime.UTC(),
		RenewTill: d.RenewTill.UTC(),
		SRealm:    rep.Ticket.Realm,
		SName:     rep.Ticket.SName,
	}
	return marshalKRBCred(c.sessionKey, rep.Ticket, info)
}

// readAPRep verifies the acceptor's AP-REP (mutual authentication).
func (c *Context) readAPRep(in []byte) error {
	_, tokID, inner, err := ParseInitialToken(in)
	if err != nil {
		return err
	}
	switch tokID {
	case tokAPRep:
	case tokKRBError:
		return krbErrorToken(inner)
	default:
		return newError(StatusDefectiveToken, 0, "TOK_ID %04x where an AP-REP was expected", tokID)
	}
	part, err := parseAPRep(inner, c.sessionKey)
	if err != nil {
		return err
	}
	if !part.CTime.Equal(c.ctime) || part.Cusec != c.cusec {
		return newError(StatusFailure, krbAPErrModified, "AP-REP time does not match the authenticator")
	}
	if part.Subkey.KeyType != 0 {
		if _, err := newPerMessageKey(part.Subkey); err != nil {
			return err
		}
		c.accSubkey, c.haveAccKey = part.Subkey, true
	}
	// Sequence numbers are 32-bit in the AP-REP and may be encoded as
	// negative ASN.1 INTEGERs (RFC 4121, Section 4.2.6).
	return c.establish(uint64(part.SeqNumber) & 0xffffffff)
}

// krbErrorToken turns a KRB-ERROR token into an Error.
func krbErrorToken(inner []byte) error {
	var ke messages.KRBError
	if err := safeCall(func() error { return ke.Unmarshal(inner) }); err != nil {
		return newError(StatusDefectiveToken, 0, "decoding KRB-ERROR token: %v", err)
	}
	return newError(StatusFailure, ke.ErrorCode, "peer sent KRB-ERROR %d: %s", ke.ErrorCode, ke.EText)
}

// establish completes the context: chooses the per-message key (RFC
// 4121, Section 2) and sets up replay detection from the peer's first
// sequence number.
func (c *Context) establish(peerSeq uint64) error {
	key := c.sessionKey
	if c.initSubkey.KeyType != 0 {
		key = c.initSubkey
	}
	if c.haveAccKey {
		key = c.accSubkey
	}
	k, err := newPerMessageKey(key)
	if err != nil {
		return err
	}
	c.sendKey = k
	c.recv = newSeqWindow(peerSeq, c.flags&FlagReplay != 0, c.flags&FlagSequence != 0, true)
	c.flags |= FlagProtReady
	c.state = stateEstablished
	c.established = time.Now()
	return nil
}

func randomSeq() uint64 {
	var b [4]byte
	rand.Read(b[:])
	return uint64(binary.BigEndian.Uint32(b[:]) & 0x3fffffff)
}

// Flags returns the negotiated flags (RFC 2743, ret_flags). Before
// establishment they are the flags expected so far.
func (c *Context) Flags() Flags {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flags
}

// Mech returns MechKerberos5.
func (c *Context) Mech() OID { return MechKerberos5 }

// LocallyInitiated reports whether this side is the initiator.
func (c *Context) LocallyInitiated() bool { return c.initiator }

// InitiatorName returns the initiator's principal (nil until known).
func (c *Context) InitiatorName() *Name {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.initName
}

// TargetName returns the acceptor's principal (nil until known).
func (c *Context) TargetName() *Name {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.targetName
}

// PeerName returns the other side's principal: the target for an
// initiator, the client for an acceptor (src_name).
func (c *Context) PeerName() *Name {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initiator {
		return c.targetName
	}
	return c.initName
}

// Lifetime returns the remaining context lifetime: the time until the
// service ticket expires. It is 0 for an expired or unestablished
// context.
func (c *Context) Lifetime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expiry.IsZero() {
		return 0
	}
	d := time.Until(c.expiry)
	if d < 0 {
		return 0
	}
	return d
}

// DelegatedCredential returns the credential the initiator delegated
// (delegated_cred_handle), or nil. It can initiate contexts and be
// written to a ccache with WriteCCache.
func (c *Context) DelegatedCredential() *Credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delegated
}

// Delete deletes the context (GSS_Delete_sec_context, RFC 2743, Section
// 2.2.3): keys are cleared and every later call fails with
// ErrNoContext. RFC 4121 has no context-deletion token, so none is
// returned. Delete is idempotent.
func (c *Context) Delete() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.sessionKey.KeyValue)
	clear(c.initSubkey.KeyValue)
	clear(c.accSubkey.KeyValue)
	c.sendKey = nil
	c.recvKeys = [2]*perMessageKey{}
	c.state = stateDeleted
	return nil
}

// ProcessContextToken processes a token from the peer's context
// functions outside establishment (GSS_Process_context_token, RFC 2743,
// Section 2.2.4). For Kerberos this is a KRB-ERROR token, which is
// returned as an *Error and deletes the context.
func (c *Context) ProcessContextToken(tok []byte) error {
	_, tokID, inner, err := ParseInitialToken(tok)
	if err != nil {
		return err
	}
	if tokID != tokKRBError {
		return newError(StatusDefectiveToken, 0, "TOK_ID %04x is not a context token", tokID)
	}
	err = krbErrorToken(inner)
	c.Delete()
	return err
}

func (c *Context) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	role := "acceptor"
	if c.initiator {
		role = "initiator"
	}
	return fmt.Sprintf("gssapi.Context(%s, %v, %v)", role, c.state, c.flags)
}
