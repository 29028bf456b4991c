package lsp

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// outbox sends the server's own messages to the client in order, on one
// goroutine, so that a session's Notify never blocks on the connection and
// a window/workDoneProgress/create call can wait for its answer before the
// $/progress that uses its token.
type outbox struct {
	conn jsonrpc2.Conn
	logf func(string, ...any)

	ctx    context.Context // cancelled by drain: aborts a pending call
	cancel context.CancelFunc
	wake   chan struct{} // buffered(1): the queue has grown or is closing
	done   chan struct{} // closed when run returns

	// Owned by the run goroutine:
	broken     bool // a write failed: the client is gone
	noProgress bool // the client let a progress token request time out

	mu      sync.Mutex // guards queue and closing
	queue   []func(context.Context)
	closing bool
}

func newOutbox(conn jsonrpc2.Conn, logf func(string, ...any)) *outbox {
	ctx, cancel := context.WithCancel(context.Background())
	return &outbox{
		conn:   conn,
		logf:   logf,
		ctx:    ctx,
		cancel: cancel,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// run sends queued messages until drain is called and the queue is empty.
func (o *outbox) run() {
	defer close(o.done)
	for {
		o.mu.Lock()
		batch, closing := o.queue, o.closing
		o.queue = nil
		o.mu.Unlock()
		for _, send := range batch {
			send(o.ctx)
		}
		if len(batch) == 0 {
			if closing {
				return
			}
			<-o.wake
		}
	}
}

// push queues send; it is dropped once drain has been called.
func (o *outbox) push(send func(context.Context)) {
	o.mu.Lock()
	if !o.closing {
		o.queue = append(o.queue, send)
	}
	o.mu.Unlock()
	o.poke()
}

func (o *outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// drain stops accepting messages and waits up to timeout for the queued ones
// to be sent.
func (o *outbox) drain(timeout time.Duration) {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	o.poke()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
		o.logf("lsp: %v passed before the last messages were sent; dropping them", timeout)
	}
	o.cancel()
}

// notify queues a notification.
func (o *outbox) notify(method string, params any) {
	o.push(func(ctx context.Context) { o.send(ctx, method, params) })
}

// send sends a notification now; it runs on the outbox goroutine. After a
// failed write it drops everything: the client is gone.
func (o *outbox) send(ctx context.Context, method string, params any) {
	if o.broken {
		return
	}
	if err := o.conn.Notify(ctx, method, params); err != nil {
		o.broken = true
		o.logf("lsp: %s: %v; dropping further notifications", method, err)
	}
}

// call sends a request now and waits for its answer, at most
// clientCallTimeout; it runs on the outbox goroutine.
func (o *outbox) call(ctx context.Context, method string, params any) error {
	if o.broken {
		return errors.New("lsp: the connection is broken")
	}
	ctx, cancel := context.WithTimeout(ctx, clientCallTimeout)
	defer cancel()
	_, err := o.conn.Call(ctx, method, params, nil)
	return err
}

func (o *outbox) showMessage(typ protocol.MessageType, msg string) {
	o.notify("window/showMessage", &protocol.ShowMessageParams{Type: typ, Message: msg})
}

func (o *outbox) logMessage(typ protocol.MessageType, msg string) {
	o.notify("window/logMessage", &protocol.LogMessageParams{Type: typ, Message: msg})
}
