package lsp

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Listen serves LSP over TCP on addr (`ginhotd --listen`): every accepted
// connection is a [Serve] of its own, with its own sessions. It refuses an
// address that is not loopback unless allowRemote is set: the protocol runs
// builds and processes for whoever connects. It logs the address it listens
// on (useful with port 0) and returns when ctx is cancelled, after every
// connection has stopped its sessions.
func Listen(ctx context.Context, addr string, allowRemote bool, opts Options) error {
	if !allowRemote {
		if err := checkLoopback(addr); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("lsp: %w", err)
	}
	if opts.Logf != nil {
		opts.Logf("lsp: listening on %s", ln.Addr())
	}
	return ServeListener(ctx, ln, opts)
}

// checkLoopback returns an error unless every address host resolves to is a
// loopback address.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("lsp: listen address %q: %w", addr, err)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if host != "" {
		if ips, err = net.LookupIP(host); err != nil {
			return fmt.Errorf("lsp: listen address %q: %w", addr, err)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("lsp: listen address %q is not loopback (it listens on every interface); use 127.0.0.1 or pass --allow-remote", addr)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("lsp: listen address %q is not loopback (%s); use 127.0.0.1 or pass --allow-remote", addr, ip)
		}
	}
	return nil
}

// ServeListener serves LSP on every connection ln accepts until ctx is
// cancelled, then closes ln and waits for every connection's [Serve] to
// return. It returns nil after cancellation, or the error that stopped
// accepting.
func ServeListener(ctx context.Context, ln net.Listener, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	}()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("lsp: accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			logf("lsp: connection from %s", c.RemoteAddr())
			if err := Serve(ctx, c, opts); err != nil {
				logf("lsp: connection from %s: %v", c.RemoteAddr(), err)
				return
			}
			logf("lsp: connection from %s closed after shutdown", c.RemoteAddr())
		}()
	}
}
