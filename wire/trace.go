package wire

import (
	"strconv"
	"strings"
	"sync"
)

// A Direction says whether a traced message was sent or received.
type Direction uint8

// Directions of a TraceEvent.
const (
	DirSend Direction = iota // written to the peer
	DirRecv                  // read from the peer
)

func (d Direction) String() string {
	switch d {
	case DirSend:
		return "send"
	case DirRecv:
		return "recv"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// A Layer is the protocol layer a message number belongs to, by the
// ranges of RFC 4250, Section 4.1.2.
type Layer uint8

// Layers of RFC 4250, Section 4.1.2.
const (
	LayerTransport  Layer = iota // 1-19: transport generic
	LayerKex                     // 20-49: algorithm negotiation and key exchange
	LayerUserauth                // 50-79: user authentication
	LayerConnection              // 80-127: connection protocol
	LayerOther                   // 0 and 128-255: reserved, local extensions
)

var layerNames = [...]string{
	LayerTransport:  "transport",
	LayerKex:        "kex",
	LayerUserauth:   "userauth",
	LayerConnection: "connection",
	LayerOther:      "other",
}

func (l Layer) String() string {
	if int(l) < len(layerNames) {
		return layerNames[l]
	}
	return "Layer(" + strconv.Itoa(int(l)) + ")"
}

// LayerOf returns the layer that owns message number n (RFC 4250,
// Section 4.1.2).
func LayerOf(n MsgNum) Layer {
	switch {
	case n >= 1 && n <= 19:
		return LayerTransport
	case n >= 20 && n <= 49:
		return LayerKex
	case n >= 50 && n <= 79:
		return LayerUserauth
	case n >= 80 && n <= 127:
		return LayerConnection
	}
	return LayerOther
}

// A TraceEvent is one message of a connection as seen by a trace hook.
// Description is the output of Describe in the message's context, so it
// is safe to log: secrets are redacted and peer text is sanitised.
type TraceEvent struct {
	Dir         Direction
	Layer       Layer
	Seq         uint32 // the packet sequence number (RFC 4253, Section 6.4)
	Description Description
}

// String renders e on one line, for example
// "send kex #0 KEXINIT cookie=... kex_algorithms=...".
func (e TraceEvent) String() string {
	return e.Dir.String() + " " + e.Layer.String() + " #" + strconv.FormatUint(uint64(e.Seq), 10) + " " + e.Description.String()
}

// A Tracer receives every message of a connection, in the order each
// direction carries them. It is called synchronously on the goroutine
// that reads or writes the packet, so it must be quick and must not call
// back into the connection. Sends and receives may be traced concurrently.
type Tracer func(TraceEvent)

// A TraceDescriber turns the payloads of one connection into TraceEvents.
// It follows the negotiated key exchange method (from both KEXINITs) and
// the user authentication method (from the last USERAUTH_REQUEST) so that
// the method-specific numbers 30-49 and 60-79 are described in their
// Context. Its methods are safe for concurrent use.
type TraceDescriber struct {
	server bool // which KEXINIT is the client's

	mu         sync.Mutex
	clientKex  []string // kex_algorithms of the client's KEXINIT; guarded by mu
	serverKex  []string // guarded by mu
	kexCtx     Context  // guarded by mu
	authCtx    Context  // guarded by mu
	haveKexCtx bool     // guarded by mu
}

// NewTraceDescriber returns a describer for a connection on the client
// side, or on the server side if server is set.
func NewTraceDescriber(server bool) *TraceDescriber {
	return &TraceDescriber{server: server}
}

// Event describes payload, a whole message number-first payload carried
// in direction dir under sequence number seq. It does not retain payload.
func (t *TraceDescriber) Event(dir Direction, seq uint32, payload []byte) TraceEvent {
	var n MsgNum
	if len(payload) > 0 {
		n = MsgNum(payload[0])
	}
	t.mu.Lock()
	t.observe(dir, n, payload)
	ctx := ContextNone
	switch {
	case n >= 30 && n <= 49:
		ctx = t.kexCtx
	case n >= 60 && n <= 79:
		ctx = t.authCtx
	}
	t.mu.Unlock()
	return TraceEvent{Dir: dir, Layer: LayerOf(n), Seq: seq, Description: Describe(payload, ctx)}
}

// observe updates the contexts from KEXINIT and USERAUTH_REQUEST.
func (t *TraceDescriber) observe(dir Direction, n MsgNum, payload []byte) {
	switch n {
	case MsgKexInit:
		m, err := ParseKexInit(payload)
		if err != nil {
			return
		}
		if t.haveKexCtx { // a new key exchange starts
			t.clientKex, t.serverKex, t.haveKexCtx = nil, nil, false
		}
		if (dir == DirSend) != t.server {
			t.clientKex = m.KexAlgorithms
		} else {
			t.serverKex = m.KexAlgorithms
		}
		if t.clientKex != nil && t.serverKex != nil {
			t.kexCtx = kexContext(negotiate(t.clientKex, t.serverKex))
			t.haveKexCtx = true
		}
	case MsgUserauthRequest:
		r := NewReader(payload[1:])
		r.UTF8()
		r.Text()
		method := r.Text()
		if r.Err() != nil {
			return
		}
		t.authCtx = authContext(method)
	}
}

// negotiate returns the first of the client's names the server also
// lists (RFC 4253, Section 7.1), or "".
func negotiate(client, server []string) string {
	for _, c := range client {
		for _, s := range server {
			if c == s {
				return c
			}
		}
	}
	return ""
}

// kexContext maps a key exchange method name to its message context.
func kexContext(name string) Context {
	switch {
	case name == "":
		return ContextNone
	case strings.HasPrefix(name, "diffie-hellman-group-exchange-"):
		return ContextKexDHGex
	case strings.HasPrefix(name, "diffie-hellman-group"):
		return ContextKexDH
	case strings.HasPrefix(name, "gss-"):
		return ContextKexGSS
	}
	return ContextKexECDH // ecdh-sha2-*, curve25519-*, sntrup761x25519-*, mlkem768x25519-*
}

// authContext maps a user authentication method name to its context.
func authContext(method string) Context {
	switch method {
	case MethodPublicKey:
		return ContextAuthPublicKey
	case MethodPassword:
		return ContextAuthPassword
	case MethodKeyboardInteractive:
		return ContextAuthKeyboardInteractive
	case MethodGSSAPIWithMIC:
		return ContextAuthGSSAPI
	}
	return ContextNone
}
