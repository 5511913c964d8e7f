package gssapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// serviceTicket returns a ticket for the service principal, from the
// credential's cache or a TGS exchange (RFC 4120, Section 3.3).
// A non-zero till asks for a ticket ending no later.
func (c *Credential) serviceTicket(ctx context.Context, target *Name, till time.Time) (serviceTicket, error) {
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
	rep, err := c.tgsExchange(ctx, target.principal, nil, till)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			ge.Msg = fmt.Sprintf("getting a ticket for %s: %s", target, ge.Msg)
		}
		return serviceTicket{}, err
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
	if !types.IsFlagSet(&c.tgtFlags, flags.Forwardable) {
		return messages.TGSRep{}, newError(StatusNoCred, 0, "TGT of %s is not forwardable", c.name)
	}
	sname := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", c.name.realm}}
	return c.tgsExchange(ctx, sname, []int{flags.Forwardable, flags.Forwarded}, time.Time{})
}

// newTGSReq builds a TGS-REQ to realm's KDC with extra KDC options and,
// if till is not zero, that end time.
// gokrb5's NewTGSReq computes the authenticator checksum over the
// request body, so after changing the options the PA-TGS-REQ is
// computed again here.
func (c *Credential) newTGSReq(k *config.Config, realm string, tgt messages.Ticket, tgtKey types.EncryptionKey, sname types.PrincipalName, opts []int, till time.Time) (messages.TGSReq, error) {
	req, err := messages.NewTGSReq(c.name.principal, realm, k, tgt, tgtKey, sname, false)
	if err != nil {
		return req, wrapError(StatusFailure, err, "building TGS-REQ")
	}
	if len(opts) == 0 && till.IsZero() {
		return req, nil
	}
	if !till.IsZero() {
		req.ReqBody.Till = till.UTC().Truncate(time.Second)
	}
	for _, o := range opts {
		types.SetFlag(&req.ReqBody.KDCOptions, o)
	}
	body, err := req.ReqBody.Marshal()
	if err != nil {
		return req, wrapError(StatusFailure, err, "encoding TGS-REQ body")
	}
	et, err := crypto.GetEtype(tgtKey.KeyType)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGT session key")
	}
	cksum, err := et.GetChecksumHash(tgtKey.KeyValue, body, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ checksum")
	}
	auth, err := types.NewAuthenticator(c.name.realm, c.name.principal)
	if err != nil {
		return req, wrapError(StatusFailure, err, "TGS-REQ authenticator")
	}
	auth.Cksum = types.Checksum{CksumType: et.GetHashID(), Checksum: cksum}
	ap, err := messages.NewAPReq(tgt, tgtKey, auth)
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
