package connection

import (
	"context"
	"io"
	"net"
	"sync"
)

// Proxy copies between ch and a local connection nc both ways, passing
// half-closes on (CHANNEL_EOF to CloseWrite and back), until both
// directions are done, the channel is closed, or ctx ends; then it
// closes both. A CLOSE from the peer stops only the reading of nc: what
// the channel still holds is written to nc first (Read drains the buffer
// before it reports io.EOF), so data followed at once by EOF and CLOSE is
// not lost. It is what port, agent and X11 forwarding do with each
// channel; it returns only after the goroutines it starts have ended.
func Proxy(ctx context.Context, ch *Channel, nc net.Conn) {
	stop := context.AfterFunc(ctx, func() { nc.Close(); ch.Close() })
	defer stop()
	var up, watch sync.WaitGroup
	up.Go(func() {
		io.Copy(ch, nc)
		ch.CloseWrite()
	})
	down := make(chan struct{}) // closed when the copy into nc is over
	watch.Go(func() {
		ch.Wait(ctx)
		if cr, ok := nc.(interface{ CloseRead() error }); ok {
			cr.CloseRead()
			return
		}
		// Without a half-close, closing nc would cut off what the
		// channel still holds for it: wait for that first.
		<-down
		nc.Close()
	})
	_, err := io.Copy(nc, ch)
	close(down)
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && err == nil {
		cw.CloseWrite()
	} else {
		nc.Close()
	}
	up.Wait()
	ch.Close()
	nc.Close()
	watch.Wait()
}
