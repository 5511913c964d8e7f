package gssapi

import (
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Kerberos messages gokrb5 can parse but not build (AP-REP, KRB-CRED),
// and parsers that check what gokrb5's do not.

// encAPRepPart is EncAPRepPart (RFC 4120, Section 5.5.2).
type encAPRepPart struct {
	CTime     time.Time           `asn1:"generalized,explicit,tag:0"`
	Cusec     int                 `asn1:"explicit,tag:1"`
	Subkey    types.EncryptionKey `asn1:"optional,explicit,tag:2"`
	SeqNumber int64               `asn1:"optional,explicit,tag:3"`
}

type apRep struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	EncPart types.EncryptedData `asn1:"explicit,tag:2"`
}

// marshalAPRep builds a KRB_AP_REP (RFC 4120, Section 5.5.2) encrypted
// in the ticket session key.
func marshalAPRep(sessionKey types.EncryptionKey, ctime time.Time, cusec int, subkey types.EncryptionKey, seq int64) ([]byte, error) {
	enc, err := asn1.Marshal(encAPRepPart{CTime: ctime.UTC(), Cusec: cusec, Subkey: subkey, SeqNumber: seq})
	if err != nil {
		return nil, err
	}
	enc = asn1tools.AddASNAppTag(enc, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(enc, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	b, err := asn1.Marshal(apRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(b, asnAppTag.APREP), nil
}

// parseAPRep decodes and decrypts a KRB_AP_REP.
func parseAPRep(b []byte, sessionKey types.EncryptionKey) (encAPRepPart, error) {
	var rep apRep
	var part encAPRepPart
	if err := unmarshalApp(b, &rep, asnAppTag.APREP); err != nil {
		return part, newError(StatusDefectiveToken, 0, "decoding AP-REP: %v", err)
	}
	if rep.PVNO != 5 || rep.MsgType != msgtype.KRB_AP_REP {
		return part, newError(StatusDefectiveToken, 0, "AP-REP with pvno %d, msg-type %d", rep.PVNO, rep.MsgType)
	}
	k, err := newPerMessageKey(sessionKey)
	if err != nil {
		return part, err
	}
	if rep.EncPart.EType != sessionKey.KeyType {
		return part, newError(StatusDefectiveToken, 0, "AP-REP encrypted with enctype %d, session key is %d", rep.EncPart.EType, sessionKey.KeyType)
	}
	pt, err := decryptMessage(k, rep.EncPart.Cipher, keyusage.AP_REP_ENCPART)
	if err != nil {
		return part, err
	}
	if err := unmarshalApp(pt, &part, asnAppTag.EncAPRepPart); err != nil {
		return part, newError(StatusDefectiveToken, 0, "decoding EncAPRepPart: %v", err)
	}
	return part, nil
}

// krbCredInfo is KrbCredInfo (RFC 4120, Section 5.8.1), with
// GeneralString realms (gokrb5's type marks srealm IA5String).
type krbCredInfo struct {
	Key       types.EncryptionKey `asn1:"explicit,tag:0"`
	PRealm    string              `asn1:"generalstring,optional,explicit,tag:1"`
	PName     types.PrincipalName `asn1:"optional,explicit,tag:2"`
	Flags     asn1.BitString      `asn1:"optional,explicit,tag:3"`
	AuthTime  time.Time           `asn1:"generalized,optional,explicit,tag:4"`
	StartTime time.Time           `asn1:"generalized,optional,explicit,tag:5"`
	EndTime   time.Time           `asn1:"generalized,optional,explicit,tag:6"`
	RenewTill time.Time           `asn1:"generalized,optional,explicit,tag:7"`
	SRealm    string              `asn1:"generalstring,optional,explicit,tag:8"`
	SName     types.PrincipalName `asn1:"optional,explicit,tag:9"`
}

type encKrbCredPart struct {
	TicketInfo []krbCredInfo `asn1:"explicit,tag:0"`
	Nonce      int           `asn1:"optional,explicit,tag:1"`
	Timestamp  time.Time     `asn1:"generalized,optional,explicit,tag:2"`
	Usec       int           `asn1:"optional,explicit,tag:3"`
}

type krbCred struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	Tickets asn1.RawValue       `asn1:"explicit,tag:2"`
	EncPart types.EncryptedData `asn1:"explicit,tag:3"`
}

// marshalKRBCred builds a KRB-CRED (RFC 4120, Section 5.8) carrying one
// ticket, encrypted in key.
func marshalKRBCred(key types.EncryptionKey, tkt messages.Ticket, info krbCredInfo) ([]byte, error) {
	now := time.Now().UTC()
	enc, err := asn1.Marshal(encKrbCredPart{
		TicketInfo: []krbCredInfo{info},
		Timestamp:  now.Truncate(time.Second),
		Usec:       now.Nanosecond() / 1000,
	})
	if err != nil {
		return nil, err
	}
	enc = asn1tools.AddASNAppTag(enc, asnAppTag.EncKrbCredPart)
	ed, err := crypto.GetEncryptedData(enc, key, keyusage.KRB_CRED_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	seq, err := messages.MarshalTicketSequence([]messages.Ticket{tkt})
	if err != nil {
		return nil, err
	}
	seq.Class, seq.Tag = asn1.ClassContextSpecific, 2
	b, err := asn1.Marshal(krbCred{PVNO: 5, MsgType: msgtype.KRB_CRED, Tickets: seq, EncPart: ed})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(b, asnAppTag.KRBCred), nil
}

// parseKRBCred decodes a KRB-CRED and decrypts it with the first key of
// keys that works; an enc-part with enctype 0 is taken as unencrypted.
func parseKRBCred(b []byte, keys ...types.EncryptionKey) ([]messages.Ticket, []krbCredInfo, error) {
	var raw krbCred
	if err := unmarshalApp(b, &raw, asnAppTag.KRBCred); err != nil {
		return nil, nil, newError(StatusDefectiveToken, 0, "decoding KRB-CRED: %v", err)
	}
	if raw.PVNO != 5 || raw.MsgType != msgtype.KRB_CRED {
		return nil, nil, newError(StatusDefectiveToken, 0, "KRB-CRED with pvno %d, msg-type %d", raw.PVNO, raw.MsgType)
	}
	var kc messages.KRBCred
	if err := safeCall(func() error { return kc.Unmarshal(b) }); err != nil {
		return nil, nil, newError(StatusDefectiveToken, 0, "decoding KRB-CRED tickets: %v", err)
	}
	var pt []byte
	if raw.EncPart.EType == 0 {
		pt = raw.EncPart.Cipher
	} else {
		var lastErr error = newError(StatusDefectiveToken, 0, "KRB-CRED encrypted with enctype %d, no such key", raw.EncPart.EType)
		for _, k := range keys {
			if k.KeyType != raw.EncPart.EType {
				continue
			}
			pk, err := newPerMessageKey(k)
			if err != nil {
				lastErr = err
				continue
			}
			pt, lastErr = decryptMessage(pk, raw.EncPart.Cipher, keyusage.KRB_CRED_ENCPART)
			if lastErr == nil {
				break
			}
		}
		if pt == nil {
			return nil, nil, lastErr
		}
	}
	var part encKrbCredPart
	if err := unmarshalApp(pt, &part, asnAppTag.EncKrbCredPart); err != nil {
		return nil, nil, newError(StatusDefectiveToken, 0, "decoding EncKrbCredPart: %v", err)
	}
	if len(part.TicketInfo) != len(kc.Tickets) || len(kc.Tickets) == 0 {
		return nil, nil, newError(StatusDefectiveToken, 0, "KRB-CRED with %d tickets and %d ticket infos", len(kc.Tickets), len(part.TicketInfo))
	}
	return kc.Tickets, part.TicketInfo, nil
}

// unmarshalApp decodes an [APPLICATION tag] value and rejects trailing
// bytes.
func unmarshalApp(b []byte, v any, tag int) error {
	return safeCall(func() error {
		rest, err := asn1.UnmarshalWithParams(b, v, fmt.Sprintf("application,explicit,tag:%d", tag))
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return fmt.Errorf("%d trailing bytes", len(rest))
		}
		return nil
	})
}

// safeCall runs a gokrb5 decoder and turns a panic on hostile input into
// an error.
func safeCall(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return f()
}
