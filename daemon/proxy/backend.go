package proxy

import (
	"context"
	"fmt"
	"sync"
)

// Backend is one version of the app as the proxy sees it: an address and the
// requests currently being forwarded to it. A Backend is created by
// [Proxy.Switch] and is never reused for another address.
type Backend struct {
	addr  string
	token string // live-reload version token, see Proxy.token

	mu   sync.Mutex
	n    int           // requests in flight; guarded by mu
	idle chan struct{} // closed when n drops to zero; guarded by mu
	// drained, set by Proxy.Pause, runs once Drain has seen no request
	// in flight.
	drained func()
}

// Addr returns the "host:port" requests are forwarded to.
func (b *Backend) Addr() string { return b.addr }

// InFlight returns the number of requests currently being forwarded to b,
// including upgraded (WebSocket) connections that are still open.
func (b *Backend) InFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// Drain returns nil once b has no request in flight. After [Proxy.Switch] has
// routed new requests elsewhere, this means every request that started before
// the switch has finished. It returns an error wrapping ctx.Err() if ctx is done
// first, for example while a WebSocket stays open.
func (b *Backend) Drain(ctx context.Context) error {
	for {
		b.mu.Lock()
		if b.n == 0 {
			b.mu.Unlock()
			if b.drained != nil {
				b.drained()
			}
			return nil
		}
		idle := b.idle
		b.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("proxy: drain %s: %d requests still in flight: %w", b.addr, b.InFlight(), ctx.Err())
		}
	}
}

func (b *Backend) acquire() {
	b.mu.Lock()
	if b.n == 0 {
		b.idle = make(chan struct{})
	}
	b.n++
	b.mu.Unlock()
}

func (b *Backend) release() {
	b.mu.Lock()
	b.n--
	if b.n == 0 {
		close(b.idle)
	}
	b.mu.Unlock()
}
