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
	tb, err := c.tgt.Marshal()
	if err != nil {
		return wrapError(StatusFailure, err, "encoding TGT")
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
	data := marshalCCache(c.name.principal, c.name.realm, entries)
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
