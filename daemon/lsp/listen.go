package lsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Listen serves LSP on addr (`ginhotd --listen`): a TCP HOST:PORT, or
// unix:PATH for a unix socket. Every accepted connection is a [Serve] of
// its own; connections that open the same workspace folder share its
// session. A TCP address that is not loopback is refused unless
// allowRemote is set: the protocol runs builds and processes for whoever
// connects. A unix socket is made by [listenUnix]. Listen logs the address
// it listens on (useful with port 0) and returns when ctx is cancelled,
// after every session has stopped its apps and the socket file is
// removed.
func Listen(ctx context.Context, addr string, allowRemote bool, opts Options) error {
	var ln net.Listener
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		var err error
		if ln, err = listenUnix(path, opts.Logf); err != nil {
			return err
		}
		addr = "unix:" + ln.Addr().String()
	} else {
		if !allowRemote {
			if err := checkLoopback(addr); err != nil {
				return err
			}
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("lsp: %w", err)
		}
		addr = ln.Addr().String()
	}
	if opts.Logf != nil {
		opts.Logf("lsp: listening on %s", addr)
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

// maxSocketPath is the longest unix socket path every platform accepts
// (sun_path is 108 bytes on Linux, 104 on macOS, with a final NUL).
const maxSocketPath = 103

// listenUnix listens on a unix socket at path whose file has mode 0600, in
// a directory only the user can open: it creates the directory (0700) if
// it is missing, refuses one that is not the user's or that group or others
// can open, removes a stale socket file left by a daemon that was killed,
// and refuses to replace anything else. The listener removes the socket
// file when it is closed.
func listenUnix(path string, logf func(string, ...any)) (net.Listener, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lsp: socket %q: %w", path, err)
	}
	if len(abs) > maxSocketPath {
		return nil, fmt.Errorf("lsp: socket path %s is %d bytes long; unix sockets allow %d, use a shorter path", abs, len(abs), maxSocketPath)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lsp: socket directory: %w", err)
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	if err := removeStaleSocket(abs, logf); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", abs)
	if err != nil {
		return nil, fmt.Errorf("lsp: %w", err)
	}
	// The directory already keeps others out; the mode says so again for
	// whoever moves the socket or loosens the directory later.
	if err := os.Chmod(abs, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lsp: socket: %w", err)
	}
	return ln, nil
}

// removeStaleSocket removes the socket file at path if no server answers on
// it. It refuses a live socket and a file that is not a socket.
func removeStaleSocket(path string, logf func(string, ...any)) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("lsp: socket: %w", err)
	case fi.Mode().Type() != os.ModeSocket:
		return fmt.Errorf("lsp: %s exists and is not a socket; refusing to replace it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("lsp: %s is in use: another ginhotd (or another server) listens on it", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("lsp: stale socket: %w", err)
	}
	if logf != nil {
		logf("lsp: removed stale socket %s", path)
	}
	return nil
}

// ServeListener serves LSP on every connection ln accepts until ctx is
// cancelled, then closes ln and waits for every connection's [Serve] to
// return. Connections that open the same workspace folder share its
// session (see [hub]). A connection whose first bytes are not an LSP header is closed
// unread (see [checkStart]). A connection of a unix listener is trusted
// like stdio; any other (TCP) may not choose programs ginhotd runs nor
// workspace folders the user does not own (see [server.checkTrust]). It
// returns nil after cancellation, or the error that stopped accepting.
func ServeListener(ctx context.Context, ln net.Listener, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	h := newHub(ctx)
	defer func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
		h.wait()
	}()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	logf := opts.Logf
	trusted := ln.Addr().Network() == "unix"
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
			peer := peerOf(c)
			stop := context.AfterFunc(ctx, func() { _ = c.Close() })
			start, err := checkStart(c)
			stop()
			if err != nil {
				_ = c.Close()
				if ctx.Err() == nil {
					logf("lsp: closed connection from %s unread: %v", peer, err)
				}
				return
			}
			logf("lsp: connection from %s", peer)
			conn := &prefixedConn{Conn: c, r: io.MultiReader(bytes.NewReader(start), c)}
			if err := serve(ctx, conn, opts, trusted, h); err != nil {
				logf("lsp: connection from %s: %v", peer, err)
				return
			}
			logf("lsp: connection from %s closed after shutdown", peer)
		}()
	}
}

// peerOf names the other end of c for logs.
func peerOf(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.String()
	}
	return "a client of " + c.LocalAddr().String()
}

// prefixedConn is a connection whose first bytes were read already.
type prefixedConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// lspHeaders are the header names of LSP's base protocol, lower case: a
// client's first bytes are one of them.
var lspHeaders = []string{"content-length:", "content-type:"}

// errNotLSP is wrapped by the error of [checkStart] for a connection that
// does not start with an LSP header.
var errNotLSP = errors.New("not LSP")

// describeTimeout bounds the wait for the rest of a refused connection's
// first line, read only to name it in the log.
const describeTimeout = 200 * time.Millisecond

// checkStart reads a connection's first bytes, as few as decide whether
// they start an LSP header (a header name is compared case-insensitively),
// and returns them. Anything else, such as an HTTP request or a WebSocket
// upgrade sent by a web page, gets an error wrapping [errNotLSP] that
// describes it: LSP's framing skips garbage between frames, and so it
// would read the frames in an HTTP body (a text/plain fetch from any page
// the user visits) as requests.
func checkStart(c net.Conn) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 4<<10)
	for {
		switch isLSPStart(buf) {
		case startLSP:
			return buf, nil
		case startOther:
			// Read on briefly, so that the log can name the request.
			if err := c.SetReadDeadline(time.Now().Add(describeTimeout)); err == nil {
				for len(buf) < len(chunk) && !bytes.Contains(buf, []byte("\r\n\r\n")) {
					n, err := c.Read(chunk[:len(chunk)-len(buf)])
					buf = append(buf, chunk[:n]...)
					if err != nil {
						break
					}
				}
			}
			return nil, fmt.Errorf("%w: %s", errNotLSP, describe(buf))
		}
		n, err := c.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil && isLSPStart(buf) != startLSP {
			if len(buf) == 0 {
				return nil, fmt.Errorf("lsp: connection closed before its first byte: %w", err)
			}
			return nil, fmt.Errorf("%w: %s, then %v", errNotLSP, describe(buf), err)
		}
	}
}

// startKind is what a connection's first bytes are.
type startKind int

const (
	startUnknown startKind = iota // too few bytes to tell
	startLSP                      // an LSP header name
	startOther                    // anything else
)

// isLSPStart classifies b, the first bytes of a connection.
func isLSPStart(b []byte) startKind {
	kind := startOther
	for _, h := range lspHeaders {
		n := min(len(b), len(h))
		if !asciiEqualFold(b[:n], h[:n]) {
			continue
		}
		if n == len(h) {
			return startLSP
		}
		kind = startUnknown
	}
	return kind
}

// asciiEqualFold reports whether b equals the lower-case ASCII string s,
// ignoring the case of ASCII letters in b only.
func asciiEqualFold(b []byte, s string) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// httpRequestLine matches an HTTP/1 request line ("POST / HTTP/1.1") and
// HTTP/2's connection preface ("PRI * HTTP/2.0").
var httpRequestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/[0-9.]+$`)

// describe names a connection's refused first bytes for the log.
func describe(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > 200 {
		line = line[:200]
	}
	switch {
	case !httpRequestLine.Match(line):
		return fmt.Sprintf("it starts with %q, not an LSP header (Content-Length:)", line)
	case bytes.Contains(bytes.ToLower(b), []byte("\nupgrade: websocket")):
		return fmt.Sprintf("a WebSocket upgrade request (%q), as a web page sends", line)
	}
	return fmt.Sprintf("an HTTP request (%q), as a web page sends", line)
}
