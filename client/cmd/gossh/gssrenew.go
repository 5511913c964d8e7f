package main

import (
	"context"
	"sync"
	"time"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/gssapi"
)

// gssClientCredential is GSSAPIClientIdentity: the initiator credential
// of principal id, from KRB5CCNAME: the cache of that principal in a
// DIR: collection, or a FILE: cache that must hold it. An error (one
// that errors.Is gssapi.ErrNoCred when the principal has no cache) says
// which.
func gssClientCredential(ctx context.Context, id string) (*gssapi.Credential, error) {
	name, err := gssapi.NewName(id, "")
	if err != nil {
		return nil, err
	}
	return gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageInitiate, Name: name})
}

// gssRenewalInterval is how often GSSAPIRenewalForcesRekey looks at the
// credential cache: Debian's ssh_gssapi_credentials_updated looks at
// most every 10 seconds.
var gssRenewalInterval = 10 * time.Second

// startGSSRenewal is GSSAPIRenewalForcesRekey, as Debian's ssh applies
// it after a GSS-API key exchange: it re-reads the credential (the
// GSSAPIClientIdentity's, or the default) every gssRenewalInterval, and
// when it holds the same principal with a TGT that ends later (kinit -R,
// or a new kinit) it hands that credential to the connection and starts
// a rekey, whose GSS-API exchange delegates it again
// (client.GSSAPI.DelegateOnRekey). It runs until ctx ends.
func startGSSRenewal(ctx context.Context, wg *sync.WaitGroup, c *client.Client, o *options, lg *logger) {
	if !o.yes("gssapirenewalforcesrekey", false) || !o.gssKex.Load() {
		return
	}
	acquire := func() (*gssapi.Credential, error) {
		if id := o.get("gssapiclientidentity"); id != "" {
			return gssClientCredential(ctx, id)
		}
		return gssapi.AcquireCredential(ctx, gssapi.AcquireOptions{Usage: gssapi.UsageInitiate})
	}
	saved := o.gssCred
	if saved == nil {
		var err error
		if saved, err = acquire(); err != nil {
			lg.debug(1, "GSSAPIRenewalForcesRekey: %v", err)
			return
		}
	}
	wg.Go(func() {
		t := time.NewTicker(gssRenewalInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			cred, err := acquire()
			if err != nil || !cred.Name().Equal(saved.Name()) || !cred.Expiry().After(saved.Expiry()) {
				continue
			}
			lg.debug(1, "credentials updated - forcing rekey")
			c.SetGSSCredential(cred)
			if err := c.Rekey(ctx); err != nil {
				lg.debug(1, "GSSAPIRenewalForcesRekey: rekey: %v", err)
				continue
			}
			saved = cred
		}
	})
}
