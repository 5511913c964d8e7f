package gssapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// maxKDCReply caps a KDC reply this package reads (RFC 4120, Section
// 7.2.2 allows 2^31-1; gokrb5 would allocate whatever the length says).
const maxKDCReply = 1 << 20

// kdcTimeout bounds one KDC exchange when ctx has no earlier deadline.
const kdcTimeout = 10 * time.Second

// kdcExchange sends a Kerberos request to the realm's KDCs over TCP
// (RFC 4120, Section 7.2.2), trying each in turn, and returns the reply.
// A KRB-ERROR reply is returned as an *Error carrying its code.
func kdcExchange(ctx context.Context, k *config.Config, realm string, req []byte) ([]byte, error) {
	_, kdcs, err := k.GetKDCs(realm, true)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "finding a KDC for %s", realm)
	}
	var errs []string
	for i := 1; i <= len(kdcs); i++ {
		b, err := kdcExchangeOne(ctx, kdcs[i], req)
		if err == nil {
			return b, nil
		}
		var ke messages.KRBError
		if errors.As(err, &ke) {
			return nil, newError(StatusFailure, ke.ErrorCode, "KDC %s: %s", kdcs[i], strings.TrimSpace(ke.Error()))
		}
		if cerr := ctxErr(ctx); cerr != nil {
			return nil, wrapError(StatusFailure, cerr, "talking to KDC %s", kdcs[i])
		}
		errs = append(errs, err.Error())
	}
	return nil, newError(StatusFailure, 0, "no KDC of %s answered: %s", realm, strings.Join(errs, "; "))
}

// ctxErr is ctx.Err(), also when the deadline has passed but the
// context's timer has not fired yet (a connection deadline set from it
// can expire first).
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

func kdcExchangeOne(ctx context.Context, addr string, req []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, kdcTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(req)), uint32(len(req)))
	if _, err := conn.Write(append(msg, req...)); err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxKDCReply {
		return nil, fmt.Errorf("KDC reply of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(conn, b); err != nil {
		return nil, err
	}
	var ke messages.KRBError
	if len(b) > 0 && b[0] == 0x7e && safeCall(func() error { return ke.Unmarshal(b) }) == nil {
		return nil, ke
	}
	return b, nil
}

// tgsExchange performs a TGS exchange (RFC 4120, Section 3.3) with the
// TGT's realm, following up to five referrals (RFC 6806, Section 8).
func (c *Credential) tgsExchange(ctx context.Context, sname types.PrincipalName, opts []int, till time.Time) (messages.TGSRep, error) {
	k, err := c.cfg.krb5()
	if err != nil {
		return messages.TGSRep{}, err
	}
	tgt, key, realm := c.tgt, c.tgtKey, c.name.realm
	if n := len(tgt.SName.NameString); n == 2 {
		realm = tgt.SName.NameString[1]
	}
	for hop := 0; hop < 6; hop++ {
		req, err := c.newTGSReq(k, realm, tgt, key, sname, opts, till)
		if err != nil {
			return messages.TGSRep{}, err
		}
		b, err := req.Marshal()
		if err != nil {
			return messages.TGSRep{}, wrapError(StatusFailure, err, "encoding TGS-REQ")
		}
		resp, err := kdcExchange(ctx, k, realm, b)
		if err != nil {
			return messages.TGSRep{}, err
		}
		var rep messages.TGSRep
		if err := safeCall(func() error { return rep.Unmarshal(resp) }); err != nil {
			return rep, wrapError(StatusFailure, err, "decoding TGS-REP")
		}
		if err := safeCall(func() error { return rep.DecryptEncPart(key) }); err != nil {
			return rep, wrapError(StatusFailure, err, "decrypting TGS-REP")
		}
		if ok, err := rep.Verify(k, req); !ok {
			return rep, wrapError(StatusFailure, err, "TGS-REP does not match the request")
		}
		got := rep.Ticket.SName
		if len(got.NameString) == 2 && got.NameString[0] == "krbtgt" && !got.Equal(sname) {
			// A referral: a TGT for the realm that holds the service.
			tgt, key, realm = rep.Ticket, rep.DecryptedEncPart.Key, got.NameString[1]
			continue
		}
		return rep, nil
	}
	return messages.TGSRep{}, newError(StatusFailure, 0, "too many TGS referrals for %s", principalString(sname, ""))
}
