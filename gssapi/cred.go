package gssapi

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Usage says what a credential may be used for (RFC 2743, Section
// 2.1.1, cred_usage).
type Usage int

// Credential usages (GSS_C_BOTH, GSS_C_INITIATE, GSS_C_ACCEPT).
const (
	UsageBoth Usage = iota
	UsageInitiate
	UsageAccept
)

func (u Usage) String() string {
	switch u {
	case UsageBoth:
		return "both"
	case UsageInitiate:
		return "initiate"
	case UsageAccept:
		return "accept"
	}
	return fmt.Sprintf("Usage(%d)", int(u))
}

// Indefinite is the lifetime of a credential or context that does not
// expire (GSS_C_INDEFINITE), such as an acceptor credential from a
// keytab.
const Indefinite = time.Duration(math.MaxInt64)

// A Store names where credentials come from, like the credential store
// of gss_acquire_cred_from and python-gssapi's store argument. Empty
// fields fall back to the environment: KRB5CCNAME, KRB5_KTNAME,
// KRB5_CLIENT_KTNAME, then krb5.conf's defaults. FILE: caches, MIT's
// DIR: collections (the cache of the desired name, else the primary
// one) and FILE: keytabs are supported.
type Store struct {
	CCache       string // "FILE:/path", "/path", "DIR:/dir" or "DIR::/dir/tktXXX"
	Keytab       string // acceptor keytab
	ClientKeytab string // initiator keytab, used when the cache has no TGT
}

// AcquireOptions are the arguments of AcquireCredential
// (GSS_Acquire_cred, RFC 2743, Section 2.1.1). The zero value acquires
// the default credential for both initiating and accepting.
type AcquireOptions struct {
	Name     *Name         // desired name; nil means the default principal (initiator) or any keytab entry (acceptor)
	Lifetime time.Duration // requested lifetime for a new TGT (password or keytab); 0 means the krb5.conf default
	Mechs    OIDSet        // nil or containing MechKerberos5
	Usage    Usage
	Store    Store
	Password string // if set, get a TGT for Name with this password (gss_acquire_cred_with_password)
	Config   *Config
}

// A Credential is a GSS-API credential (RFC 2743, Section 1.1.1) for the
// Kerberos mechanism. An initiator credential holds a TGT; an acceptor
// credential holds a keytab. A Credential is safe for concurrent use.
type Credential struct {
	usage Usage
	name  *Name // nil for an acceptor accepting any principal
	cfg   *Config

	// initiator part
	tgt      messages.Ticket
	tgtKey   types.EncryptionKey
	tgtFlags asn1.BitString
	authTime time.Time
	start    time.Time
	end      time.Time
	renew    time.Time

	mu      sync.Mutex
	tickets map[string]serviceTicket // service principal string -> ticket

	// acceptor part
	keytab     *keytab.Keytab
	acceptName *Name // the desired name: accept only this principal; nil: any in the keytab
}

type serviceTicket struct {
	tkt   messages.Ticket
	key   types.EncryptionKey
	flags asn1.BitString
	end   time.Time
}

// AcquireCredential acquires a credential (GSS_Acquire_cred, RFC 2743,
// Section 2.1.1). For initiating it reads the TGT from the FILE: cache
// (Store.CCache, KRB5CCNAME, default), or gets one from the KDC with
// Password or with the client keytab (KRB5_CLIENT_KTNAME). For
// accepting it loads the keytab (Store.Keytab, KRB5_KTNAME,
// default_keytab_name); a non-nil Name restricts it to that principal.
// Errors: ErrBadMech, ErrBadName, ErrNoCred, ErrCredentialsExpired.
func AcquireCredential(ctx context.Context, o AcquireOptions) (*Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrapError(StatusFailure, err, "acquiring credential")
	}
	if len(o.Mechs) > 0 && !o.Mechs.Contains(MechKerberos5) {
		return nil, newError(StatusBadMech, 0, "none of the requested mechanisms is supported")
	}
	k, err := o.Config.krb5()
	if err != nil {
		return nil, err
	}
	var name *Name
	if o.Name != nil {
		name, err = o.Name.CanonicalizeConfig(o.Config, MechKerberos5)
		if err != nil {
			return nil, err
		}
	}
	c := &Credential{usage: o.Usage, name: name, cfg: o.Config, tickets: map[string]serviceTicket{}}
	if o.Usage == UsageBoth || o.Usage == UsageInitiate {
		if err := c.acquireInitiator(ctx, o); err != nil {
			return nil, err
		}
	}
	if o.Usage == UsageBoth || o.Usage == UsageAccept {
		if err := c.acquireAcceptor(o, k.LibDefaults.DefaultKeytabName); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Credential) acquireInitiator(ctx context.Context, o AcquireOptions) error {
	k, _ := o.Config.krb5()
	if o.Password != "" {
		if c.name == nil {
			return newError(StatusBadName, 0, "a password credential needs a name")
		}
		cl := client.NewWithPassword(strings.Join(c.name.principal.NameString, "/"), c.name.realm, o.Password, k, client.DisablePAFXFAST(true))
		return c.asExchange(ctx, cl, o.Lifetime)
	}
	ccErr := c.loadCCache(o.Store.CCache)
	if ccErr == nil {
		return nil
	}
	// Fall back to the client keytab, as MIT does.
	ktName := o.Store.ClientKeytab
	if ktName == "" {
		ktName = os.Getenv("KRB5_CLIENT_KTNAME")
	}
	if ktName == "" {
		ktName = k.LibDefaults.DefaultClientKeytabName
	}
	kt, err := loadKeytab(ktName)
	if err != nil || c.name == nil {
		return ccErr
	}
	if _, _, err := kt.GetEncryptionKey(c.name.principal, c.name.realm, 0, k.LibDefaults.DefaultTktEnctypeIDs[0]); err != nil && !keytabHas(kt, c.name) {
		return ccErr
	}
	cl := client.NewWithKeytab(strings.Join(c.name.principal.NameString, "/"), c.name.realm, kt, k, client.DisablePAFXFAST(true))
	return c.asExchange(ctx, cl, o.Lifetime)
}

func keytabHas(kt *keytab.Keytab, n *Name) bool {
	for _, e := range kt.Entries {
		if e.Principal.Realm == n.realm && strings.Join(e.Principal.Components, "/") == strings.Join(n.principal.NameString, "/") {
			return true
		}
	}
	return false
}

// asExchange gets a TGT from the KDC (RFC 4120, Section 3.1).
func (c *Credential) asExchange(ctx context.Context, cl *client.Client, lifetime time.Duration) error {
	k := cl.Config
	req, err := messages.NewASReqForTGT(c.name.realm, k, c.name.principal)
	if err != nil {
		return wrapError(StatusFailure, err, "building AS-REQ")
	}
	if lifetime > 0 && lifetime != Indefinite {
		req.ReqBody.Till = time.Now().UTC().Add(lifetime)
	}
	rep, err := asExchangeTCP(ctx, cl, c.name.realm, req)
	if err != nil {
		return wrapError(StatusNoCred, err, "getting a TGT for %s", c.name)
	}
	c.tgt = rep.Ticket
	c.tgtKey = rep.DecryptedEncPart.Key
	c.tgtFlags = rep.DecryptedEncPart.Flags
	c.authTime = rep.DecryptedEncPart.AuthTime
	c.start = rep.DecryptedEncPart.StartTime
	c.end = rep.DecryptedEncPart.EndTime
	c.renew = rep.DecryptedEncPart.RenewTill
	return nil
}

// ccachePath resolves a cache name to a file path: name, else
// KRB5CCNAME, else def.
func ccachePath(name, def string) (string, error) {
	if name == "" {
		name = os.Getenv("KRB5CCNAME")
	}
	if name == "" {
		name = def
	}
	typ, rest, ok := strings.Cut(name, ":")
	if !ok {
		return name, nil
	}
	if typ != "FILE" {
		return "", newError(StatusUnavailable, 0, "credential cache type %s not supported (only FILE:)", typ)
	}
	return rest, nil
}

func (c *Credential) loadCCache(name string) error {
	if name == "" {
		name = os.Getenv("KRB5CCNAME")
	}
	if name == "" {
		name = c.cfg.defaultCCache()
	}
	if dir, ok := strings.CutPrefix(name, "DIR:"); ok {
		return c.loadCollection(dir)
	}
	path, err := ccachePath(name, "")
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return wrapError(StatusNoCred, err, "reading credential cache %s", path)
	}
	return c.useCCache(b, path)
}

// loadCollection reads a cache of MIT's DIR: collection type (as kinit
// makes them with KRB5CCNAME=DIR:dir): "DIR::path" is the one file at
// path; "DIR:dir" is the cache of the desired name among the dir's
// "tkt*" files, or, with no desired name, the primary one (the file
// named in dir/primary, "tkt" when it is absent). A collection without a
// cache for the desired name is ErrNoCred.
func (c *Credential) loadCollection(dir string) error {
	if file, ok := strings.CutPrefix(dir, ":"); ok {
		return c.loadFile(file)
	}
	if c.name == nil {
		primary := "tkt"
		if b, err := os.ReadFile(filepath.Join(dir, "primary")); err == nil {
			if p := strings.TrimSpace(string(b)); p != "" && !strings.ContainsRune(p, '/') {
				primary = p
			}
		}
		return c.loadFile(filepath.Join(dir, primary))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return wrapError(StatusNoCred, err, "reading credential cache collection %s", dir)
	}
	var firstErr error
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "tkt") || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil || len(b) > maxCredFile {
			continue
		}
		dpn, drealm, _, err := parseCCache(b)
		if err != nil || !sameMN(c.name, dpn, drealm) {
			continue
		}
		if err := c.useCCache(b, path); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return nil
	}
	if firstErr != nil {
		return firstErr
	}
	return newError(StatusNoCred, 0, "no credential cache for %s in collection %s", c.name, dir)
}

func (c *Credential) loadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return wrapError(StatusNoCred, err, "reading credential cache %s", path)
	}
	return c.useCCache(b, path)
}

// maxCredFile caps the ccache and keytab files this package parses.
const maxCredFile = 16 << 20

// useCCache takes the TGT and service tickets from a version 3 or 4
// ccache (source names it in errors).
func (c *Credential) useCCache(b []byte, source string) error {
	if len(b) > maxCredFile {
		return newError(StatusDefectiveCredential, 0, "credential cache %s too large", source)
	}
	dpn, drealm, entries, err := parseCCache(b)
	if err != nil {
		return wrapError(StatusDefectiveCredential, err, "parsing credential cache %s", source)
	}
	if len(dpn.NameString) == 0 {
		return newError(StatusDefectiveCredential, 0, "credential cache %s has no default principal", source)
	}
	client := principalName(dpn, drealm)
	if c.name != nil && !sameMN(c.name, client.principal, client.realm) {
		return newError(StatusNoCred, 0, "credential cache %s holds %s, not %s", source, client, c.name)
	}
	c.name = client
	tgtName := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", client.realm}}
	now := time.Now()
	found := false
	for _, e := range entries {
		var tkt messages.Ticket
		if err := safeCall(func() error { return tkt.Unmarshal(e.ticket) }); err != nil {
			continue
		}
		if e.server.Equal(tgtName) && e.srealm == client.realm {
			c.tgt, c.tgtKey, c.tgtFlags = tkt, e.key, e.flags
			c.authTime, c.start, c.end, c.renew = e.authTime, e.startTime, e.endTime, e.renewTill
			found = true
			continue
		}
		if e.endTime.After(now) {
			c.tickets[principalString(e.server, e.srealm)] = serviceTicket{tkt, e.key, e.flags, e.endTime}
		}
	}
	if !found {
		return newError(StatusNoCred, 0, "no TGT for %s in %s", client, source)
	}
	if !c.end.After(now) {
		return newError(StatusCredentialsExpired, krbAPErrTktExpired, "TGT in %s expired at %v", source, c.end)
	}
	return nil
}

func (c *Credential) acquireAcceptor(o AcquireOptions, def string) error {
	name := o.Store.Keytab
	if name == "" {
		name = os.Getenv("KRB5_KTNAME")
	}
	if name == "" {
		name = def
	}
	kt, err := loadKeytab(name)
	if err != nil {
		return err
	}
	if o.Name != nil {
		an, err := o.Name.CanonicalizeConfig(o.Config, MechKerberos5)
		if err != nil {
			return err
		}
		if !keytabHas(kt, an) {
			return newError(StatusNoCred, krbAPErrNoKey, "keytab %s has no key for %s", name, an)
		}
		c.acceptName = an
		if c.usage == UsageAccept {
			c.name = an
		}
	}
	c.keytab = kt
	return nil
}

func loadKeytab(name string) (*keytab.Keytab, error) {
	if name == "" {
		return nil, newError(StatusNoCred, 0, "no keytab")
	}
	typ, rest, ok := strings.Cut(name, ":")
	if ok && len(typ) > 1 { // not a Windows drive letter
		if typ != "FILE" && typ != "WRFILE" {
			return nil, newError(StatusUnavailable, 0, "keytab type %s not supported (only FILE:)", typ)
		}
		name = rest
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, wrapError(StatusNoCred, err, "reading keytab %s", name)
	}
	return parseKeytab(b, name)
}

func parseKeytab(b []byte, source string) (*keytab.Keytab, error) {
	if len(b) > maxCredFile {
		return nil, newError(StatusDefectiveCredential, 0, "keytab %s too large", source)
	}
	kt := keytab.New()
	if err := safeCall(func() error { return kt.Unmarshal(b) }); err != nil {
		return nil, wrapError(StatusNoCred, err, "parsing keytab %s", source)
	}
	return kt, nil
}

// Name returns the credential's principal, or nil for an acceptor
// credential that accepts for any principal in its keytab.
func (c *Credential) Name() *Name { return c.name }

// Usage returns what the credential may be used for.
func (c *Credential) Usage() Usage { return c.usage }

// Mechanisms returns the credential's mechanisms: always MechKerberos5.
func (c *Credential) Mechanisms() OIDSet { return OIDSet{MechKerberos5} }

// Lifetime returns the remaining lifetime of the initiator part (the
// TGT), or Indefinite for an acceptor-only credential. It is 0 once the
// TGT has expired.
func (c *Credential) Lifetime() time.Duration {
	if c.usage == UsageAccept {
		return Indefinite
	}
	d := time.Until(c.end)
	if d < 0 {
		return 0
	}
	return d
}

// Expiry returns the end time of the TGT (zero for acceptor-only).
func (c *Credential) Expiry() time.Time { return c.end }

func (c *Credential) canInitiate() bool { return c.usage == UsageBoth || c.usage == UsageInitiate }
func (c *Credential) canAccept() bool   { return c.usage == UsageBoth || c.usage == UsageAccept }
