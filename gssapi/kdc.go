package gssapi

import (
	"context"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// newKDCClient returns a gokrb5 client used only for its KDC transport
// (TGS exchanges). It never logs in, so it starts no goroutines.
func newKDCClient(n *Name, k *config.Config) *client.Client {
	return client.NewWithPassword(strings.Join(n.principal.NameString, "/"), n.realm, "", k, client.DisablePAFXFAST(true))
}

// serviceTicket returns a ticket for the service principal, from the
// credential's cache or a TGS exchange (RFC 4120, Section 3.3).
func (c *Credential) serviceTicket(ctx context.Context, target *Name) (serviceTicket, error) {
	key := target.String()
	c.mu.Lock()
	st, ok := c.tickets[key]
	c.mu.Unlock()
	if ok && time.Until(st.end) > 10*time.Second {
		return st, nil
	}
	if time.Until(c.end) <= 0 {
		return serviceTicket{}, newError(StatusCredentialsExpired, krbAPErrTktExpired, "TGT for %s expired", c.name)
	}
	if err := ctx.Err(); err != nil {
		return serviceTicket{}, wrapError(StatusFailure, err, "getting a service ticket")
	}
	req, err := c.newTGSReq(target.principal, nil)
	if err != nil {
		return serviceTicket{}, err
	}
	_, rep, err := c.kdc.TGSExchange(req, c.name.realm, c.tgt, c.tgtKey, 0)
	if err != nil {
		return serviceTicket{}, wrapError(StatusFailure, err, "getting a ticket for %s", target)
	}
	st = serviceTicket{rep.Ticket, rep.DecryptedEncPart.Key, rep.DecryptedEncPart.Flags, rep.DecryptedEncPart.EndTime}
	c.mu.Lock()
	c.tickets[key] = st
	c.mu.Unlock()
	return st, nil
}

// forwardedTGT asks the KDC for a forwarded TGT (RFC 4120, Section
// 2.6) for delegation.
func (c *Credential) forwardedTGT(ctx context.Context) (messages.TGSRep, error) {
	if err := ctx.Err(); err != nil {
		return messages.TGSRep{}, wrapError(StatusFailure, err, "forwarding the TGT")
	}
	if !types.IsFlagSet(&c.tgtFlags, flags.Forwardable) {
		return messages.TGSRep{}, newError(StatusNoCred, 0, "TGT of %s is not forwardable", c.name)
	}
	sname := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", c.name.realm}}
	req, err := c.newTGSReq(sname, []int{flags.Forwardable, flags.Forwarded})
	if err != nil {
		return messages.TGSRep{}, err
	}
	_, rep, err := c.kdc.TGSExchange(req, c.name.realm, c.tgt, c.tgtKey, 0)
	if err != nil {
		return messages.TGSRep{}, wrapError(StatusFailure, err, "forwarding the TGT")
	}
	return rep, nil
}

// newTGSReq builds a TGS-REQ with extra KDC options. gokrb5's
// NewTGSReq computes the authenticator checksum over the request body,
// so after changing the options the PA-TGS-REQ is computed again here.
func (c *Credential) newTGSReq(sname types.PrincipalName, opts []int) (messages.TGSReq, error) {
	k, err := c.cfg.krb5()
	if err != nil {
		return messages.TGSReq{}, err
	}
	req, err := messages.NewTGSReq(c.name.principal, c.name.realm, k, c.tgt, c.tgtKey, sname, false)
	if err != nil {
		return req, wrapError(StatusFailure, err, "building TGS-REQ")
	}
	if len(opts) == 0 {
		return req, nil
	}
	for _, o := range opts {
		types.SetFlag(&req.ReqBody.KDCOptions, o)
	}
	body, err := req.ReqBody.Marshal()
	if err != nil {
		return req, wrapError(StatusFailure, err, "encoding TGS-REQ body")
	}
	et, err := crypto.GetEtype(c.tgtKey.KeyType)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGT session key")
	}
	cksum, err := et.GetChecksumHash(c.tgtKey.KeyValue, body, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ checksum")
	}
	auth, err := types.NewAuthenticator(c.tgt.Realm, c.name.principal)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ authenticator")
	}
	auth.Cksum = types.Checksum{CksumType: et.GetHashID(), Checksum: cksum}
	ap, err := messages.NewAPReq(c.tgt, c.tgtKey, auth)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ AP-REQ")
	}
	apb, err := ap.Marshal()
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ AP-REQ")
	}
	req.PAData = types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: apb}}
	return req, nil
}
