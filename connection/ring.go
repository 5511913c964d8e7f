package connection

// A ring is a byte FIFO that grows on demand. Its size never exceeds the
// bytes written and not yet read, rounded up; the channel window bounds
// that (docs/security.md#c1). It is guarded by its channel's mutex.
type ring struct {
	limit int // capacity cap: the channel's window
	b     []byte
	r     int // read offset
	n     int // bytes buffered
}

func (q *ring) len() int { return q.n }

// write appends p, growing the buffer if needed.
func (q *ring) write(p []byte) {
	if q.n+len(p) > len(q.b) {
		q.grow(q.n + len(p))
	}
	w := q.r + q.n
	if w >= len(q.b) {
		w -= len(q.b)
	}
	c := copy(q.b[w:], p)
	copy(q.b, p[c:])
	q.n += len(p)
}

// read moves up to len(p) bytes into p.
func (q *ring) read(p []byte) int {
	n := 0
	for n < len(p) && q.n > 0 {
		end := min(q.r+q.n, len(q.b))
		c := copy(p[n:], q.b[q.r:end])
		n += c
		q.n -= c
		q.r += c
		if q.r == len(q.b) {
			q.r = 0
		}
	}
	if q.n == 0 {
		q.r = 0
	}
	return n
}

// peek returns the first contiguous run of buffered bytes, at most max,
// without consuming it. The bytes stay in place until discard: write
// only fills the free part of the buffer, and grow copies into a new one.
func (q *ring) peek(max int) []byte {
	end := min(q.r+q.n, len(q.b), q.r+max)
	return q.b[q.r:end]
}

// discard consumes the first n buffered bytes (at most what is buffered).
func (q *ring) discard(n int) {
	n = min(n, q.n)
	q.n -= n
	if q.r += n; q.r >= len(q.b) {
		q.r -= len(q.b)
	}
	if q.n == 0 {
		q.r = 0
	}
}

func (q *ring) grow(need int) {
	size := max(2*len(q.b), 4096)
	for size < need {
		size *= 2
	}
	if q.limit > 0 && size > q.limit {
		size = max(q.limit, need)
	}
	b := make([]byte, size)
	n := q.n
	q.read(b[:n])
	q.b, q.r, q.n = b, 0, n
}
