package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sshstack/sshstack/wire"
)

// A Conn multiplexes channels over a wire.Transport (RFC 4254). It works
// the same on the client and the server side and knows nothing of how the
// transport was secured or authenticated; the caller runs it only after
// user authentication has succeeded (docs/security.md#a2).
//
// New makes a Conn; Run reads from the transport and owns the protocol
// state until the connection ends. Other goroutines use the Conn through
// its methods, which are safe for concurrent use. Incoming channels are
// delivered through Accept, incoming global requests through the hooks
// of Config, incoming channel requests through the RequestHandler of each
// channel.
type Conn struct {
	t   wire.Transport
	cfg Config
	log *slog.Logger

	// writeMu serialises writes to t and orders them with channel state
	// changes: a state change that must precede or follow a packet
	// (CLOSE after the last DATA) is made while holding it. Lock order:
	// writeMu, then mu, then a Channel's mu.
	writeMu sync.Mutex
	wbuf    []byte // guarded by writeMu; grows to the largest packet sent

	// Scratch for writeBatchLocked, guarded by writeMu.
	batchHead  [maxBatchPackets * 13]byte
	batchHeads [][]byte
	closeMsgs  [][]byte // the messages of Channel.close
	batchDatas [][]byte
	batchOffs  []int

	// The control queue: packets the Run goroutine sends (writer.go).
	ctlMu      sync.Mutex
	ctlQ       []ctlPacket  // guarded by ctlMu
	ctlErr     error        // guarded by ctlMu; a write failed
	ctlLen     atomic.Int32 // len(ctlQ), read on the data path without ctlMu
	ctlPending atomic.Int32 // queued and not yet written
	ctlWriting bool         // guarded by ctlMu; a writer goroutine is flushing
	ctlStopped bool         // guarded by ctlMu; Run ended: no more writers
	ctlWG      sync.WaitGroup
	ctlSpace   chan struct{} // capacity 1: the queue was emptied
	ctlDrained chan struct{} // capacity 1: ctlPending reached 0

	mu         sync.Mutex
	chans      []*Channel     // guarded by mu; index is the local id, nil is free
	nChans     int            // guarded by mu; allocated ids
	nSessions  int            // guarded by mu; incoming "session" channels
	acceptQ    []*NewChannel  // guarded by mu; opens waiting for Accept
	greplies   []*replyWaiter // guarded by mu; our global requests, FIFO
	noSessions bool           // guarded by mu; peer sent no-more-sessions
	err        error          // guarded by mu; first fatal error
	started    bool           // guarded by mu; Run was called
	closing    bool           // guarded by mu; Close was called
	deadClosed bool           // guarded by mu
	dead       chan struct{}  // closed when the Conn ends
	acceptSig  chan struct{}  // capacity 1: an open was queued
	handling   bool           // guarded by mu; handleOpens is running
	handleWG   sync.WaitGroup // handleOpens, joined by Run
	runDone    chan struct{}  // closed when Run returns
}

// New returns a Conn over t. It starts no goroutine: call Run. cfg may be
// nil; it is copied.
func New(t wire.Transport, cfg *Config) *Conn {
	d := cfg.withDefaults()
	return &Conn{
		t:          t,
		cfg:        d,
		log:        d.Logger,
		dead:       make(chan struct{}),
		acceptSig:  make(chan struct{}, 1),
		runDone:    make(chan struct{}),
		ctlSpace:   make(chan struct{}, 1),
		ctlDrained: make(chan struct{}, 1),
	}
}

// Run reads and dispatches packets until the connection ends, and returns
// why: ctx's error if ctx ended it, ErrClosed after Close, the transport's
// error, a *wire.DisconnectError if the peer disconnected, or the protocol
// error the peer committed. On a protocol error Run sends DISCONNECT
// (PROTOCOL_ERROR) before closing the transport. Run closes the transport
// before it returns, and may be called once.
func (c *Conn) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.started || c.closing {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	c.started = true
	c.mu.Unlock()
	defer close(c.runDone)

	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(stopped)
		c.t.Close()
	})
	defer c.handleWG.Wait()
	defer c.stopWriters()
	readErr, err := c.loop()
	if !stop() {
		<-stopped
	}
	if readErr { // the transport ended: say who ended it
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		switch {
		case closing:
			err = ErrClosed
		case ctx.Err() != nil:
			err = ctx.Err()
		}
	}
	return c.shutdown(err)
}

// loop reads and dispatches until an error; readErr reports whether the
// transport failed (rather than the peer breaking the protocol).
func (c *Conn) loop() (readErr bool, err error) {
	rel, _ := c.t.(wire.PacketReleaser)
	for {
		p, err := c.t.ReadPacket()
		if err != nil {
			return true, fmt.Errorf("connection: reading: %w", err)
		}
		if err := c.dispatch(p); err != nil {
			var de *wire.DisconnectError
			if !errors.As(err, &de) {
				c.disconnect(wire.ProtocolError, err.Error())
			}
			return false, err
		}
		// Channel data has been copied into its channel's buffer (or
		// dropped); nothing else holds the payload.
		if rel != nil && (p[0] == byte(wire.MsgChannelData) || p[0] == byte(wire.MsgChannelExtendedData)) {
			rel.ReleasePacket(p)
		}
	}
}

// shutdown records err as the Conn's error if it is the first, wakes every
// waiter, closes the transport and returns the sticky error.
func (c *Conn) shutdown(err error) error {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	err = c.err
	var chans []*Channel
	if !c.deadClosed {
		c.deadClosed = true
		close(c.dead)
		for _, ch := range c.chans {
			if ch != nil {
				chans = append(chans, ch)
			}
		}
		c.greplies = nil
	}
	c.mu.Unlock()
	for _, ch := range chans {
		ch.connDied(err)
	}
	c.t.Close()
	return err
}

// Err returns the error that ended the Conn, or nil while it runs.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done returns a channel closed when the Conn has ended; it never needs
// draining. After it is closed Err returns why.
func (c *Conn) Done() <-chan struct{} { return c.dead }

// Close closes the transport, which ends Run, and waits for Run to
// return. Pending calls return ErrClosed. Close is idempotent; it must
// not be called from a hook or a RequestHandler (they run on the Run
// goroutine). It does not send DISCONNECT: that is the caller's choice
// before Close.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closing = true
	started := c.started
	c.mu.Unlock()
	c.t.Close()
	if started {
		<-c.runDone
	} else {
		c.shutdown(ErrClosed)
	}
	return nil
}

// failed returns the Conn's error, or nil.
func (c *Conn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// writeLocked writes b, built in the shared buffer c.wbuf, after the
// queued control packets; c.writeMu held. It is for writers other than the
// Run goroutine, which queues instead (writer.go).
// writeSplitLocked is writeLocked of head followed by data through sw;
// c.writeMu held.
func (c *Conn) writeSplitLocked(sw wire.SplitWriter, head, data []byte) error {
	c.wbuf = head
	if err := c.flushLocked(); err != nil {
		return fmt.Errorf("connection: writing: %w", err)
	}
	if err := sw.WritePacketSplit(head, data); err != nil {
		err = fmt.Errorf("connection: writing: %w", err)
		c.ctlFailed(err)
		return err
	}
	return nil
}

// maxBatchPackets bounds the channel data packets Channel.Write hands the
// transport at once (wire.BatchWriter): eight of OpenSSH's 32 KiB, the
// most ReadFrom reads at a time. It is a count, not bytes, so that a peer
// announcing a tiny maximum packet cannot make a batch long.
const maxBatchPackets = 8

// writeBatchLocked sends data as CHANNEL_DATA (or stderr
// CHANNEL_EXTENDED_DATA) packets of at most sendMax bytes for channel
// rid, in one call of bw; c.writeMu held. The headers are built in
// c.batchHead, the data stays where it is.
func (c *Conn) writeBatchLocked(bw wire.BatchWriter, ext bool, rid uint32, sendMax int, data []byte) error {
	heads, datas := c.batchHeadsLocked(ext, rid, sendMax, len(data)), c.batchDatas[:0]
	for off := 0; off < len(data); off += sendMax {
		datas = append(datas, data[off:min(off+sendMax, len(data))])
	}
	c.batchDatas = datas[:0]
	defer clear(datas) // hold no reference to the caller's bytes
	return c.sendBatchLocked(func() error { return bw.WritePacketsSplit(heads, datas) })
}

// writeScratchLocked is writeBatchLocked of buf[off:off+n], which lies
// in a buffer the Conn may scribble around (wire.ScratchWriter): the
// transport puts each packet together where its data lies.
func (c *Conn) writeScratchLocked(sw wire.ScratchWriter, ext bool, rid uint32, sendMax int, buf []byte, off, n int) error {
	heads, offs := c.batchHeadsLocked(ext, rid, sendMax, n), append(c.batchOffs[:0], off)
	for o := off; o < off+n; {
		o = min(o+sendMax, off+n)
		offs = append(offs, o)
	}
	c.batchOffs = offs[:0]
	return c.sendBatchLocked(func() error { return sw.WritePacketsScratch(heads, buf, offs) })
}

// batchHeadsLocked returns the CHANNEL_DATA (or stderr
// CHANNEL_EXTENDED_DATA) headers of n bytes sent in packets of at most
// sendMax, in c's reused buffers; c.writeMu held.
func (c *Conn) batchHeadsLocked(ext bool, rid uint32, sendMax, n int) [][]byte {
	hl := 9
	if ext {
		hl = 13
	}
	heads := c.batchHeads[:0]
	for off := 0; off < n; off += sendMax {
		h := c.batchHead[len(heads)*13:][:0:hl]
		if ext {
			h = append(h, byte(wire.MsgChannelExtendedData))
			h = wire.AppendUint32(h, rid)
			h = wire.AppendUint32(h, wire.ExtendedDataStderr)
		} else {
			h = append(h, byte(wire.MsgChannelData))
			h = wire.AppendUint32(h, rid)
		}
		heads = append(heads, wire.AppendUint32(h, uint32(min(sendMax, n-off))))
	}
	c.batchHeads = heads[:0]
	return heads
}

// sendBatchLocked flushes what is pending and runs write, the batch's
// one call of the transport; c.writeMu held.
func (c *Conn) sendBatchLocked(write func() error) error {
	if err := c.flushLocked(); err != nil {
		return fmt.Errorf("connection: writing: %w", err)
	}
	if err := write(); err != nil {
		err = fmt.Errorf("connection: writing: %w", err)
		c.ctlFailed(err)
		return err
	}
	return nil
}

// writeMsgsLocked writes ps in order, in one call of the transport when
// it is a wire.BatchWriter; c.writeMu held.
func (c *Conn) writeMsgsLocked(ps [][]byte) error {
	bw, ok := c.t.(wire.BatchWriter)
	if !ok {
		for _, p := range ps {
			if err := c.writeLocked(p); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.flushLocked(); err != nil {
		return fmt.Errorf("connection: writing: %w", err)
	}
	c.batchDatas = c.batchDatas[:0]
	for range ps {
		c.batchDatas = append(c.batchDatas, nil)
	}
	err := bw.WritePacketsSplit(ps, c.batchDatas)
	if err != nil {
		err = fmt.Errorf("connection: writing: %w", err)
		c.ctlFailed(err)
		return err
	}
	return nil
}

func (c *Conn) writeLocked(b []byte) error {
	c.wbuf = b
	if err := c.flushLocked(); err != nil {
		return fmt.Errorf("connection: writing: %w", err)
	}
	if err := c.t.WritePacket(b); err != nil {
		err = fmt.Errorf("connection: writing: %w", err)
		c.ctlFailed(err)
		return err
	}
	return nil
}

// dispatch handles one packet from the peer. It runs on the Run
// goroutine; a non-nil error is fatal.
func (c *Conn) dispatch(p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("connection: empty packet: %w", wire.ErrTruncated)
	}
	switch num := wire.MsgNum(p[0]); num {
	case wire.MsgChannelData:
		m, err := wire.ParseChannelData(p)
		if err != nil {
			return err
		}
		return c.handleData(num, m.Recipient, false, 0, m.Data)
	case wire.MsgChannelExtendedData:
		m, err := wire.ParseChannelExtendedData(p)
		if err != nil {
			return err
		}
		return c.handleData(num, m.Recipient, true, m.DataType, m.Data)
	case wire.MsgChannelWindowAdjust:
		m, err := wire.ParseChannelWindowAdjust(p)
		if err != nil {
			return err
		}
		return c.handleWindowAdjust(m)
	case wire.MsgChannelEOF:
		m, err := wire.ParseChannelEOF(p)
		if err != nil {
			return err
		}
		return c.handleEOF(m.Recipient)
	case wire.MsgChannelClose:
		m, err := wire.ParseChannelClose(p)
		if err != nil {
			return err
		}
		return c.handleClose(m.Recipient)
	case wire.MsgChannelRequest:
		m, err := wire.ParseChannelRequest(p)
		if err != nil {
			return err
		}
		return c.handleRequest(m)
	case wire.MsgChannelSuccess:
		m, err := wire.ParseChannelSuccess(p)
		if err != nil {
			return err
		}
		return c.handleReply(num, m.Recipient, true)
	case wire.MsgChannelFailure:
		m, err := wire.ParseChannelFailure(p)
		if err != nil {
			return err
		}
		return c.handleReply(num, m.Recipient, false)
	case wire.MsgChannelOpen:
		m, err := wire.ParseChannelOpen(p)
		if err != nil {
			return err
		}
		return c.handleOpen(m)
	case wire.MsgChannelOpenConfirmation:
		m, err := wire.ParseChannelOpenConfirmation(p)
		if err != nil {
			return err
		}
		return c.handleOpenConfirmation(m)
	case wire.MsgChannelOpenFailure:
		m, err := wire.ParseChannelOpenFailure(p)
		if err != nil {
			return err
		}
		return c.handleOpenFailure(m)
	case wire.MsgGlobalRequest:
		m, err := wire.ParseGlobalRequest(p)
		if err != nil {
			return err
		}
		return c.handleGlobalRequest(m)
	case wire.MsgRequestSuccess:
		m, err := wire.ParseRequestSuccess(p)
		if err != nil {
			return err
		}
		return c.handleGlobalReply(true, m.Data)
	case wire.MsgRequestFailure:
		if _, err := wire.ParseRequestFailure(p); err != nil {
			return err
		}
		return c.handleGlobalReply(false, nil)
	case wire.MsgIgnore, wire.MsgDebug, wire.MsgUnimplemented, wire.MsgPing, wire.MsgPong:
		// Transport messages that a lower layer let through carry no
		// connection state (RFC 4253, Section 11). PING is answered by
		// the packet layer, never here (CVE-2025-26466).
		return nil
	case wire.MsgDisconnect:
		m, err := wire.ParseDisconnect(p)
		if err != nil {
			return err
		}
		return &wire.DisconnectError{Reason: m.Reason, Message: m.Description, Remote: true}
	default:
		return fmt.Errorf("connection: %v: %w", num, wire.ErrUnexpectedMessage)
	}
}

// freed reports whether id was allocated once and is free now: below the
// highest id ever used (ids are reused lowest first) and unused.
func (c *Conn) freed(id uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return uint64(id) < uint64(len(c.chans)) && c.chans[id] == nil
}

// lookup returns the channel with local id, or ErrUnknownChannel.
func (c *Conn) lookup(num wire.MsgNum, id uint32) (*Channel, error) {
	c.mu.Lock()
	var ch *Channel
	if uint64(id) < uint64(len(c.chans)) {
		ch = c.chans[id]
	}
	c.mu.Unlock()
	if ch == nil {
		return nil, fmt.Errorf("connection: %v for channel %d: %w", num, id, ErrUnknownChannel)
	}
	return ch, nil
}

// allocate reserves a local id for ch, or returns false at the cap.
func (c *Conn) allocate(ch *Channel) bool {
	if c.nChans >= c.cfg.MaxChannels {
		return false
	}
	id := slices.Index(c.chans, nil)
	if id < 0 {
		id = len(c.chans)
		c.chans = append(c.chans, nil)
	}
	c.chans[id] = ch
	ch.localID = uint32(id)
	c.nChans++
	return true
}

// free releases ch's local id.
func (c *Conn) free(ch *Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := ch.localID
	if uint64(id) < uint64(len(c.chans)) && c.chans[id] == ch {
		c.chans[id] = nil
		c.nChans--
		if ch.incomingSession {
			c.nSessions--
		}
	}
}

// Channels returns how many channels the Conn holds: open, being
// opened by either side, or closed by one side and not yet by the
// other. A server uses it for sshd's UnusedConnectionTimeout (no open
// channels for a while); forwarding listeners are not channels.
func (c *Conn) Channels() int { return c.channels() }

// channels returns the number of allocated channel ids.
func (c *Conn) channels() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nChans
}

// Accept waits for the next channel the peer opens and returns it. The
// caller must Accept or Reject it; until then it counts against the
// channel cap, and at most MaxPendingOpens wait before further opens are
// refused with RESOURCE_SHORTAGE.
func (c *Conn) Accept(ctx context.Context) (*NewChannel, error) {
	for {
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		if len(c.acceptQ) > 0 {
			nc := c.acceptQ[0]
			c.acceptQ[0] = nil
			c.acceptQ = c.acceptQ[1:]
			more := len(c.acceptQ) > 0
			c.mu.Unlock()
			if more {
				signal(c.acceptSig)
			}
			return nc, nil
		}
		c.mu.Unlock()
		select {
		case <-c.acceptSig:
		case <-c.dead:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// signal posts a wake-up token without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// A replyWaiter waits for the reply to one of our requests.
type replyWaiter struct {
	done chan struct{} // closed when ok and data are set
	ok   bool
	data []byte
}
