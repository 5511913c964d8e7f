// Package wiretest provides an in-memory wire.Transport pair for testing
// the layers above the packet layer (userauth, connection) without
// sockets, ciphers or key exchange.
package wiretest

import (
	"net"
	"sync"

	"github.com/sshstack/sshstack/wire"
)

// DefaultQueue is the number of payloads Pipe buffers per direction
// before WritePacket blocks, the same bound the packet layer puts on
// writes queued during key exchange (docs/security.md#r4).
const DefaultQueue = 64

// A Transport is one end of an in-memory pipe made by Pipe. It is safe
// for concurrent use and starts no goroutines.
type Transport struct {
	in   chan []byte   // payloads written by the peer
	out  chan []byte   // payloads for the peer
	done chan struct{} // closed when either end is closed; shared
	once *sync.Once    // closes done; shared

	mu        sync.Mutex
	closed    bool   // this end was closed; guarded by mu
	sessionID []byte // guarded by mu
}

var _ wire.Transport = (*Transport)(nil)

// Pipe returns the two ends of an in-memory Transport pair: what a writes
// b reads, in order, and the other way round. Each direction buffers
// DefaultQueue payloads.
func Pipe() (a, b *Transport) { return PipeSize(DefaultQueue) }

// PipeSize is Pipe with a queue of n payloads per direction (n >= 1).
func PipeSize(n int) (a, b *Transport) {
	if n < 1 {
		n = 1
	}
	ab, ba := make(chan []byte, n), make(chan []byte, n)
	done, once := make(chan struct{}), new(sync.Once)
	a = &Transport{in: ba, out: ab, done: done, once: once}
	b = &Transport{in: ab, out: ba, done: done, once: once}
	return a, b
}

// ReadPacket returns the next payload the peer wrote, blocking until
// there is one. The payload is a copy that the caller owns. After the
// peer closes, the payloads it wrote before are still returned, then
// net.ErrClosed; after this end is closed, ReadPacket returns
// net.ErrClosed at once.
func (t *Transport) ReadPacket() ([]byte, error) {
	if t.isClosed() {
		return nil, net.ErrClosed
	}
	select {
	case p := <-t.in:
		return p, nil
	default:
	}
	select {
	case p := <-t.in:
		return p, nil
	case <-t.done:
		// Writes that won the race with Close are still delivered.
		select {
		case p := <-t.in:
			if !t.isClosed() {
				return p, nil
			}
		default:
		}
		return nil, net.ErrClosed
	}
}

// WritePacket queues a copy of payload for the peer. It blocks while the
// queue is full and returns net.ErrClosed once either end is closed.
func (t *Transport) WritePacket(payload []byte) error {
	select {
	case <-t.done:
		return net.ErrClosed
	default:
	}
	p := append([]byte(nil), payload...)
	select {
	case t.out <- p:
		return nil
	case <-t.done:
		return net.ErrClosed
	}
}

// SessionID returns the identifier set with SetSessionID, or nil.
func (t *Transport) SessionID() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sessionID
}

// SetSessionID sets what SessionID returns on this end only; a test that
// needs both ends to agree sets both. The identifier is copied.
func (t *Transport) SetSessionID(id []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessionID = append([]byte(nil), id...)
}

// Close closes the pipe: blocked and later ReadPacket and WritePacket
// calls on both ends return net.ErrClosed (the peer first reads what was
// already queued for it). Close is idempotent and always returns nil.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.once.Do(func() { close(t.done) })
	return nil
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}
