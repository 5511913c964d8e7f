package kex

// KexCount returns how many key exchanges t has completed, for tests.
func KexCount(t *Transport) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kexCount
}

// SetPacketLimit lowers the per-key packet limit for a test and returns a
// function that restores it.
func SetPacketLimit(n uint64) (restore func()) {
	old := packetLimit
	packetLimit = n
	return func() { packetLimit = old }
}

// PendingPings is how many Ping calls wait for a PONG.
func PendingPings(t *Transport) int {
	t.pingMu.Lock()
	defer t.pingMu.Unlock()
	return len(t.pings)
}
