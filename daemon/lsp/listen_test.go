package lsp

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

func TestListenRefusesRemote(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		err := Listen(context.Background(), addr, false, Options{})
		if err == nil || !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("Listen(%q) = %v, want a refusal naming loopback", addr, err)
		}
	}
	if err := Listen(context.Background(), "127.0.0.1", false, Options{}); err == nil {
		t.Error("Listen without a port succeeded")
	}
}

// TestListen serves two connections at once, each with its own lifecycle,
// and stops when the context is cancelled.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Listen(ctx, "127.0.0.1:0", false, Options{Logf: func(format string, args ...any) {
			if a, ok := strings.CutPrefix(format, "lsp: listening on "); ok && a == "%s" {
				addrs <- args[0].(net.Addr).String()
			}
		}})
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Listen: %v", err)
	case <-time.After(wait):
		t.Fatal("Listen did not log its address")
	}

	dial := func() *client {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return connect(t, conn, make(chan error, 1))
	}
	a, b := dial(), dial()
	a.mustCall("initialize", emptyInit(), nil)
	if err := b.call("shutdown", nil, nil); rpcCode(err) != jsonrpc2.ServerNotInitialized {
		t.Errorf("second connection: shutdown before initialize = %v, want ServerNotInitialized", err)
	}
	a.mustCall("shutdown", nil, nil)
	b.mustCall("initialize", emptyInit(), nil)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen after cancel = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Listen did not return after cancel")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the address still accepts connections after Listen returned")
	}
}
