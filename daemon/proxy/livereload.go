package proxy

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// EventsPath is the Server-Sent Events stream served by the proxy itself when
// [Options.LiveReload] is set. Events, each with a data line:
//
//   - "hello": sent first on every connection; data is the token of the version
//     now serving. The script reloads if it differs from the token it was
//     served with, so a switch (or daemon restart) missed while disconnected
//     still reloads the page.
//   - "reload": [Proxy.Switch]; data is the new version's token.
//   - "error": [Proxy.Fail]; data is the failure text. Also sent right after
//     "hello" while a failure is recorded.
//   - "ok": [Proxy.ClearFail].
const EventsPath = "/__ginhot/events"

// event is one Server-Sent Event.
type event struct{ name, data string }

// subscriberBuffer is how many events a slow /__ginhot/events client may lag
// behind before it is disconnected (its browser reconnects and gets a fresh
// "hello").
const subscriberBuffer = 16

func (p *Proxy) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ch := p.subscribe()
	defer p.unsubscribe(ch)

	rc := http.NewResponseController(w)
	// The stream is long-lived: lift a server WriteTimeout if there is one.
	// Writers that cannot do this return an error we can only ignore.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A short retry lets pages reconnect quickly after a daemon restart.
	if _, err := io.WriteString(w, "retry: 1000\n\n"); err != nil {
		return
	}
	heartbeat := time.NewTicker(p.heartbeat)
	defer heartbeat.Stop()
	for {
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if _, err := io.WriteString(w, formatEvent(ev)); err != nil {
				return
			}
		case <-heartbeat.C:
			if _, err := io.WriteString(w, ": heartbeat\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// formatEvent encodes ev in the text/event-stream format, one data line per
// line of ev.data (EventSource joins them back with "\n").
func formatEvent(ev event) string {
	var b strings.Builder
	b.WriteString("event: " + ev.name + "\n")
	data := strings.ReplaceAll(ev.data, "\r\n", "\n")
	data = strings.ReplaceAll(data, "\r", "\n")
	for line := range strings.SplitSeq(data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// subscribe registers a new events client and queues what it must know first:
// the current version and any recorded failure. After Close it returns a
// closed channel.
func (p *Proxy) subscribe() chan event {
	ch := make(chan event, subscriberBuffer)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		close(ch)
		return ch
	}
	ch <- event{name: "hello", data: p.token(p.gen)}
	if p.failReason != "" {
		ch <- event{name: "error", data: p.failReason}
	}
	p.subs[ch] = struct{}{}
	return ch
}

func (p *Proxy) unsubscribe(ch chan event) {
	p.mu.Lock()
	delete(p.subs, ch)
	p.mu.Unlock()
}

// broadcastLocked queues ev for every events client. A client whose buffer is
// full is disconnected rather than waited for. p.mu must be held.
func (p *Proxy) broadcastLocked(ev event) {
	for ch := range p.subs {
		select {
		case ch <- ev:
		default:
			close(ch)
			delete(p.subs, ch)
		}
	}
}

// modifyResponse is the ReverseProxy ModifyResponse hook: it arranges for the
// live-reload script to be injected into HTML responses and leaves every other
// response untouched.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	if !p.opts.LiveReload || !isInjectable(resp) {
		return nil
	}
	script := liveReloadScript(attemptOf(resp.Request.Context()).backend.token)
	if resp.ContentLength >= 0 {
		// The injector adds exactly len(script) bytes, whether it inserts or appends.
		resp.ContentLength += int64(len(script))
		resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	if resp.Request.Method != http.MethodHead {
		resp.Body = &injector{src: resp.Body, script: script}
	}
	return nil
}

// isInjectable reports whether resp is an HTML document the script can be
// added to: text/html, not encoded (gzip etc.), and with a body.
func isInjectable(resp *http.Response) bool {
	switch {
	case resp.StatusCode < 200, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusNotModified:
		return false
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	ct := resp.Header.Get("Content-Type")
	if len(ct) < len("text/html") || !strings.EqualFold(ct[:len("text/html")], "text/html") {
		return false // cheaply, without parsing: most responses are not HTML
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/html"
}

const closeBody = "</body"

// injector streams an HTML body, inserting script before the last "</body"
// (or appending it when there is none). Bytes before the last "</body" seen so
// far pass through as they arrive; from there on they are held until the next
// "</body" or the end of the body.
type injector struct {
	src    io.ReadCloser
	script []byte
	buf    []byte // read buffer
	held   []byte // read but not yet released: from a (possible) "</body" on
	out    []byte // ready to be returned by Read
	eof    bool
}

func (in *injector) Read(p []byte) (int, error) {
	for len(in.out) == 0 {
		if in.eof {
			return 0, io.EOF
		}
		if err := in.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, in.out)
	in.out = in.out[n:]
	return n, nil
}

func (in *injector) fill() error {
	if in.buf == nil {
		in.buf = make([]byte, 32<<10)
	}
	n, err := in.src.Read(in.buf)
	data := append(in.held, in.buf[:n]...)
	if errors.Is(err, io.EOF) {
		in.eof = true
		in.out, in.held = injectBeforeBody(data, in.script), nil
		return nil
	}
	if err != nil {
		return err
	}
	cut := lastIndexFold(data, closeBody)
	if cut < 0 {
		// Keep a tail that may be the start of a "</body" split across reads.
		cut = max(0, len(data)-(len(closeBody)-1))
	}
	in.out, in.held = data[:cut], data[cut:]
	return nil
}

func (in *injector) Close() error { return in.src.Close() }

// injectBeforeBody returns a copy of doc with script inserted before the last
// "</body" (case-insensitive), or appended if there is none.
func injectBeforeBody(doc, script []byte) []byte {
	i := lastIndexFold(doc, closeBody)
	if i < 0 {
		i = len(doc)
	}
	out := make([]byte, 0, len(doc)+len(script))
	out = append(out, doc[:i]...)
	out = append(out, script...)
	return append(out, doc[i:]...)
}

// lastIndexFold is bytes.LastIndex with ASCII case folding; sub must be
// lower-case ASCII.
func lastIndexFold(s []byte, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if asciiHasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

func asciiHasPrefixFold(s []byte, prefix string) bool {
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}

// liveReloadScript returns the <script> element injected into pages served by
// the version named token. It listens on EventsPath: "reload" reloads the page;
// "error" draws a dismissible overlay with the text (set with textContent, so
// never interpreted as HTML); "ok" removes it; "hello" reloads once if the
// page is older than the version now serving (sessionStorage remembers the
// token it reloaded for, so a page served from the browser cache cannot loop).
// EventSource reconnects by itself after the daemon restarts.
func liveReloadScript(token string) []byte {
	return []byte(strings.Replace(scriptTemplate, "TOKEN", token, 1))
}

// scriptTemplate is the live-reload script; TOKEN is replaced by the version token.
// Note that EventSource fires a data-less "error" Event of its own on connection
// loss, hence the typeof check on our "error" events.
const scriptTemplate = `<script>(function(){
if(window.__ginhot)return;window.__ginhot=1;
var v="TOKEN",k="__ginhot_reloaded",o=null;
function reload(t){try{sessionStorage.setItem(k,t)}catch(_){}location.reload()}
function hide(){if(o){o.remove();o=null}}
function show(m){hide();o=document.createElement("div");o.id="__ginhot_overlay";
o.style.cssText="position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:24px;background:rgba(24,24,24,.94);color:#ff8080;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
var b=document.createElement("button");b.textContent="\u00d7";b.title="Dismiss";b.onclick=hide;
b.style.cssText="position:absolute;top:8px;right:12px;border:0;background:none;color:#fff;font-size:22px;cursor:pointer";
var h=document.createElement("div");h.textContent="ginhotd: build failed";h.style.cssText="color:#fff;font-weight:bold;margin-bottom:12px";
var t=document.createElement("pre");t.textContent=m;t.style.cssText="margin:0;white-space:pre-wrap";
o.append(b,h,t);(document.body||document.documentElement).appendChild(o)}
var es=new EventSource("` + EventsPath + `");
es.addEventListener("hello",function(e){var s=null;try{s=sessionStorage.getItem(k)}catch(_){}if(e.data!==v&&e.data!==s)reload(e.data)});
es.addEventListener("reload",function(e){reload(e.data)});
es.addEventListener("error",function(e){if(typeof e.data==="string")show(e.data)});
es.addEventListener("ok",hide);
})();</script>`
