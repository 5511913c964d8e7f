package packet

// SetSeqForTest injects sequence numbers (docs/security.md#p7).
func SetSeqForTest(c *Conn, read, write uint32) {
	c.rd.seq = read
	c.wmu.Lock()
	c.wr.seq = write
	c.wmu.Unlock()
}

// ReadBufferCap reports the read buffer's size, for allocation bounds.
func ReadBufferCap(c *Conn) int { return cap(c.rbuf) }

// NewInflateForTest returns the streaming inflater as a function.
func NewInflateForTest() func(p []byte, limit int) ([]byte, error) {
	var z inflate
	return z.decompress
}

// PairedMACs reports how many SumPair calls each direction has made
// (decision 0037).
func PairedMACs(c *Conn) (read, write uint64) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.rd.paired, c.wr.paired
}

// NoPairedMACs makes c compute every MAC alone, as before decision 0037.
func NoPairedMACs(c *Conn) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.rd.pair, c.wr.pair = nil, nil
}
