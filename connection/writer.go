package connection

import (
	"fmt"
	"time"

	"github.com/sshstack/sshstack/wire"
)

// MaxControlQueue caps the packets the Run goroutine queues for sending:
// replies to requests, answers to CHANNEL_CLOSE, OPEN_FAILUREs. The Run
// goroutine never writes to the transport itself, so it keeps reading (and
// the peer's writes keep draining) while our data writers wait for
// transport space; this is what keeps two Conns that both send bulk data
// from deadlocking. Past this cap the Run goroutine stops reading until
// the peer reads our replies: back-pressure for request floods
// (docs/security.md#c7).
const MaxControlQueue = 256

// A ctlPacket is one queued packet.
type ctlPacket struct {
	b     []byte
	ch    *Channel // the channel a reply or adjust is for; nil for connection-level packets
	close bool     // b is ch's CHANNEL_CLOSE
}

// enqueue queues p for a writer goroutine, starting one if none is
// flushing: an idle Conn has no writer goroutine at all. It runs on the
// Run goroutine and blocks only while the queue is full.
func (c *Conn) enqueue(p ctlPacket) error {
	for {
		c.ctlMu.Lock()
		if c.ctlErr != nil {
			err := c.ctlErr
			c.ctlMu.Unlock()
			return err
		}
		if len(c.ctlQ) < MaxControlQueue {
			c.ctlQ = append(c.ctlQ, p)
			c.ctlLen.Store(int32(len(c.ctlQ)))
			c.ctlPending.Add(1)
			if !c.ctlWriting && !c.ctlStopped {
				c.ctlWriting = true
				c.ctlWG.Add(1)
				go c.writer()
			}
			c.ctlMu.Unlock()
			return nil
		}
		c.ctlMu.Unlock()
		<-c.ctlSpace // signalled by every flush and by a write error
	}
}

// send queues m as a connection-level packet.
func (c *Conn) send(m wire.Message) error { return c.enqueue(ctlPacket{b: m.Append(nil)}) }

// flushLocked writes the queued packets; c.writeMu held. Every writer
// flushes before writing its own packet, so queued replies keep their
// place before anything sent after them. A reply or adjust for a channel
// whose CLOSE went out meanwhile is dropped (nothing may follow CLOSE).
func (c *Conn) flushLocked() error {
	if c.ctlLen.Load() == 0 {
		return nil
	}
	c.ctlMu.Lock()
	q := c.ctlQ
	c.ctlQ = nil
	c.ctlLen.Store(0)
	c.ctlMu.Unlock()
	signal(c.ctlSpace)
	for i, p := range q {
		if p.ch != nil && p.ch.closeWritten {
			c.sent(1)
			continue
		}
		if err := c.t.WritePacket(p.b); err != nil {
			c.ctlFailed(fmt.Errorf("connection: writing: %w", err))
			c.sent(len(q) - i)
			return err
		}
		if p.close {
			p.ch.closeWritten = true
		}
		c.sent(1)
	}
	return nil
}

// sent counts n queued packets as written (or dropped).
func (c *Conn) sent(n int) {
	if c.ctlPending.Add(int32(-n)) == 0 {
		signal(c.ctlDrained)
	}
}

// ctlFailed makes later enqueues fail with err and wakes a blocked one.
func (c *Conn) ctlFailed(err error) {
	c.ctlMu.Lock()
	if c.ctlErr == nil {
		c.ctlErr = err
	}
	n := len(c.ctlQ)
	c.ctlQ = nil
	c.ctlLen.Store(0)
	c.ctlMu.Unlock()
	c.sent(n)
	signal(c.ctlSpace)
}

// writer flushes the queue until it is empty, then ends; enqueue starts
// the next one. Data writers flush too, before their own packets, so the
// queue may be empty by the time writer gets writeMu.
func (c *Conn) writer() {
	defer c.ctlWG.Done()
	for {
		c.writeMu.Lock()
		err := c.flushLocked()
		c.writeMu.Unlock()
		c.ctlMu.Lock()
		if err != nil || len(c.ctlQ) == 0 {
			c.ctlWriting = false
			c.ctlMu.Unlock()
			return
		}
		c.ctlMu.Unlock()
	}
}

// stopWriters keeps enqueue from starting writers and waits for the one
// running, if any; Run calls it once the transport is closed, which ends
// a write the peer does not read.
func (c *Conn) stopWriters() {
	c.ctlMu.Lock()
	c.ctlStopped = true
	c.ctlMu.Unlock()
	c.ctlWG.Wait()
}

// disconnectTimeout bounds how long Run waits for its DISCONNECT to be
// written when the peer does not read.
const disconnectTimeout = time.Second

// disconnect queues DISCONNECT and waits, briefly, until it is written.
func (c *Conn) disconnect(reason wire.DisconnectReason, msg string) {
	c.log.Debug("connection: disconnecting", "reason", reason, "err", msg)
	if c.send(&wire.Disconnect{Reason: reason, Description: msg}) != nil {
		return
	}
	t := time.NewTimer(disconnectTimeout)
	defer t.Stop()
	for c.ctlPending.Load() > 0 {
		select {
		case <-c.ctlDrained:
		case <-t.C:
			return
		}
	}
}
