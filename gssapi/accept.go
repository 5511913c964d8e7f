package gssapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// acceptAPReq verifies the initiator's AP-REQ against the keytab and
// builds the AP-REP when mutual authentication was requested (RFC 4121,
// Section 4.1; RFC 4120, Sections 3.2.3 and 3.2.4).
//
// When the AP-REQ decodes but is refused and the initiator asked for
// mutual authentication, the returned token is a KRB-ERROR for the
// initiator (RFC 4121, Section 4.1), returned together with the error,
// as MIT does.
func (c *Context) acceptAPReq(ctx context.Context, in []byte) (out []byte, err error) {
	_, tokID, inner, err := ParseInitialToken(in)
	if err != nil {
		return nil, err
	}
	if tokID != tokAPReq {
		return nil, newError(StatusDefectiveToken, 0, "TOK_ID %04x where an AP-REQ was expected", tokID)
	}
	if c.cred == nil {
		cred, err := AcquireCredential(ctx, AcquireOptions{Usage: UsageAccept, Config: c.cfg})
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	if !c.cred.canAccept() || c.cred.keytab == nil {
		return nil, newError(StatusNoCred, 0, "credential is not usable for accepting")
	}
	k, err := c.cfg.krb5()
	if err != nil {
		return nil, err
	}
	var ap messages.APReq
	if err := safeCall(func() error { return ap.Unmarshal(inner) }); err != nil {
		return nil, wrapError(StatusDefectiveToken, err, "decoding AP-REQ")
	}
	if len(ap.Ticket.SName.NameString) == 0 {
		return nil, newError(StatusDefectiveToken, 0, "AP-REQ ticket without a server name")
	}
	if types.IsFlagSet(&ap.APOptions, flags.APOptionMutualRequired) {
		defer func() {
			if err != nil && out == nil {
				out = errorToken(&ap, err)
			}
		}()
	}
	if types.IsFlagSet(&ap.APOptions, flags.APOptionUseSessionKey) {
		return nil, newError(StatusFailure, 0, "user-to-user AP-REQ not supported")
	}
	target := principalName(ap.Ticket.SName, ap.Ticket.Realm)
	if an := c.cred.acceptName; an != nil && !sameMN(an, ap.Ticket.SName, ap.Ticket.Realm) {
		return nil, newError(StatusNoCred, krbAPErrNotUs, "ticket is for %s, credential is for %s", target, an)
	}
	if !keytabHas(c.cred.keytab, target) {
		return nil, newError(StatusNoCred, krbAPErrNoKey, "no key for %s in the keytab", target)
	}
	skew := k.LibDefaults.Clockskew
	if c.skew > 0 {
		skew = c.skew
	}
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	var ok bool
	err = safeCall(func() error {
		var e error
		ok, e = ap.Verify(c.cred.keytab, skew, types.HostAddress{}, nil)
		return e
	})
	if err != nil || !ok {
		return nil, apReqError(err)
	}
	tkt := ap.Ticket.DecryptedEncPart
	auth := ap.Authenticator
	if auth.Cksum.CksumType != gssChecksumType {
		return nil, newError(StatusDefectiveToken, krbAPErrInappCksum, "authenticator checksum type %d, want 0x8003", auth.Cksum.CksumType)
	}
	ck, err := parseGSSChecksum(auth.Cksum.Checksum)
	if err != nil {
		return nil, err
	}
	if c.cb != nil && ck.Bnd != [16]byte{} && ck.Bnd != c.cb.hash() {
		return nil, newError(StatusBadBindings, 0, "channel bindings do not match")
	}
	if replays.seen(&ap, skew) {
		e := newError(StatusFailure|StatusDuplicateToken, krbAPErrRepeat, "replayed AP-REQ")
		return nil, e
	}

	c.sessionKey = tkt.Key
	c.initSubkey = auth.SubKey
	c.initName = principalName(auth.CName, auth.CRealm)
	c.targetName = target
	c.expiry = tkt.EndTime
	// Mutual authentication is what the AP options say, whatever the
	// checksum flags claim (RFC 4120, Section 5.5.1).
	c.flags = FlagTransferable | Flags(ck.Flags)&checksumFlags&^FlagMutual
	c.ctime, c.cusec = auth.CTime, auth.Cusec
	if ck.Deleg != nil && c.flags&FlagDelegate != 0 {
		d, err := c.delegatedCredential(ck.Deleg)
		if err != nil {
			return nil, err
		}
		c.delegated = d
	} else {
		c.flags &^= FlagDelegate
	}
	peerSeq := uint64(auth.SeqNumber) & 0xffffffff
	if types.IsFlagSet(&ap.APOptions, flags.APOptionMutualRequired) {
		c.flags |= FlagMutual
		baseKey := c.sessionKey
		if c.initSubkey.KeyType != 0 {
			baseKey = c.initSubkey
		}
		et, err := crypto.GetEtype(baseKey.KeyType)
		if err != nil {
			return nil, wrapError(StatusFailure, err, "subkey type")
		}
		c.accSubkey, err = generateKey(et)
		if err != nil {
			return nil, wrapError(StatusFailure, err, "generating acceptor subkey")
		}
		c.haveAccKey = true
		c.sendSeq = randomSeq()
		rep, err := marshalAPRep(c.sessionKey, auth.CTime, auth.Cusec, c.accSubkey, int64(c.sendSeq))
		if err != nil {
			return nil, wrapError(StatusFailure, err, "building AP-REP")
		}
		out = wrapInitialToken(tokAPRep, rep)
	} else {
		c.sendSeq = peerSeq
	}
	if err := c.establish(peerSeq); err != nil {
		return nil, err
	}
	return out, nil
}

// errorToken returns a KRB-ERROR token (TOK_ID 03 00) reporting err.
func errorToken(ap *messages.APReq, err error) []byte {
	code := int32(krbErrGeneric)
	var ge *Error
	if errors.As(err, &ge) && ge.KrbCode != 0 {
		code = ge.KrbCode
	}
	ke := messages.NewKRBError(ap.Ticket.SName, ap.Ticket.Realm, code, "")
	b, merr := ke.Marshal()
	if merr != nil {
		return nil
	}
	return wrapInitialToken(tokKRBError, b)
}

// apReqError maps a gokrb5 AP-REQ verification error to an Error.
func apReqError(err error) error {
	if err == nil {
		return newError(StatusFailure, 0, "AP-REQ not valid")
	}
	var ke messages.KRBError
	if errors.As(err, &ke) {
		major := StatusFailure
		switch ke.ErrorCode {
		case krbAPErrTktExpired:
			major = StatusCredentialsExpired
		case krbAPErrBadIntegrity, krbAPErrModified:
			major = StatusBadSig
		}
		return wrapError(major, err, "verifying AP-REQ")
	}
	if strings.Contains(err.Error(), "decrypt") {
		return newError(StatusBadSig, krbAPErrBadIntegrity, "verifying AP-REQ: %v", err)
	}
	return wrapError(StatusFailure, err, "verifying AP-REQ")
}

// delegatedCredential extracts the forwarded TGT from the KRB-CRED in
// the authenticator checksum (RFC 4121, Section 4.1.1.1).
func (c *Context) delegatedCredential(b []byte) (*Credential, error) {
	tkts, infos, err := parseKRBCred(b, c.sessionKey, c.initSubkey)
	if err != nil {
		return nil, err
	}
	info := infos[0]
	name := c.initName
	if info.PRealm != "" && len(info.PName.NameString) > 0 {
		name = principalName(info.PName, info.PRealm)
	}
	d := &Credential{
		usage:    UsageInitiate,
		name:     name,
		cfg:      c.cfg,
		tgt:      tkts[0],
		tgtKey:   info.Key,
		tgtFlags: info.Flags,
		authTime: info.AuthTime,
		start:    info.StartTime,
		end:      info.EndTime,
		renew:    info.RenewTill,
		tickets:  map[string]serviceTicket{},
	}
	if d.start.IsZero() {
		d.start = d.authTime
	}
	return d, nil
}

// replayCache remembers authenticators for twice the clock skew (RFC
// 4120, Section 3.2.3). It is shared by all acceptor contexts of the
// process, like MIT's default replay cache.
type replayCache struct {
	mu      sync.Mutex
	entries map[[32]byte]time.Time // authenticator digest -> expiry
	lastGC  time.Time
}

var replays = &replayCache{entries: map[[32]byte]time.Time{}}

// maxReplayEntries caps the cache; beyond it the oldest half goes.
const maxReplayEntries = 1 << 16

func (r *replayCache) seen(ap *messages.APReq, skew time.Duration) bool {
	h := sha256.New()
	h.Write([]byte(principalString(ap.Authenticator.CName, ap.Authenticator.CRealm)))
	h.Write([]byte{0})
	h.Write([]byte(principalString(ap.Ticket.SName, ap.Ticket.Realm)))
	h.Write([]byte{0})
	h.Write(ap.EncryptedAuthenticator.Cipher)
	var key [32]byte
	h.Sum(key[:0])
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.lastGC) > time.Minute || len(r.entries) > maxReplayEntries {
		for k, exp := range r.entries {
			if now.After(exp) || len(r.entries) > maxReplayEntries {
				delete(r.entries, k)
			}
		}
		r.lastGC = now
	}
	if exp, ok := r.entries[key]; ok && now.Before(exp) {
		return true
	}
	r.entries[key] = now.Add(2 * skew)
	return false
}
