package run

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Poll delays of WaitListening and WaitPortFree: short at first, so a fast
// app is seen within milliseconds, then capped.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 100 * time.Millisecond
)

// WaitListening returns nil as soon as a TCP connection to addr succeeds
// (the connection is closed at once), or an error wrapping ctx.Err() when
// ctx is done first. Callers bound it with a context deadline and cancel it
// when the app exits.
func WaitListening(ctx context.Context, addr string) error {
	var d net.Dialer
	return poll(ctx, "run: wait for "+addr+" to accept connections", func() error {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// WaitPortFree returns nil as soon as a listener on addr can be opened (it
// is closed at once), or an error wrapping ctx.Err() when ctx is done first.
// It is how a stop-then-start reload knows the old app has let go of its
// port.
func WaitPortFree(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	return poll(ctx, "run: wait for "+addr+" to be free", func() error {
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return l.Close()
	})
}

// poll calls try until it succeeds or ctx is done, with a growing delay;
// what prefixes the error.
func poll(ctx context.Context, what string, try func() error) error {
	b := Backoff{Min: pollMin, Max: pollMax}
	t := time.NewTimer(0)
	defer t.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: %w (last attempt: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-t.C:
		}
		if last = try(); last == nil {
			return nil
		}
		t.Reset(b.Next())
	}
}

// Backoff computes exponentially growing delays between restarts of a
// crashing app: Min, 2×Min, 4×Min, … up to Max. The zero value uses 200ms
// and 10s. A Backoff is not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration

	cur time.Duration // the last delay returned; 0 after Reset
}

// Default bounds of a zero [Backoff].
const (
	DefaultBackoffMin = 200 * time.Millisecond
	DefaultBackoffMax = 10 * time.Second
)

// Next returns the next delay: Min the first time after a Reset, then twice
// the previous one, capped at Max.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	hi = max(hi, lo)
	switch {
	case b.cur == 0:
		b.cur = lo
	case b.cur > hi/2:
		b.cur = hi
	default:
		b.cur *= 2
	}
	return b.cur
}

// Reset makes the next call to Next return Min again, e.g. once a restarted
// app has stayed up long enough.
func (b *Backoff) Reset() { b.cur = 0 }
