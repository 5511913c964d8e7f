package gssapi

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Flags of RFC 4121 per-message tokens (RFC 4121, Section 4.2.2).
const (
	tokFlagSentByAcceptor = 0x01
	tokFlagSealed         = 0x02
	tokFlagAcceptorSubkey = 0x04
)

// tokenHeaderLen is the fixed header of MIC and Wrap tokens.
const tokenHeaderLen = 16

// A perMessageKey is a key with its resolved encryption type and the
// checksum keys derived from it so far (gokrb5 derives them on every
// call). It is not safe for concurrent use; a Context's mu guards its
// keys.
type perMessageKey struct {
	key types.EncryptionKey
	et  etype.EType
	kc  map[uint32][]byte // usage -> Kc (RFC 3961, Section 5.3)
	ke  map[uint32][]byte // usage -> Ke
	ki  map[uint32][]byte // usage -> Ki
}

// rc4HMAC is the RFC 4757 enctype, whose GSS tokens are not RFC 4121's.
const rc4HMAC = 23

func newPerMessageKey(k types.EncryptionKey) (*perMessageKey, error) {
	if k.KeyType == rc4HMAC {
		return nil, newError(StatusBadMech, 0, "rc4-hmac (RFC 4757) tokens not supported")
	}
	et, err := crypto.GetEtype(k.KeyType)
	if err != nil {
		return nil, wrapError(StatusFailure, err, "encryption type %d", k.KeyType)
	}
	if len(k.KeyValue) != keySize(et) {
		return nil, newError(StatusFailure, 0, "key of %d bytes for encryption type %d", len(k.KeyValue), k.KeyType)
	}
	return &perMessageKey{key: k, et: et, kc: map[uint32][]byte{}, ke: map[uint32][]byte{}, ki: map[uint32][]byte{}}, nil
}

// checksum is the RFC 3961 simplified-profile keyed checksum
// (get_mic) of data: HMAC with Kc = DK(key, usage | 0x99), truncated, as
// gokrb5's GetChecksumHash computes it, with Kc cached per usage.
func (k *perMessageKey) checksum(data []byte, usage uint32) ([]byte, error) {
	kc, err := k.derived(k.kc, usage, common.GetUsageKc)
	if err != nil {
		return nil, err
	}
	return k.mac(kc, data), nil
}

func (k *perMessageKey) derived(cache map[uint32][]byte, usage uint32, constant func(uint32) []byte) ([]byte, error) {
	if d, ok := cache[usage]; ok {
		return d, nil
	}
	d, err := k.et.DeriveKey(k.key.KeyValue, constant(usage))
	if err != nil {
		return nil, wrapError(StatusFailure, err, "deriving a key")
	}
	cache[usage] = d
	return d, nil
}

func (k *perMessageKey) mac(key []byte, data ...[]byte) []byte {
	m := hmac.New(k.et.GetHashFunc(), key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)[:k.et.GetHMACBitLength()/8]
}

// aesProfile reports whether the RFC 3962 or RFC 8009 encryption below
// applies; other enctypes go through gokrb5's EncryptMessage.
func (k *perMessageKey) aesProfile() (ok, rfc8009 bool) {
	switch k.et.GetETypeID() {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
		return true, false
	case etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192:
		return true, true
	}
	return false, false
}

// encrypt is the RFC 3961 encrypt operation with cached Ke and Ki:
// AES-CTS(Ke, confounder | msg), then the HMAC, over the plaintext for
// RFC 3962 and over the zero IV and ciphertext for RFC 8009.
func (k *perMessageKey) encrypt(msg []byte, usage uint32) ([]byte, error) {
	ok, is8009 := k.aesProfile()
	if !ok {
		_, ct, err := k.et.EncryptMessage(k.key.KeyValue, msg, usage)
		return ct, err
	}
	ke, err := k.derived(k.ke, usage, common.GetUsageKe)
	if err != nil {
		return nil, err
	}
	ki, err := k.derived(k.ki, usage, common.GetUsageKi)
	if err != nil {
		return nil, err
	}
	pt := make([]byte, k.et.GetConfounderByteSize(), k.et.GetConfounderByteSize()+len(msg))
	if _, err := rand.Read(pt); err != nil {
		return nil, err
	}
	pt = append(pt, msg...)
	_, ct, err := k.et.EncryptData(ke, pt)
	if err != nil {
		return nil, err
	}
	if is8009 {
		return append(ct, k.mac(ki, make([]byte, 16), ct)...), nil
	}
	return append(ct, k.mac(ki, pt)...), nil
}

// decrypt reverses encrypt and checks the HMAC. The caller has checked
// that ct holds at least a confounder and an HMAC.
func (k *perMessageKey) decrypt(ct []byte, usage uint32) ([]byte, error) {
	ok, is8009 := k.aesProfile()
	if !ok {
		return k.et.DecryptMessage(k.key.KeyValue, ct, usage)
	}
	ke, err := k.derived(k.ke, usage, common.GetUsageKe)
	if err != nil {
		return nil, err
	}
	ki, err := k.derived(k.ki, usage, common.GetUsageKi)
	if err != nil {
		return nil, err
	}
	h := k.et.GetHMACBitLength() / 8
	body, tag := ct[:len(ct)-h], ct[len(ct)-h:]
	if is8009 && !hmac.Equal(tag, k.mac(ki, make([]byte, 16), body)) {
		return nil, errors.New("integrity check failed")
	}
	pt, err := k.et.DecryptData(ke, body)
	if err != nil {
		return nil, err
	}
	if !is8009 && !hmac.Equal(tag, k.mac(ki, pt)) {
		return nil, errors.New("integrity check failed")
	}
	return pt[k.et.GetConfounderByteSize():], nil
}

// keySize returns the protocol key length of et. gokrb5 reports 24 bytes
// for aes256-cts-hmac-sha384-192 but (correctly, RFC 8009, Section 5)
// encrypts with 32-byte keys.
func keySize(et etype.EType) int {
	if et.GetETypeID() == etypeID.AES256_CTS_HMAC_SHA384_192 {
		return 32
	}
	return et.GetKeyByteSize()
}

// generateKey returns a random key of type et, for subkeys (RFC 4120,
// Section 5.5.1: random-to-key of fresh random bits; for the AES
// enctypes random-to-key is the identity).
func generateKey(et etype.EType) (types.EncryptionKey, error) {
	b := make([]byte, keySize(et))
	if _, err := rand.Read(b); err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: et.GetETypeID(), KeyValue: b}, nil
}

func signUsage(fromAcceptor bool) uint32 {
	if fromAcceptor {
		return keyusage.GSSAPI_ACCEPTOR_SIGN
	}
	return keyusage.GSSAPI_INITIATOR_SIGN
}

func sealUsage(fromAcceptor bool) uint32 {
	if fromAcceptor {
		return keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	return keyusage.GSSAPI_INITIATOR_SEAL
}

// A tokenHeader is the 16-byte header of a MIC or Wrap token (RFC 4121,
// Sections 4.2.6.1 and 4.2.6.2).
type tokenHeader struct {
	TokID uint16
	Flags byte
	EC    uint16 // Wrap only
	RRC   uint16 // Wrap only
	Seq   uint64
}

func (h tokenHeader) append(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, h.TokID)
	b = append(b, h.Flags, 0xff)
	if h.TokID == tokMIC {
		b = append(b, 0xff, 0xff, 0xff, 0xff)
	} else {
		b = binary.BigEndian.AppendUint16(b, h.EC)
		b = binary.BigEndian.AppendUint16(b, h.RRC)
	}
	return binary.BigEndian.AppendUint64(b, h.Seq)
}

// parseTokenHeader parses the header of a MIC (tokMIC) or Wrap (tokWrap)
// token. It checks the TOK_ID and the filler bytes.
func parseTokenHeader(b []byte, want uint16) (tokenHeader, error) {
	if len(b) < tokenHeaderLen {
		return tokenHeader{}, newError(StatusDefectiveToken, 0, "token of %d bytes shorter than its header", len(b))
	}
	h := tokenHeader{TokID: binary.BigEndian.Uint16(b), Flags: b[2], Seq: binary.BigEndian.Uint64(b[8:])}
	if h.TokID != want {
		return h, newError(StatusDefectiveToken, 0, "TOK_ID %04x, want %04x", h.TokID, want)
	}
	if b[3] != 0xff {
		return h, newError(StatusDefectiveToken, 0, "bad filler byte")
	}
	if want == tokMIC {
		if b[4] != 0xff || b[5] != 0xff || b[6] != 0xff || b[7] != 0xff {
			return h, newError(StatusDefectiveToken, 0, "bad MIC filler")
		}
	} else {
		h.EC = binary.BigEndian.Uint16(b[4:])
		h.RRC = binary.BigEndian.Uint16(b[6:])
	}
	if h.Flags&^(tokFlagSentByAcceptor|tokFlagSealed|tokFlagAcceptorSubkey) != 0 {
		return h, newError(StatusDefectiveToken, 0, "unknown token flags %#x", h.Flags)
	}
	if want == tokMIC && h.Flags&tokFlagSealed != 0 {
		return h, newError(StatusDefectiveToken, 0, "MIC token with the Sealed flag")
	}
	return h, nil
}

// makeMIC builds a MIC token (RFC 4121, Section 4.2.6.1).
func makeMIC(k *perMessageKey, flags byte, seq uint64, msg []byte) ([]byte, error) {
	h := tokenHeader{TokID: tokMIC, Flags: flags, Seq: seq}
	hdr := h.append(make([]byte, 0, tokenHeaderLen+k.et.GetHMACBitLength()/8))
	data := make([]byte, 0, len(msg)+tokenHeaderLen)
	data = append(append(data, msg...), hdr...)
	ck, err := k.checksum(data, signUsage(flags&tokFlagSentByAcceptor != 0))
	if err != nil {
		return nil, wrapError(StatusFailure, err, "computing MIC")
	}
	return append(hdr, ck...), nil
}

// verifyMICToken checks a MIC token's checksum over msg with k. The
// header must already have been parsed.
func verifyMICToken(k *perMessageKey, tok, msg []byte) error {
	cl := k.et.GetHMACBitLength() / 8
	if len(tok) != tokenHeaderLen+cl {
		return newError(StatusDefectiveToken, 0, "MIC token of %d bytes, want %d", len(tok), tokenHeaderLen+cl)
	}
	data := make([]byte, 0, len(msg)+tokenHeaderLen)
	data = append(append(data, msg...), tok[:tokenHeaderLen]...)
	ck, err := k.checksum(data, signUsage(tok[2]&tokFlagSentByAcceptor != 0))
	if err != nil {
		return wrapError(StatusFailure, err, "computing MIC")
	}
	if !hmac.Equal(ck, tok[tokenHeaderLen:]) {
		return newError(StatusBadSig, krbAPErrModified, "MIC checksum does not match")
	}
	return nil
}

// makeWrap builds a Wrap token (RFC 4121, Section 4.2.6.2) with RRC 0.
// With conf the payload is encrypted (EC 0); without, it carries a
// trailing checksum and EC holds the checksum length.
func makeWrap(k *perMessageKey, flags byte, seq uint64, msg []byte, conf bool) ([]byte, error) {
	fromAcc := flags&tokFlagSentByAcceptor != 0
	if conf {
		flags |= tokFlagSealed
		h := tokenHeader{TokID: tokWrap, Flags: flags, Seq: seq}
		hdr := h.append(nil)
		pt := make([]byte, 0, len(msg)+tokenHeaderLen)
		pt = append(append(pt, msg...), hdr...)
		ct, err := k.encrypt(pt, sealUsage(fromAcc))
		if err != nil {
			return nil, wrapError(StatusFailure, err, "encrypting wrap token")
		}
		return append(hdr, ct...), nil
	}
	cl := k.et.GetHMACBitLength() / 8
	zero := tokenHeader{TokID: tokWrap, Flags: flags, Seq: seq}
	data := make([]byte, 0, len(msg)+tokenHeaderLen)
	data = append(append(data, msg...), zero.append(nil)...)
	ck, err := k.checksum(data, sealUsage(fromAcc))
	if err != nil {
		return nil, wrapError(StatusFailure, err, "computing wrap checksum")
	}
	h := tokenHeader{TokID: tokWrap, Flags: flags, EC: uint16(cl), Seq: seq}
	out := h.append(make([]byte, 0, tokenHeaderLen+len(msg)+cl))
	out = append(out, msg...)
	return append(out, ck...), nil
}

// unwrapToken checks and opens a Wrap token whose header h has been
// parsed. It handles any RRC (RFC 4121, Section 4.2.5) and EC.
func unwrapToken(k *perMessageKey, h tokenHeader, tok []byte) (msg []byte, conf bool, err error) {
	body := append([]byte(nil), tok[tokenHeaderLen:]...)
	if len(body) > 0 {
		rrc := int(h.RRC) % len(body)
		body = append(body[rrc:], body[:rrc]...) // rotate left by RRC
	}
	fromAcc := h.Flags&tokFlagSentByAcceptor != 0
	if h.Flags&tokFlagSealed != 0 {
		pt, err := decryptMessage(k, body, sealUsage(fromAcc))
		if err != nil {
			return nil, false, err
		}
		if len(pt) < int(h.EC)+tokenHeaderLen {
			return nil, false, newError(StatusDefectiveToken, 0, "sealed wrap token too short for EC %d", h.EC)
		}
		inner := pt[len(pt)-tokenHeaderLen:]
		// The encrypted copy of the header must match, except RRC
		// (RFC 4121, Section 4.2.4).
		if inner[0] != tok[0] || inner[1] != tok[1] || inner[2] != tok[2] || inner[3] != tok[3] ||
			inner[4] != tok[4] || inner[5] != tok[5] || string(inner[8:16]) != string(tok[8:16]) {
			return nil, false, newError(StatusBadSig, krbAPErrModified, "wrap token header does not match its encrypted copy")
		}
		return pt[:len(pt)-tokenHeaderLen-int(h.EC)], true, nil
	}
	cl := k.et.GetHMACBitLength() / 8
	if int(h.EC) != cl || len(body) < cl {
		return nil, false, newError(StatusDefectiveToken, 0, "wrap token EC %d, checksum length %d", h.EC, cl)
	}
	msg = body[:len(body)-cl]
	zero := tokenHeader{TokID: tokWrap, Flags: h.Flags, Seq: h.Seq}
	data := make([]byte, 0, len(msg)+tokenHeaderLen)
	data = append(append(data, msg...), zero.append(nil)...)
	ck, err := k.checksum(data, sealUsage(fromAcc))
	if err != nil {
		return nil, false, wrapError(StatusFailure, err, "computing wrap checksum")
	}
	if !hmac.Equal(ck, body[len(body)-cl:]) {
		return nil, false, newError(StatusBadSig, krbAPErrModified, "wrap token checksum does not match")
	}
	return msg, false, nil
}

// decryptMessage decrypts an RFC 3961 ciphertext (confounder, data,
// HMAC). gokrb5 slices without checking lengths, so they are checked
// here and any panic in it is turned into an error.
func decryptMessage(k *perMessageKey, ct []byte, usage uint32) (pt []byte, err error) {
	min := k.et.GetConfounderByteSize() + k.et.GetHMACBitLength()/8
	if len(ct) < min {
		return nil, newError(StatusDefectiveToken, 0, "ciphertext of %d bytes shorter than %d", len(ct), min)
	}
	defer func() {
		if r := recover(); r != nil {
			pt, err = nil, newError(StatusDefectiveToken, 0, "ciphertext rejected by decryption: %v", r)
		}
	}()
	pt, err = k.decrypt(ct, usage)
	if err != nil {
		return nil, wrapError(StatusBadSig, err, "decrypting")
	}
	return pt, nil
}

// wrapOverhead returns the bytes a Wrap token adds to a message.
func wrapOverhead(k *perMessageKey, conf bool) int {
	if conf {
		return tokenHeaderLen + k.et.GetConfounderByteSize() + tokenHeaderLen + k.et.GetHMACBitLength()/8
	}
	return tokenHeaderLen + k.et.GetHMACBitLength()/8
}
