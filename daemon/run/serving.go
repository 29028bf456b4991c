package run

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

// WaitServing waits until the process group led by pid listens on a TCP
// port that accepts a connection on 127.0.0.1, and returns that port: want
// as soon as one of the group's sockets listens there, else prefer as soon
// as it listens there; else, once the group has listened on other ports
// only for settle (an app may open a pprof or metrics port before its main
// one), the lowest. An app that listens on an address of its
// own (a config file's port, APP_PORT, a hard-coded ":8080") is found so,
// and only the group's own sockets count: another process listening on
// want does not make the app ready. Where the sockets of a process cannot
// be read (not Linux), WaitServing waits for want to accept connections.
// It returns an error wrapping ctx.Err() when ctx is done first.
func WaitServing(ctx context.Context, pid, want, prefer int, settle time.Duration) (int, error) {
	b := Backoff{Min: pollMin, Max: pollMax}
	t := time.NewTimer(0)
	defer t.Stop()
	var others time.Time // when the group was first seen listening on other ports only
	for {
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("run: wait for pid %d to listen: %w", pid, ctx.Err())
		case <-t.C:
		}
		ports, err := ListeningPorts(pid)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			return want, WaitListening(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(want)))
		case slices.Contains(ports, want) && accepts(ctx, want):
			return want, nil
		case prefer != 0 && slices.Contains(ports, prefer) && accepts(ctx, prefer):
			return prefer, nil
		case len(ports) > 0 && !slices.Contains(ports, want):
			if others.IsZero() {
				others = time.Now()
			}
			if time.Since(others) >= settle && accepts(ctx, ports[0]) {
				return ports[0], nil
			}
		}
		t.Reset(b.Next())
	}
}

// accepts reports whether a connection to 127.0.0.1:port succeeds.
func accepts(ctx context.Context, port int) bool {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
