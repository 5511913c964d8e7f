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

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
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
			e := newError(StatusFailure, ke.ErrorCode, "KDC %s: %s", kdcs[i], strings.TrimSpace(ke.Error()))
			e.Err = ke // for the e-data of PREAUTH_REQUIRED
			return nil, e
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

// kdcErrPreauthRequired is KDC_ERR_PREAUTH_REQUIRED (RFC 4120, Section
// 7.5.9).
const kdcErrPreauthRequired = 25

// asExchangeTCP gets a TGT (RFC 4120, Section 3.1) for the client's
// password or keytab in cl.Credentials, with encrypted-timestamp
// pre-authentication when the KDC asks for it (Section 5.2.7.2), over
// kdcExchange. gokrb5 supplies the messages and the key derivation.
func asExchangeTCP(ctx context.Context, cl *client.Client, realm string, req messages.ASReq) (messages.ASRep, error) {
	k := cl.Config
	var rep messages.ASRep
	for attempt := 0; ; attempt++ {
		b, err := req.Marshal()
		if err != nil {
			return rep, wrapError(StatusFailure, err, "encoding AS-REQ")
		}
		resp, err := kdcExchange(ctx, k, realm, b)
		var ke messages.KRBError
		if err != nil && attempt == 0 && errors.As(err, &ke) && ke.ErrorCode == kdcErrPreauthRequired {
			pa, err := encTimestamp(cl, &ke)
			if err != nil {
				return rep, err
			}
			req.PAData = append(req.PAData, pa)
			continue
		}
		if err != nil {
			return rep, err
		}
		if err := safeCall(func() error { return rep.Unmarshal(resp) }); err != nil {
			return rep, wrapError(StatusFailure, err, "decoding AS-REP")
		}
		var ok bool
		err = safeCall(func() error {
			var e error
			ok, e = rep.Verify(k, cl.Credentials, req)
			return e
		})
		if !ok || err != nil {
			// Almost always a reply encrypted in another key than ours: a
			// wrong password (KRB_AP_ERR_BAD_INTEGRITY, as MIT reports).
			e := wrapError(StatusFailure, err, "AS-REP not valid (wrong password or key?)")
			e.setKrbCode(krbAPErrBadIntegrity)
			return rep, e
		}
		return rep, nil
	}
}

// encTimestamp builds PA-ENC-TIMESTAMP with the enctype and salt the
// KDC's ETYPE-INFO2 names.
func encTimestamp(cl *client.Client, ke *messages.KRBError) (types.PAData, error) {
	var pas types.PADataSequence
	if err := safeCall(func() error { return pas.Unmarshal(ke.EData) }); err != nil {
		return types.PAData{}, wrapError(StatusFailure, err, "decoding PREAUTH_REQUIRED e-data")
	}
	var etypeID int32
	for _, pa := range pas {
		if pa.PADataType == patype.PA_ETYPE_INFO2 {
			info, err := pa.GetETypeInfo2()
			if err == nil && len(info) > 0 {
				etypeID = info[0].EType
			}
			break
		}
	}
	et, err := crypto.GetEtype(etypeID)
	if err != nil {
		return types.PAData{}, wrapError(StatusFailure, err, "pre-authentication enctype %d", etypeID)
	}
	key, kvno, err := cl.Key(et, 0, ke)
	if err != nil {
		return types.PAData{}, wrapError(StatusNoCred, err, "deriving the client key")
	}
	ts, err := types.GetPAEncTSEncAsnMarshalled()
	if err != nil {
		return types.PAData{}, wrapError(StatusFailure, err, "encoding PA-ENC-TS-ENC")
	}
	ed, err := crypto.GetEncryptedData(ts, key, keyusage.AS_REQ_PA_ENC_TIMESTAMP, kvno)
	if err != nil {
		return types.PAData{}, wrapError(StatusFailure, err, "encrypting PA-ENC-TS-ENC")
	}
	b, err := ed.Marshal()
	if err != nil {
		return types.PAData{}, wrapError(StatusFailure, err, "encoding PA-ENC-TIMESTAMP")
	}
	return types.PAData{PADataType: patype.PA_ENC_TIMESTAMP, PADataValue: b}, nil
}
