package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultHoldTimeout is the [Options.HoldTimeout] used when none is given.
const DefaultHoldTimeout = 30 * time.Second

const (
	// maxReplayBody is the largest request body buffered so that the request
	// can be sent again to the next version after a failed dial.
	maxReplayBody = 1 << 20
	// retryBackoff is how long a request whose dial failed waits before
	// dialing the same backend again when no Switch happened meanwhile.
	retryBackoff = 100 * time.Millisecond
	// heartbeatInterval is the period of the comment lines that keep idle
	// /__ginhot/events streams alive.
	heartbeatInterval = 15 * time.Second
)

// Options configures a [Proxy]. The zero value is usable.
type Options struct {
	// HoldTimeout bounds how long a request waits while no version is ready
	// before it gets a 502 page. Zero means [DefaultHoldTimeout].
	HoldTimeout time.Duration
	// LiveReload injects the live-reload script into HTML responses and serves
	// the /__ginhot/events stream (see [EventsPath]).
	LiveReload bool
	// Logf receives the proxy's own log lines. It may be nil.
	Logf func(format string, args ...any)
	// PublicAddr is the address the proxy was asked to serve on
	// (HOST:PORT, as configured). Besides loopback names, its host may
	// name the proxy in the Host of requests for its own endpoints
	// ([OwnPrefix]); an empty or unspecified host (0.0.0.0) allows every
	// IP address.
	PublicAddr string
}

// Proxy is an http.Handler that forwards requests to the current [Backend].
// All its methods are safe for concurrent use.
type Proxy struct {
	opts       Options
	publicHost string        // the host of opts.PublicAddr
	instance   string        // distinguishes this daemon run in version tokens
	heartbeat  time.Duration // period of SSE heartbeats; tests shorten it
	transport  *http.Transport
	rp         *httputil.ReverseProxy
	waiting    atomic.Int64 // requests currently waiting for a ready backend

	mu         sync.Mutex
	cur        *Backend // the backend of the last Switch; nil before the first
	gen        uint64   // number of Switch calls; names versions in tokens
	held       bool     // no version is ready: requests wait
	holdReason string
	failReason string        // last failed build, shown in the overlay; "" when none
	goneReason string        // why nothing will serve until the next Switch (Gone); "" when something may
	paused     bool          // Pause detached the backend: requests wait for the next Switch
	changed    chan struct{} // closed (and replaced) on Switch and Close
	subs       map[chan event]struct{}
	closed     bool
}

// New returns a Proxy that holds requests until the first [Proxy.Switch].
func New(opts Options) *Proxy {
	if opts.HoldTimeout <= 0 {
		opts.HoldTimeout = DefaultHoldTimeout
	}
	p := &Proxy{
		opts:       opts,
		publicHost: hostOnly(opts.PublicAddr),
		instance:   strconv.FormatInt(time.Now().UnixNano(), 36),
		heartbeat:  heartbeatInterval,
		transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   100,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			// Forward exactly the encoding the client asked for; the transport
			// must not add gzip and decompress behind the app's back.
			DisableCompression: true,
		},
		changed: make(chan struct{}),
		subs:    make(map[chan event]struct{}),
	}
	errorLog := log.New(io.Discard, "", 0)
	if opts.Logf != nil {
		errorLog = log.New(logWriter(opts.Logf), "", 0)
	}
	p.rp = &httputil.ReverseProxy{
		// FlushInterval is left 0: ReverseProxy still flushes every write
		// of a response without Content-Length and of text/event-stream
		// (streams, long polls); -1 for all responses costs a second write
		// syscall per response, for the headers.
		Rewrite:        p.rewrite,
		Transport:      p.transport,
		ErrorLog:       errorLog,
		ErrorHandler:   p.proxyError,
		ModifyResponse: p.modifyResponse,
		BufferPool:     &bufferPool{},
	}
	return p
}

// Switch routes new requests to addr ("127.0.0.1:PORT"), releases the requests
// held by [Proxy.Hold], tells live-reload browsers to reload, and returns the
// previous backend (nil if none) so the caller can [Backend.Drain] it.
func (p *Proxy) Switch(addr string) *Backend {
	p.mu.Lock()
	p.gen++
	b := &Backend{addr: addr, token: p.token(p.gen)}
	prev := p.cur
	p.cur = b
	p.held, p.paused = false, false
	p.holdReason, p.goneReason = "", ""
	p.wakeLocked()
	p.broadcastLocked(event{name: "reload", data: b.token})
	p.mu.Unlock()
	if n := p.waiting.Load(); n > 0 {
		p.logf("proxy: %s is ready; releasing %d held requests", addr, n)
	}
	return prev
}

// Hold makes new requests wait, up to [Options.HoldTimeout], for the next
// [Proxy.Switch], because no version is ready (it crashed, or is restarting).
// reason is shown on the 502 page if the wait times out.
func (p *Proxy) Hold(reason string) {
	p.mu.Lock()
	p.held = true
	p.holdReason = reason
	p.mu.Unlock()
}

// Fail records that a build (or the start of a new version) failed. Routing is
// unchanged: the current backend keeps serving. Live-reload browsers show
// reason in an overlay, and the 502 page includes it. Before the first
// [Proxy.Switch] no version has run, so requests are not held: they get the
// 502 page at once, saying so and showing reason, until the next Switch or
// [Proxy.ClearFail].
func (p *Proxy) Fail(reason string) {
	p.mu.Lock()
	p.failReason = reason
	p.broadcastLocked(event{name: "error", data: reason})
	if p.cur == nil {
		p.wakeLocked() // nothing will come soon
	}
	p.mu.Unlock()
}

// Pause makes new requests wait, as [Proxy.Hold] does, for the next
// [Proxy.Switch], and detaches the current backend, which it returns (nil
// if none) for the caller to [Backend.Drain] before it stops the version
// behind it: a reload that must stop the old version before the new one can
// start (an app that binds a port of its own). Once drained, the idle
// connections to it are closed, so that the app's graceful stop does not
// wait for connections that will never carry a request.
func (p *Proxy) Pause(reason string) *Backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.cur
	p.cur, p.held, p.paused, p.holdReason = nil, true, true, reason
	p.transport.CloseIdleConnections()
	if prev != nil {
		prev.drained = p.transport.CloseIdleConnections
	}
	return prev
}

// Gone says that nothing will serve behind the proxy until the next
// [Proxy.Switch] (the app's main package was deleted): requests get the
// 502 page at once, showing reason, instead of waiting. Requests in
// flight finish.
func (p *Proxy) Gone(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.held, p.holdReason, p.goneReason = nil, false, "", reason
	p.broadcastLocked(event{name: "error", data: reason})
	p.wakeLocked()
}

// ClearFail forgets the failure recorded by [Proxy.Fail] and removes the
// overlay in live-reload browsers.
func (p *Proxy) ClearFail() {
	p.mu.Lock()
	if p.failReason != "" {
		p.failReason = ""
		p.broadcastLocked(event{name: "ok"})
	}
	p.mu.Unlock()
}

// wakeLocked wakes the requests waiting in acquire, which look again at
// the state. p.mu must be held.
func (p *Proxy) wakeLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Current returns the backend of the last [Proxy.Switch], or nil before the
// first. While held, requests wait instead of going to it.
func (p *Proxy) Current() *Backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Close ends the /__ginhot/events streams (browsers reconnect to the next
// daemon) and answers requests waiting for a version with a 502 page, so that
// http.Server.Shutdown can finish. Requests to a ready backend are still
// forwarded.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		p.wakeLocked()
		for ch := range p.subs {
			close(ch)
			delete(p.subs, ch)
		}
	}
	p.mu.Unlock()
	p.transport.CloseIdleConnections()
}

// ServeHTTP forwards r to the current backend, waiting for one if none is ready
// and retrying on the next one if the dial fails and r's body can be replayed.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, OwnPrefix) {
		if why := p.foreign(r); why != "" {
			http.Error(w, why, http.StatusForbidden)
			return
		}
		if p.opts.LiveReload && r.URL.Path == EventsPath {
			p.serveEvents(w, r)
			return
		}
	}
	body, replay, err := replayableBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	deadline := time.Now().Add(p.opts.HoldTimeout)
	var failed *Backend
	var dialErr error
	resets := 0
	for {
		b, reason := p.acquire(r.Context(), deadline, failed, dialErr)
		if b == nil {
			p.unavailable(w, r, reason)
			return
		}
		err := p.forward(w, r, b, body, replay, resets == 0)
		if isReset(err) {
			resets++
		}
		if err == nil {
			return
		}
		if failed == nil {
			p.logf("proxy: %s %s: %v; waiting for the next version", r.Method, r.URL.Path, err)
		}
		failed, dialErr = b, err
	}
}

// acquire returns a ready backend with the request counted in flight on it,
// waiting for one if needed. A backend whose dial just failed (failed) is only
// tried again after a Switch or after retryBackoff. If no backend is ready
// before deadline or ctx is done, acquire returns nil and the reason. The
// timers are only made when it has to wait: most requests do not.
func (p *Proxy) acquire(ctx context.Context, deadline time.Time, failed *Backend, dialErr error) (*Backend, string) {
	var expired, backoff <-chan time.Time
	if failed != nil {
		t := time.NewTimer(retryBackoff)
		defer t.Stop()
		backoff = t.C
	}
	waiting := false
	defer func() {
		if waiting {
			p.waiting.Add(-1)
		}
	}()
	avoid := failed
	for {
		p.mu.Lock()
		b := p.cur
		if b != nil && !p.held && b != avoid {
			b.acquire()
			p.mu.Unlock()
			return b, ""
		}
		if p.closed {
			p.mu.Unlock()
			return nil, "ginhotd is shutting down."
		}
		if b == nil && p.goneReason != "" {
			p.mu.Unlock()
			return nil, p.goneReason
		}
		if b == nil && p.failReason != "" && !p.paused {
			// Nothing has run and the last attempt failed: waiting would
			// only delay the page that says why.
			p.mu.Unlock()
			return nil, neverRan
		}
		changed := p.changed
		p.mu.Unlock()
		if !waiting {
			waiting = true
			p.waiting.Add(1)
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-changed:
		case <-backoff:
			avoid, backoff = nil, nil
		case <-ctx.Done():
			return nil, "The request was cancelled."
		case <-expired:
			return nil, p.timeoutReason(failed, dialErr)
		}
	}
}

func (p *Proxy) timeoutReason(failed *Backend, dialErr error) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var why string
	switch {
	case p.held && p.holdReason != "":
		why = p.holdReason
	case p.held:
		why = "The app is restarting."
	case p.cur == nil:
		why = "The app has not started yet."
	case failed != nil:
		why = fmt.Sprintf("The app at %s is not accepting connections: %v", failed.addr, dialErr)
	}
	return fmt.Sprintf("No version of the app became ready within %v.\n\n%s", p.opts.HoldTimeout, why)
}

// attempt carries the state of one forwarding attempt through the
// ReverseProxy callbacks, in the request context.
type attempt struct {
	backend *Backend
	replay  bool  // a failed dial may be retried
	reset   bool  // a connection reset of an idempotent request may be retried
	dialErr error // set by proxyError when the attempt may be retried
}

type attemptKey struct{}

func attemptOf(ctx context.Context) *attempt {
	return ctx.Value(attemptKey{}).(*attempt)
}

// forward sends r to b once. It returns a non-nil error only when the dial
// failed and nothing was written to w, so the request can be retried.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, b *Backend, body []byte, replay, allowReset bool) error {
	// Deferred: ReverseProxy panics with http.ErrAbortHandler when copying the
	// response fails.
	defer b.release()
	a := &attempt{backend: b, replay: replay, reset: allowReset && replay && idempotent(r.Method)}
	out := r.WithContext(context.WithValue(r.Context(), attemptKey{}, a))
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	p.rp.ServeHTTP(w, out)
	return a.dialErr
}

// replayableBody reads r's body into memory when it is small enough to be sent
// again. replay reports whether r can be retried after a failed dial.
func replayableBody(r *http.Request) (body []byte, replay bool, err error) {
	switch {
	case r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0:
		return nil, true, nil
	case r.ContentLength < 0 || r.ContentLength > maxReplayBody:
		return nil, false, nil
	}
	body = make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, false, fmt.Errorf("proxy: read request body: %w", err)
	}
	return body, true, nil
}

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	a := attemptOf(pr.In.Context())
	pr.SetURL(&url.URL{Scheme: "http", Host: a.backend.addr})
	pr.Out.Host = pr.In.Host // Gin apps may route or build URLs on Host.
	if prior, ok := pr.In.Header["X-Forwarded-For"]; ok {
		pr.Out.Header["X-Forwarded-For"] = prior // SetXForwarded appends to it
	}
	pr.SetXForwarded()
	if p.opts.LiveReload && acceptsHTML(pr.In) {
		// Ask for identity encoding so the script can be injected.
		pr.Out.Header.Del("Accept-Encoding")
	}
}

// proxyError is the ReverseProxy ErrorHandler. Nothing has been written to w
// when it is called.
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	a := attemptOf(r.Context())
	var opErr *net.OpError
	if a.replay && errors.As(err, &opErr) && opErr.Op == "dial" {
		a.dialErr = err
		return
	}
	// A version killed between two requests resets the idle connection the
	// next request is sent on: nothing was answered, so an idempotent
	// request is tried once more on the next version. Only once, so that a
	// request that itself crashes the app does not crash every version.
	if a.reset && isReset(err) {
		a.dialErr = err
		return
	}
	if errors.Is(err, context.Canceled) {
		w.WriteHeader(http.StatusBadGateway) // the client has gone
		return
	}
	p.logf("proxy: %s %s via %s: %v", r.Method, r.URL.Path, a.backend.addr, err)
	p.unavailable(w, r, fmt.Sprintf("The app at %s did not answer: %v", a.backend.addr, err))
}

// unavailable writes the 502 page: HTML when the client accepts it (with the
// live-reload script, so the page reloads itself on the next Switch), plain
// text otherwise.
func (p *Proxy) unavailable(w http.ResponseWriter, r *http.Request, reason string) {
	foreign := p.foreign(r) != ""
	if foreign {
		// The reasons name files and quote the app's output.
		reason = "The app is not answering. ginhotd shows why only to pages of localhost."
	}
	p.mu.Lock()
	switch {
	case p.failReason == "" || foreign:
	case p.cur == nil:
		reason += "\n\n" + p.failReason
	default:
		reason += "\n\nThe last build failed:\n" + p.failReason
	}
	token := p.token(p.gen)
	p.mu.Unlock()

	var body string
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if acceptsHTML(r) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		body = fmt.Sprintf(unavailablePage, escapeHTML(reason))
		if p.opts.LiveReload && !foreign {
			body = string(injectBeforeBody([]byte(body), liveReloadScript(token)))
		}
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = "502 Bad Gateway (ginhotd)\n\n" + reason + "\n"
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusBadGateway)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body) // the client may have gone; nothing to do
	}
}

// neverRan is the 502 reason when a build or start failed before any version
// ran; the failure follows it on the page.
const neverRan = "No version of the app has run yet: it failed to build or start, so nothing can answer.\n" +
	"Fix the errors below and save; the app starts as soon as a build succeeds."

const unavailablePage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>502 · ginhotd</title></head>
<body style="font-family:system-ui,sans-serif;margin:2em">
<h1 style="font-size:1.3em">502 Bad Gateway</h1>
<pre style="white-space:pre-wrap;background:#f4f4f4;padding:1em">%s</pre>
<p style="color:#666">This page reloads when the next version is ready.</p>
</body></html>
`

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// acceptsHTML reports whether r is likely a page load: its Accept header
// names text/html.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// token names version gen of this daemon run for the live-reload script.
func (p *Proxy) token(gen uint64) string {
	return p.instance + "." + strconv.FormatUint(gen, 10)
}

func (p *Proxy) logf(format string, args ...any) {
	if p.opts.Logf != nil {
		p.opts.Logf(format, args...)
	}
}

// logWriter adapts Options.Logf to the io.Writer a log.Logger needs, for the
// ReverseProxy's own messages.
type logWriter func(format string, args ...any)

func (f logWriter) Write(b []byte) (int, error) {
	f("proxy: %s", strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// copyBufferSize is the size of the buffers responses are copied through,
// the size ReverseProxy allocates when it has no pool.
const copyBufferSize = 32 << 10

// bufferPool is the ReverseProxy's BufferPool. Without one, ReverseProxy
// allocates a 32 KiB copy buffer per response; at a few thousand requests a
// second that garbage made the collector the largest cost of the daemon's
// process, far above the bare proxy's (the daemon's heap is larger).
type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.pool.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, copyBufferSize)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) == copyBufferSize {
		b.pool.Put(&buf)
	}
}

// idempotent reports whether a request with this method may be sent twice.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// isReset reports whether err says the backend dropped the connection
// before answering.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
