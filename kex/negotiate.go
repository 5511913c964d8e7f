package kex

import (
	"slices"
	"strings"
	"sync"

	"github.com/sshstack/sshstack/cipher"
	"github.com/sshstack/sshstack/wire"
)

// Algorithms is the outcome of algorithm negotiation (RFC 4253,
// Section 7.1).
type Algorithms struct {
	Kex            string
	HostKey        string
	ClientToServer DirectionAlgorithms
	ServerToClient DirectionAlgorithms
}

// DirectionAlgorithms are the algorithms of one direction. MAC is empty
// when Cipher is an AEAD algorithm, which protects integrity itself.
type DirectionAlgorithms struct {
	Cipher      string
	MAC         string
	Compression string
}

// algNames holds one copy of each negotiated algorithm name, so that a
// connection's Algorithms do not pin the name-lists of the KEXINITs they
// were parsed from. Names must be on our own list to be negotiated, so
// the set is bounded by what the process offers.
var algNames sync.Map

func internName(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := algNames.Load(s); ok {
		return v.(string)
	}
	c := strings.Clone(s)
	v, _ := algNames.LoadOrStore(c, c)
	return v.(string)
}

func (a *Algorithms) intern() {
	for _, p := range []*string{&a.Kex, &a.HostKey,
		&a.ClientToServer.Cipher, &a.ClientToServer.MAC, &a.ClientToServer.Compression,
		&a.ServerToClient.Cipher, &a.ServerToClient.MAC, &a.ServerToClient.Compression} {
		*p = internName(*p)
	}
}

// Negotiate picks the algorithms for a key exchange from the client's and
// the server's KEXINIT (RFC 4253, Section 7.1): in each category the first
// algorithm on the client's list that is also on the server's.
//
// The kex algorithm is the first of the client's that the server also
// offers and whose host-key needs can be met: a method that needs a
// signature (every method but those implementing HostKeyOptional) needs a
// common host key algorithm other than "null". Capability markers
// (ext-info-*, kex-strict-*) are never chosen. methods resolves kex names;
// nil means the package registry. A name it does not know is treated as
// needing a host key. When the cipher of a direction is AEAD, no MAC is
// negotiated for it and the MAC lists may have nothing in common.
//
// A category with nothing in common yields a *NegotiationError, which
// unwraps to ErrNoCommonAlgorithm.
func Negotiate(client, server *wire.KexInit, methods func(name string) (Method, bool)) (Algorithms, error) {
	if methods == nil {
		methods = Lookup
	}
	var a Algorithms
	needs := func(name string) bool {
		m, ok := methods(name)
		return !ok || needsHostKey(m)
	}
	commonSigHostKey := firstCommon(client.ServerHostKeyAlgorithms, server.ServerHostKeyAlgorithms, func(s string) bool { return s != NullHostKey }) != ""
	a.Kex = firstCommon(client.KexAlgorithms, server.KexAlgorithms, func(name string) bool {
		if IsMarker(name) {
			return false
		}
		return !needs(name) || commonSigHostKey
	})
	if a.Kex == "" {
		return a, &NegotiationError{"kex", client.KexAlgorithms, server.KexAlgorithms}
	}
	kexNeedsSig := needs(a.Kex)
	a.HostKey = firstCommon(client.ServerHostKeyAlgorithms, server.ServerHostKeyAlgorithms, func(s string) bool {
		return s != NullHostKey || !kexNeedsSig
	})
	if a.HostKey == "" {
		return a, &NegotiationError{"host key", client.ServerHostKeyAlgorithms, server.ServerHostKeyAlgorithms}
	}
	var err error
	if a.ClientToServer, err = negotiateDirection("client to server", client.CiphersClientServer, server.CiphersClientServer,
		client.MACsClientServer, server.MACsClientServer, client.CompressionClientServer, server.CompressionClientServer); err != nil {
		return a, err
	}
	if a.ServerToClient, err = negotiateDirection("server to client", client.CiphersServerClient, server.CiphersServerClient,
		client.MACsServerClient, server.MACsServerClient, client.CompressionServerClient, server.CompressionServerClient); err != nil {
		return a, err
	}
	return a, nil
}

func negotiateDirection(dir string, cc, sc, cm, sm, cz, sz []string) (DirectionAlgorithms, error) {
	var d DirectionAlgorithms
	if d.Cipher = firstCommon(cc, sc, nil); d.Cipher == "" {
		return d, &NegotiationError{"cipher " + dir, cc, sc}
	}
	if !IsAEAD(d.Cipher) {
		if d.MAC = firstCommon(cm, sm, nil); d.MAC == "" {
			return d, &NegotiationError{"MAC " + dir, cm, sm}
		}
	}
	if d.Compression = firstCommon(cz, sz, nil); d.Compression == "" {
		return d, &NegotiationError{"compression " + dir, cz, sz}
	}
	return d, nil
}

// IsAEAD reports whether the named cipher is an AEAD algorithm in the
// cipher registry, for which no MAC is negotiated.
func IsAEAD(name string) bool {
	a, ok := cipher.LookupAlgorithm(name)
	return ok && a.AEAD()
}

// firstCommon returns the first name of client that server also lists
// and ok accepts (nil accepts all), or "". It hashes server's list, so
// the cost is linear in the lengths (docs/security.md#w2).
func firstCommon(client, server []string, ok func(string) bool) string {
	set := make(map[string]struct{}, len(server))
	for _, s := range server {
		set[s] = struct{}{}
	}
	for _, c := range client {
		if _, in := set[c]; in && (ok == nil || ok(c)) {
			return c
		}
	}
	return ""
}

// GuessMatches reports whether a first_kex_packet_follows guess based on
// the sender's first kex and host key algorithms is right: both sides
// list the same first kex algorithm and the same first host key
// algorithm (RFC 4253, Section 7). When it is wrong the guessed packet
// must be ignored (docs/security.md#k9).
func GuessMatches(client, server *wire.KexInit) bool {
	first := func(l []string) string {
		for _, s := range l {
			if !IsMarker(s) {
				return s
			}
		}
		return ""
	}
	return first(client.KexAlgorithms) == first(server.KexAlgorithms) &&
		first(client.ServerHostKeyAlgorithms) == first(server.ServerHostKeyAlgorithms)
}

// HasMarker reports whether a KEXINIT's kex_algorithms lists marker.
func HasMarker(m *wire.KexInit, marker string) bool {
	return slices.Contains(m.KexAlgorithms, marker)
}
