package gssapi

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MIT file credential cache, version 4
// (https://web.mit.edu/kerberos/krb5-latest/doc/formats/ccache_file_format.html).
// gokrb5 reads this format; this file writes it.

// A ccacheEntry is one credential of a cache file.
type ccacheEntry struct {
	client, server types.PrincipalName
	crealm, srealm string
	key            types.EncryptionKey
	authTime       time.Time
	startTime      time.Time
	endTime        time.Time
	renewTill      time.Time
	flags          asn1.BitString
	ticket         []byte // DER Ticket
}

func appendCCString(b []byte, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendCCPrincipal(b []byte, pn types.PrincipalName, realm string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(pn.NameType))
	b = binary.BigEndian.AppendUint32(b, uint32(len(pn.NameString)))
	b = appendCCString(b, []byte(realm))
	for _, c := range pn.NameString {
		b = appendCCString(b, []byte(c))
	}
	return b
}

func ccTime(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	return uint32(t.Unix())
}

// marshalCCache encodes a version 4 cache with default principal
// client@realm and the entries.
func marshalCCache(client types.PrincipalName, realm string, entries []ccacheEntry) []byte {
	b := []byte{0x05, 0x04}
	// Header: one field, tag 1 (KDC time offset), 8 bytes of zero.
	b = binary.BigEndian.AppendUint16(b, 12)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 8)
	b = append(b, make([]byte, 8)...)
	b = appendCCPrincipal(b, client, realm)
	for _, e := range entries {
		b = appendCCPrincipal(b, e.client, e.crealm)
		b = appendCCPrincipal(b, e.server, e.srealm)
		b = binary.BigEndian.AppendUint16(b, uint16(e.key.KeyType))
		b = appendCCString(b, e.key.KeyValue)
		b = binary.BigEndian.AppendUint32(b, ccTime(e.authTime))
		b = binary.BigEndian.AppendUint32(b, ccTime(e.startTime))
		b = binary.BigEndian.AppendUint32(b, ccTime(e.endTime))
		b = binary.BigEndian.AppendUint32(b, ccTime(e.renewTill))
		b = append(b, 0) // is_skey
		var fl [4]byte
		copy(fl[:], e.flags.Bytes)
		b = append(b, fl[:]...)
		b = binary.BigEndian.AppendUint32(b, 0) // addresses
		b = binary.BigEndian.AppendUint32(b, 0) // authdata
		b = appendCCString(b, e.ticket)
		b = appendCCString(b, nil) // second ticket
	}
	return b
}

// ccacheBytes encodes the TGT and cached service tickets as a version 4
// cache.
func (c *Credential) ccacheBytes() ([]byte, error) {
	tb, err := c.tgt.Marshal()
	if err != nil {
		return nil, wrapError(StatusFailure, err, "encoding TGT")
	}
	entries := []ccacheEntry{{
		client: c.name.principal, crealm: c.name.realm,
		server: c.tgt.SName, srealm: c.tgt.Realm,
		key: c.tgtKey, authTime: c.authTime, startTime: c.start, endTime: c.end, renewTill: c.renew,
		flags: c.tgtFlags, ticket: tb,
	}}
	c.mu.Lock()
	for _, st := range c.tickets {
		b, err := st.tkt.Marshal()
		if err != nil {
			continue
		}
		entries = append(entries, ccacheEntry{
			client: c.name.principal, crealm: c.name.realm,
			server: st.tkt.SName, srealm: st.tkt.Realm,
			key: st.key, authTime: c.authTime, startTime: c.start, endTime: st.end,
			flags: st.flags, ticket: b,
		})
	}
	c.mu.Unlock()
	return marshalCCache(c.name.principal, c.name.realm, entries), nil
}

// WriteCCache writes the credential's TGT and cached service tickets to
// a new MIT version 4 credential cache file ("FILE:" prefix optional),
// mode 0600, replacing the file atomically. Programs such as klist and
// kinit-using clients read it. It fails with ErrNoCred for an
// acceptor-only credential.
func (c *Credential) WriteCCache(path string) error {
	if !c.canInitiate() || c.name == nil || len(c.tgt.SName.NameString) == 0 {
		return newError(StatusNoCred, 0, "credential has no TGT to store")
	}
	if path == "" {
		return newError(StatusFailure, 0, "no credential cache path")
	}
	p, err := ccachePath(path, "")
	if err != nil {
		return err
	}
	data, err := c.ccacheBytes()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".ccache-")
	if err != nil {
		return wrapError(StatusFailure, err, "writing credential cache")
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o600)
	}
	if werr == nil {
		werr = os.Rename(tmp, p)
	}
	if werr != nil {
		os.Remove(tmp)
		return wrapError(StatusFailure, werr, "writing credential cache %s", p)
	}
	return nil
}

// parseCCache decodes a version 3 or 4 file credential cache. gokrb5's
// reader allocates whatever counts the file claims (and panics on short
// input), so this package reads caches itself. Configuration entries
// (realm "X-CACHECONF:") are skipped.
func parseCCache(b []byte) (types.PrincipalName, string, []ccacheEntry, error) {
	r := &ccReader{b: b}
	var pn types.PrincipalName
	if len(b) < 2 || b[0] != 0x05 || (b[1] != 0x03 && b[1] != 0x04) {
		return pn, "", nil, newError(StatusDefectiveCredential, 0, "not a version 3 or 4 credential cache")
	}
	r.off = 2
	v3 := b[1] == 0x03
	if !v3 {
		r.bytes(int(r.u16())) // header fields
	}
	pn, realm := r.principal()
	var entries []ccacheEntry
	for r.err == nil && r.off < len(b) {
		var e ccacheEntry
		e.client, e.crealm = r.principal()
		e.server, e.srealm = r.principal()
		e.key.KeyType = int32(r.u16())
		if v3 {
			r.u16()
		}
		e.key.KeyValue = r.data()
		e.authTime, e.startTime, e.endTime, e.renewTill = r.time(), r.time(), r.time(), r.time()
		r.bytes(1) // is_skey
		fl := r.bytes(4)
		e.flags = asn1.BitString{Bytes: append([]byte(nil), fl...), BitLength: 32}
		for n := r.u32(); n > 0 && r.err == nil; n-- { // addresses
			r.u16()
			r.data()
		}
		for n := r.u32(); n > 0 && r.err == nil; n-- { // authorization data
			r.u16()
			r.data()
		}
		e.ticket = r.data()
		r.data() // second ticket
		if r.err == nil && e.srealm != "X-CACHECONF:" {
			entries = append(entries, e)
		}
	}
	if r.err != nil {
		return pn, "", nil, r.err
	}
	return pn, realm, entries, nil
}

// ccReader reads big-endian cache fields and keeps the first error.
type ccReader struct {
	b   []byte
	off int
	err error
}

func (r *ccReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = newError(StatusDefectiveCredential, 0, "credential cache truncated at offset %d", r.off)
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *ccReader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *ccReader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *ccReader) data() []byte {
	n := r.u32()
	if n > uint32(len(r.b)) {
		r.bytes(-1)
		return nil
	}
	return append([]byte(nil), r.bytes(int(n))...)
}

func (r *ccReader) time() time.Time {
	t := r.u32()
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

func (r *ccReader) principal() (types.PrincipalName, string) {
	pn := types.PrincipalName{NameType: int32(r.u32())}
	n := r.u32()
	realm := string(r.data())
	for ; n > 0 && r.err == nil; n-- {
		pn.NameString = append(pn.NameString, string(r.data()))
	}
	return pn, realm
}
