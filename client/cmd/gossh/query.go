package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/sshstack/sshstack/client"
	"github.com/sshstack/sshstack/hostkey"
	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/packet"
)

// versionLine is what -V prints, as ssh -V prints "OpenSSH_9.2p1 ...,
// OpenSSL ...": our identification and the Go release.
func versionLine() string {
	return strings.TrimPrefix(packet.DefaultVersion, "SSH-2.0-") + " (gossh), " + runtime.Version()
}

// queries are ssh -Q's query names (OpenSSH 9.2, ssh.c), each with what
// gossh lists for it: every algorithm it can use, one per line. The
// keyword names ssh also takes (Ciphers, MACs, ...) are in queryAliases.
var queries = map[string]func() []string{
	"cipher": func() []string { return client.SupportedAlgorithms(client.AlgCiphers) },
	"cipher-auth": func() []string {
		return slices.DeleteFunc(client.SupportedAlgorithms(client.AlgCiphers), func(c string) bool {
			return !strings.Contains(c, "gcm@") && !strings.HasPrefix(c, "chacha20-poly1305")
		})
	},
	"mac":       func() []string { return client.SupportedAlgorithms(client.AlgMACs) },
	"kex":       func() []string { return client.SupportedAlgorithms(client.AlgKex) },
	"kex-gss":   gsskex.Families,
	"key":       func() []string { return slices.Concat(keyTypes(), certTypes()) },
	"key-plain": keyTypes,
	"key-cert":  certTypes,
	"key-sig":   func() []string { return client.SupportedAlgorithms(client.AlgKeys) },
	"sig": func() []string {
		return slices.DeleteFunc(client.SupportedAlgorithms(client.AlgKeys), hostkey.IsCertAlgorithm)
	},
	"compression": func() []string {
		return []string{packet.CompressionNone, packet.CompressionDelayed, packet.CompressionZlib}
	},
	"protocol-version": func() []string { return []string{"2"} },
}

// queryAliases are the configuration keywords ssh -Q takes for the
// lists they choose from (case-insensitive, as ssh compares them).
var queryAliases = map[string]string{
	"ciphers": "cipher", "macs": "mac", "kexalgorithms": "kex",
	"hostkeyalgorithms": "key-sig", "hostbasedkeytypes": "key-sig", "hostbasedacceptedkeytypes": "key-sig", "hostbasedacceptedalgorithms": "key-sig",
	"pubkeyacceptedkeytypes": "key-sig", "pubkeyacceptedalgorithms": "key-sig",
}

// keyTypes are the public key types, certificates left out, in a fixed
// order.
func keyTypes() []string {
	t := hostkey.Algorithms()
	slices.Sort(t)
	return t
}

// certTypes are the certificate types of keyTypes.
func certTypes() []string {
	var c []string
	for _, t := range keyTypes() {
		c = append(c, hostkey.CertAlgorithm(t))
	}
	return c
}

// query runs -Q q: the list, one name per line, and 0; for "help" the
// query names; for anything else ssh's message and 255.
func query(stdout, stderr io.Writer, q string) int {
	if q == "help" {
		names := make([]string, 0, len(queries))
		for n := range queries {
			names = append(names, n)
		}
		slices.Sort(names)
		fmt.Fprintln(stdout, strings.Join(names, "\n"))
		return 0
	}
	name := q
	if a, ok := queryAliases[strings.ToLower(q)]; ok {
		name = a
	}
	list, ok := queries[name]
	if !ok {
		fmt.Fprintf(stderr, "Unsupported query \"%s\"\n", q)
		return 255
	}
	for _, n := range list() {
		fmt.Fprintln(stdout, n)
	}
	return 0
}
