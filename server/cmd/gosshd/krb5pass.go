package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/server"
	"github.com/sshstack/sshstack/userauth"
	"github.com/sshstack/sshstack/userauth/gssauth"
)

// KerberosAuthentication (sshd_config(5)): the password of a
// "password" request is checked against the KDC, as sshd's
// auth_krb5_password: a TGT for user@default_realm is obtained with it
// (AS exchange), then verified by getting a service ticket for
// host/<hostname> with that TGT and accepting it with the key of the
// keytab (KRB5_KTNAME or krb5.conf's default_keytab_name), so that a
// forged KDC answer cannot log anyone in; the principal must then be
// allowed to log in as the user (~/.k5login or user@default_realm, as
// krb5_kuserok). With KerberosOrLocalPasswd yes (the default) a failure
// falls back to the local password check (shadow or PAM), with no the
// password is refused.

// errKerberosPassword wraps the reason a Kerberos password check failed.
var errKerberosPassword = errors.New("Kerberos password authentication failed")

// krb5Timeout bounds one Kerberos password check (KDC round trips).
const krb5Timeout = 30 * time.Second

// krb5Hostname is the host of the verifying service principal; tests
// replace it.
var krb5Hostname = os.Hostname

func (p *policy) kerberosPassword(ctx context.Context, a *account, pw string) (*userauth.Permissions, error) {
	ctx, cancel := context.WithTimeout(ctx, krb5Timeout)
	defer cancel()
	fail := func(what string, err error) error { return fmt.Errorf("%w: %s: %v", errKerberosPassword, what, err) }
	name, err := gssapi.NewName(a.Name, gssapi.NameUser)
	if err != nil {
		return nil, fail("user name", err)
	}
	tgt, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: name, Usage: gssapi.UsageInitiate, Password: pw})
	if err != nil {
		return nil, fail("getting a TGT", err)
	}
	// krb5_verify_init_creds: a ticket for host/<hostname>, accepted
	// with the keytab. Unlike MIT's default (verify_ap_req_nofail
	// false), a missing keytab entry fails: an unverified TGT proves
	// nothing against a spoofed KDC.
	host, err := krb5Hostname()
	if err != nil {
		return nil, fail("hostname", err)
	}
	svc := gssapi.HostbasedService("host", host)
	acc, err := gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Name: svc, Usage: gssapi.UsageAccept})
	if err != nil {
		return nil, fail("reading the keytab for host/"+host, err)
	}
	ic, err := gssapi.NewInitContext(svc, &gssapi.InitOptions{Cred: tgt})
	if err != nil {
		return nil, fail("verifying the TGT", err)
	}
	ac, err := gssapi.NewAcceptContext(&gssapi.AcceptOptions{Cred: acc})
	if err != nil {
		return nil, fail("verifying the TGT", err)
	}
	var in []byte
	for i := 0; i < 4 && !(ic.Established() && ac.Established()); i++ {
		tok, err := ic.Step(ctx, in)
		if err != nil {
			return nil, fail("verifying the TGT", err)
		}
		in = nil
		if len(tok) > 0 && !ac.Established() {
			if in, err = ac.Step(ctx, tok); err != nil {
				return nil, fail("verifying the TGT", err)
			}
		}
	}
	if !ic.Established() || !ac.Established() {
		return nil, fail("verifying the TGT", errors.New("context not established"))
	}
	principal := ac.InitiatorName().String()
	perms, err := gssauth.K5LoginUserOK(nil, func(string) (string, error) { return a.Home, nil }, a.Name, principal)
	if err != nil {
		return nil, fail("krb5_kuserok", err)
	}
	// The TGT goes with the login; the first session stores it
	// (krb5CCache).
	tok, err := tgt.Export()
	if err != nil {
		return nil, fail("keeping the TGT", err)
	}
	perms.Extensions = map[string]string{extKrb5TGT: string(tok)}
	return perms, nil
}

// extKrb5TGT is the Permissions extension that carries a Kerberos
// password login's TGT (gssapi.Credential.Export) to the sessions.
const extKrb5TGT = "krb5-tgt@gosshd"

// krb5CCaches are the credential caches of Kerberos password logins, by
// connection.
var krb5CCaches struct {
	mu sync.Mutex
	m  map[*server.Conn]string // guarded by mu
}

// krb5CCache returns the ccache of a Kerberos password login for its
// sessions' KRB5CCNAME, as sshd's auth_krb5_password stores the TGT:
// written on the first session to a new /tmp/krb5cc_<uid>_XXXXXXXXXX,
// mode 0600, owned by the user, and removed when the connection ends
// unless KerberosTicketCleanup is no. "" for other logins.
func (ss *sessions) krb5CCache(s *server.Session, a *account) string {
	c := s.Conn()
	perms := c.Permissions()
	if perms == nil || perms.Extensions[extKrb5TGT] == "" {
		return ""
	}
	krb5CCaches.mu.Lock()
	defer krb5CCaches.mu.Unlock()
	if p, ok := krb5CCaches.m[c]; ok {
		return p
	}
	// OnClose may run its function at once (the connection is ending):
	// it takes the lock, so it is registered after the lock is released.
	var onClose func()
	defer func() {
		if onClose != nil {
			krb5CCaches.mu.Unlock()
			c.OnClose(onClose)
			krb5CCaches.mu.Lock() // for the deferred Unlock
		}
	}()
	cred, err := gssapi.ImportCredential([]byte(perms.Extensions[extKrb5TGT]), nil)
	if err != nil {
		c.Logger().Error("Kerberos: keeping the TGT: " + err.Error())
		return ""
	}
	f, err := os.CreateTemp("", "krb5cc_"+strconv.FormatUint(uint64(a.UID), 10)+"_")
	if err != nil {
		c.Logger().Error("Kerberos: " + err.Error())
		return ""
	}
	path := f.Name()
	f.Close()
	remove := func() { os.Remove(path) }
	if err := cred.WriteCCache(path); err != nil {
		remove()
		c.Logger().Error("Kerberos: writing the ccache: " + err.Error())
		return ""
	}
	if ss.root {
		if err := os.Chown(path, int(a.UID), int(a.GID)); err != nil {
			remove()
			return ""
		}
	}
	if krb5CCaches.m == nil {
		krb5CCaches.m = map[*server.Conn]string{}
	}
	krb5CCaches.m[c] = path
	cleanup := ss.cfg.more.KerberosTicketCleanup
	onClose = func() {
		if cleanup {
			remove()
		}
		krb5CCaches.mu.Lock()
		delete(krb5CCaches.m, c)
		krb5CCaches.mu.Unlock()
	}
	return path
}
