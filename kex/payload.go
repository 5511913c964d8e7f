package kex

import "sync"

// The read loop hands ReadPacket a copy of each payload, so that it can
// go on reading while the consumer works. Bulk channel data, the bulk of
// the traffic, is copied into buffers from payloadPool, which
// ReleasePacket refills; other payloads are plain allocations.
const (
	// pooledPayload is the size of a pooled buffer: CHANNEL_DATA of a
	// 32 KiB maximum packet (the default of OpenSSH and of package
	// connection) with room to spare.
	pooledPayload = 32<<10 + 256
	// minPooled is the smallest payload copied into a pooled buffer;
	// smaller ones would waste most of it if never released.
	minPooled = 8 << 10
)

var payloadPool = sync.Pool{New: func() any { return new([pooledPayload]byte) }}

// deliverCopy copies p for delivery.
func deliverCopy(p []byte) []byte {
	if len(p) < minPooled || len(p) > pooledPayload {
		return clone(p)
	}
	return append(payloadPool.Get().(*[pooledPayload]byte)[:0], p...)
}

// ReleasePacket hands back a payload ReadPacket returned, for reuse
// (wire.PacketReleaser). The caller must not use it afterwards. Payloads
// that did not come from the pool are ignored.
func (t *Transport) ReleasePacket(p []byte) {
	if cap(p) != pooledPayload {
		return
	}
	payloadPool.Put((*[pooledPayload]byte)(p[:pooledPayload]))
}
