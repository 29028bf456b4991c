package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// pages is an app serving a few fixed responses; it records the
// Accept-Encoding of each request it gets.
type pages struct {
	mu             sync.Mutex
	acceptEncoding map[string]string
}

const (
	pageHTML  = "<!DOCTYPE html><html><body><p>a </BODY> in text</p>\n</body>\n</html>\n"
	pageFrag  = "<p>no body tag</p>"
	pageJSON  = `{"items":[1,2,3],"html":"</body>"}` + "\n"
	streamed1 = "<html><body><p>first part</p>"
	streamed2 = "<p>second part</p></body></html>"
)

func (pg *pages) handler(w http.ResponseWriter, r *http.Request) {
	pg.mu.Lock()
	pg.acceptEncoding[r.URL.Path] = r.Header.Get("Accept-Encoding")
	pg.mu.Unlock()
	h := w.Header()
	switch r.URL.Path {
	case "/page":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(pageHTML)))
		io.WriteString(w, pageHTML)
	case "/fragment":
		h.Set("Content-Type", "text/html")
		io.WriteString(w, pageFrag)
	case "/streamed":
		h.Set("Content-Type", "text/html")
		io.WriteString(w, streamed1)
		w.(http.Flusher).Flush()
		io.WriteString(w, streamed2)
	case "/gzipped":
		h.Set("Content-Type", "text/html")
		h.Set("Content-Encoding", "gzip")
		w.Write(gzipped(pageHTML))
	case "/json":
		h.Set("Content-Type", "application/json")
		if r.Header.Get("Accept-Encoding") == "gzip" {
			h.Set("Content-Encoding", "gzip")
			w.Write(gzipped(pageJSON))
			return
		}
		io.WriteString(w, pageJSON)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

func TestLiveReloadInjection(t *testing.T) {
	pg := &pages{acceptEncoding: map[string]string{}}
	p := New(Options{LiveReload: true})
	url := front(t, p)
	p.Switch(addr(backendFunc(t, pg.handler)))
	script := string(liveReloadScript(p.Current().token))
	c := client(t)

	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	tests := []struct {
		name, path, accept string
		want               string // expected body
		wantLength         int64  // expected Content-Length; -1: any that matches the body
		wantAcceptEncoding string // what the app saw
	}{
		{"before the last </body>, case-insensitive", "/page", browser,
			"<!DOCTYPE html><html><body><p>a </BODY> in text</p>\n" + script + "</body>\n</html>\n", int64(len(pageHTML) + len(script)), ""},
		{"appended without </body>", "/fragment", browser,
			pageFrag + script, int64(len(pageFrag) + len(script)), ""},
		{"streamed HTML", "/streamed", browser,
			streamed1 + "<p>second part</p>" + script + "</body></html>", -1, ""},
		{"gzip-encoded HTML untouched", "/gzipped", browser,
			string(gzipped(pageHTML)), -1, ""},
		{"JSON untouched", "/json", "application/json",
			pageJSON, int64(len(pageJSON)), ""},
		{"JSON keeps the client's encoding", "/json", "*/*",
			string(gzipped(pageJSON)), -1, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url+tt.path, nil)
			req.Header.Set("Accept", tt.accept)
			if tt.accept != "application/json" {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, body := do(t, c, req)
			if body != tt.want {
				t.Errorf("body:\n%q\nwant\n%q", body, tt.want)
			}
			consistent := resp.ContentLength == -1 || resp.ContentLength == int64(len(body))
			if tt.wantLength >= 0 && resp.ContentLength != tt.wantLength || !consistent {
				t.Errorf("Content-Length %d, want %d (body is %d bytes)", resp.ContentLength, tt.wantLength, len(body))
			}
			pg.mu.Lock()
			seen := pg.acceptEncoding[tt.path]
			pg.mu.Unlock()
			if seen != tt.wantAcceptEncoding {
				t.Errorf("app saw Accept-Encoding %q, want %q", seen, tt.wantAcceptEncoding)
			}
		})
	}

	t.Run("HEAD announces the injected length", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodHead, url+"/page", nil)
		req.Header.Set("Accept", browser)
		resp, _ := do(t, c, req)
		if want := int64(len(pageHTML) + len(script)); resp.ContentLength != want {
			t.Errorf("HEAD Content-Length %d, want %d", resp.ContentLength, want)
		}
	})
}

// Without LiveReload HTML passes through unchanged and the events path belongs
// to the app.
func TestLiveReloadOff(t *testing.T) {
	pg := &pages{acceptEncoding: map[string]string{}}
	p := New(Options{})
	url := front(t, p)
	p.Switch(addr(backendFunc(t, pg.handler)))
	c := client(t)
	if _, body := get(t, c, url+"/page", "text/html"); body != pageHTML {
		t.Errorf("page changed without LiveReload:\n%q", body)
	}
	if resp, _ := get(t, c, url+EventsPath, "text/event-stream"); resp.Header.Get("Content-Type") == "text/event-stream" {
		t.Errorf("proxy served %s without LiveReload", EventsPath)
	}
}

// However the body is split into reads, the script lands before the last
// "</body", and bytes before it are released without waiting for the end.
func TestInjectorSplitReads(t *testing.T) {
	script := []byte("<script>S</script>")
	docs := []string{
		"",
		"<body></body>",
		"<html><body>x</body></html>",
		"<body>1</body><body>2</BoDy  >tail",
		"<body>no end",
		"</bod",
		strings.Repeat("<p>long</p>", 5000) + "</body>" + strings.Repeat("!", 100),
	}
	for _, doc := range docs {
		want := string(injectBeforeBody([]byte(doc), script))
		if !strings.Contains(want, string(script)) || len(want) != len(doc)+len(script) {
			t.Fatalf("injectBeforeBody(%.40q) = %.80q", doc, want)
		}
		readers := map[string]func(io.Reader) io.Reader{
			"one byte": iotest.OneByteReader,
			"half":     iotest.HalfReader,
			"whole":    func(r io.Reader) io.Reader { return r },
		}
		for name, wrap := range readers {
			in := &injector{src: io.NopCloser(wrap(strings.NewReader(doc))), script: script}
			got, err := io.ReadAll(in)
			if err != nil || string(got) != want {
				t.Errorf("%s reads of %.40q: got %.80q, %v; want %.80q", name, doc, got, err, want)
			}
		}
	}

	// Streaming: what precedes "</body" is readable before the rest arrives.
	pr, pw := io.Pipe()
	in := &injector{src: pr, script: script}
	go pw.Write([]byte("<p>early</p></body>"))
	buf := make([]byte, 64)
	n, err := in.Read(buf)
	if err != nil || string(buf[:n]) != "<p>early</p>" {
		t.Fatalf("first read: %q, %v; want the bytes before </body>", buf[:n], err)
	}
	go func() {
		pw.Write([]byte("</html>"))
		pw.Close()
	}()
	rest, err := io.ReadAll(in)
	if err != nil || string(rest) != "<script>S</script></body></html>" {
		t.Fatalf("rest: %q, %v", rest, err)
	}
}

// The events stream: hello with the version, reload on Switch, error on Fail
// (also for clients connecting later), ok on ClearFail, heartbeats.
func TestEvents(t *testing.T) {
	p := New(Options{LiveReload: true})
	p.heartbeat = 20 * time.Millisecond
	url := front(t, p)
	c := client(t)

	resp, events := openEvents(t, c, url+EventsPath)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	if ev := nextEvent(t, events); ev.name != "hello" || ev.data != p.token(0) {
		t.Fatalf("first event %+v, want hello %s", ev, p.token(0))
	}

	p.Switch("127.0.0.1:1")
	if ev := nextEvent(t, events); ev.name != "reload" || ev.data != p.Current().token {
		t.Fatalf("after Switch: %+v, want reload %s", ev, p.Current().token)
	}

	const failure = "main.go:12:5: undefined: x\r\nmain.go:13:1: <b>missing return</b>"
	const sent = "main.go:12:5: undefined: x\nmain.go:13:1: <b>missing return</b>"
	p.Fail(failure)
	if ev := nextEvent(t, events); ev.name != "error" || ev.data != sent {
		t.Fatalf("after Fail: %+v, want error %q", ev, sent)
	}

	_, late := openEvents(t, c, url+EventsPath)
	if ev := nextEvent(t, late); ev.name != "hello" || ev.data != p.Current().token {
		t.Fatalf("late client first event %+v", ev)
	}
	if ev := nextEvent(t, late); ev.name != "error" || ev.data != sent {
		t.Fatalf("late client second event %+v, want the current error", ev)
	}

	p.ClearFail()
	for _, ch := range []<-chan sseEvent{events, late} {
		if ev := nextEvent(t, ch); ev.name != "ok" {
			t.Fatalf("after ClearFail: %+v, want ok", ev)
		}
	}

	heartbeat := false
	for !heartbeat {
		select {
		case ev := <-events:
			heartbeat = ev.name == ":"
			if !heartbeat {
				t.Fatalf("unexpected event %+v", ev)
			}
		case <-time.After(waitTimeout):
			t.Fatal("no heartbeat")
		}
	}
}

// The injected script behaves as documented, run by Node in a minimal
// browser-like environment (testdata/livereload.js).
func TestLiveReloadScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/livereload.js")
	cmd.Stdin = bytes.NewReader(liveReloadScript("T1"))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("node testdata/livereload.js: %v\n%s", err, out)
	}
}
