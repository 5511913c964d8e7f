package kex

// KexCount returns how many key exchanges t has completed, for tests.
func KexCount(t *Transport) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kexCount
}
