package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ginhotd/ginhotd/internal/testkit"
)

// Twenty clients hammer the proxy while a new version is switched in every
// 200ms and the previous one is drained and shut down: no request may fail, and
// the answers must come from several versions.
func TestSteadyLoadAcrossSwitches(t *testing.T) {
	p := New(Options{HoldTimeout: waitTimeout})
	url := front(t, p)
	first := backend(t, "v0")
	p.Switch(addr(first))
	versionsByAddr := map[string]*httptest.Server{addr(first): first}

	ctx, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	c := client(t)
	var ok, failed atomic.Int64
	var served sync.Map
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := c.Get(url + "/ping")
				if err != nil {
					failed.Add(1)
					t.Errorf("GET: %v", err)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
					t.Errorf("GET: status %d, body %q, err %v", resp.StatusCode, body, err)
					continue
				}
				ok.Add(1)
				served.Store(strings.Fields(string(body))[0], true)
			}
		}()
	}

	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	switches := 0
	for ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		switches++
		name := fmt.Sprintf("v%d", switches)
		next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.URL.Path)
		}))
		t.Cleanup(next.Close)
		versionsByAddr[addr(next)] = next
		prev := p.Switch(addr(next))
		dctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		if err := prev.Drain(dctx); err != nil {
			t.Errorf("drain %s: %v", prev.Addr(), err)
		}
		cancel()
		versionsByAddr[prev.Addr()].Close()
	}
	wg.Wait()

	versions := 0
	served.Range(func(any, any) bool { versions++; return true })
	t.Logf("%d requests, %d failed, %d switches, %d versions served", ok.Load(), failed.Load(), switches, versions)
	if failed.Load() != 0 {
		t.Fatalf("%d requests failed", failed.Load())
	}
	if versions < 2 {
		t.Fatalf("answers came from %d versions, want at least 2", versions)
	}
}

// A request arriving while the proxy holds waits for the next Switch and is
// served by the new version.
func TestHoldThenSwitch(t *testing.T) {
	p := New(Options{HoldTimeout: waitTimeout})
	url := front(t, p)
	p.Switch(addr(backend(t, "old")))
	p.Hold("restarting after a crash")

	req, _ := http.NewRequest(http.MethodGet, url+"/held", nil)
	done := goDo(client(t), req)
	testkit.Eventually(t, waitTimeout, "the request to be held", func() bool { return p.waiting.Load() == 1 })
	p.Switch(addr(backend(t, "new")))

	r := await(t, done)
	if r.err != nil || r.status != http.StatusOK || r.body != "new /held" {
		t.Fatalf("held request: status %d, body %q, err %v; want 200 %q", r.status, r.body, r.err, "new /held")
	}
}

// Before the first Switch requests wait too.
func TestRequestBeforeFirstSwitch(t *testing.T) {
	p := New(Options{HoldTimeout: waitTimeout})
	url := front(t, p)
	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	done := goDo(client(t), req)
	testkit.Eventually(t, waitTimeout, "the request to be held", func() bool { return p.waiting.Load() == 1 })
	p.Switch(addr(backend(t, "first")))
	if r := await(t, done); r.err != nil || r.status != http.StatusOK || r.body != "first /" {
		t.Fatalf("got status %d, body %q, err %v", r.status, r.body, r.err)
	}
}

// Held with no Switch, a request gets a 502 page after HoldTimeout that says
// why: HTML (escaped) for browsers, plain text otherwise.
func TestHoldTimeout(t *testing.T) {
	const hold = 200 * time.Millisecond
	p := New(Options{HoldTimeout: hold, LiveReload: true})
	url := front(t, p)
	p.Switch(addr(backend(t, "v1")))
	p.Hold("app exited: panic: boom <nil>")
	p.Fail("main.go:7:2: undefined: x")
	c := client(t)

	start := time.Now()
	resp, body := get(t, c, url+"/", "application/json")
	if waited := time.Since(start); waited < hold {
		t.Errorf("502 after %v, want at least HoldTimeout %v", waited, hold)
	}
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %q, want 502 text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"panic: boom <nil>", "main.go:7:2: undefined: x"} {
		if !strings.Contains(body, want) {
			t.Errorf("plain 502 body lacks %q:\n%s", want, body)
		}
	}

	resp, body = get(t, c, url+"/", "text/html,application/xhtml+xml")
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %q, want 502 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "panic: boom &lt;nil&gt;") || strings.Contains(body, "<nil>") {
		t.Errorf("HTML 502 body does not hold the escaped reason:\n%s", body)
	}
	if !strings.Contains(body, EventsPath) {
		t.Errorf("HTML 502 page has no live-reload script, so it would not reload on the next version:\n%s", body)
	}
}

// When the first build fails, nothing has ever run: a request, whether it
// came before or after the failure, gets at once a 502 that says so and shows
// the build errors; after the fix, the next Switch serves again.
func TestFirstBuildFails(t *testing.T) {
	p := New(Options{HoldTimeout: time.Hour, LiveReload: true})
	url := front(t, p)
	c := client(t)
	const out = "# example.com/app\n./main.go:7:2: undefined: x <nil>"

	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	early := goDo(c, req)
	testkit.Eventually(t, waitTimeout, "the request to be held", func() bool { return p.waiting.Load() == 1 })
	p.Fail(out)
	r := await(t, early)
	want := "502 Bad Gateway (ginhotd)\n\n" +
		"No version of the app has run yet: it failed to build or start, so nothing can answer.\n" +
		"Fix the errors below and save; the app starts as soon as a build succeeds.\n\n" + out + "\n"
	if r.err != nil || r.status != http.StatusBadGateway || r.body != want {
		t.Fatalf("request held before the failure: status %d, err %v, body\n%s\nwant\n%s", r.status, r.err, r.body, want)
	}
	if resp, body := get(t, c, url+"/", "application/json"); resp.StatusCode != http.StatusBadGateway || body != want {
		t.Errorf("request after the failure: %d\n%s", resp.StatusCode, body)
	}
	resp, body := get(t, c, url+"/", "text/html")
	for _, w := range []string{"No version of the app has run yet", "undefined: x &lt;nil&gt;", EventsPath} {
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, w) {
			t.Errorf("HTML page (%d) lacks %q:\n%s", resp.StatusCode, w, body)
		}
	}
	if strings.Contains(body, "The last build failed") {
		t.Errorf("HTML page talks of a previous version:\n%s", body)
	}

	p.ClearFail()
	p.Switch(addr(backend(t, "fixed")))
	if resp, body := get(t, c, url+"/ok", ""); resp.StatusCode != http.StatusOK || body != "fixed /ok" {
		t.Errorf("after the fix: %d %q", resp.StatusCode, body)
	}
}

// After Gone (the app's main package was deleted), a request, held or new,
// gets at once a 502 with the reason; the next Switch serves again.
func TestGoneAnswersAtOnce(t *testing.T) {
	p := New(Options{HoldTimeout: time.Hour})
	url := front(t, p)
	c := client(t)
	p.Switch(addr(backend(t, "v1")))
	p.Hold("restarting")
	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	held := goDo(c, req)
	testkit.Eventually(t, waitTimeout, "the request to be held", func() bool { return p.waiting.Load() == 1 })
	p.Gone("./cmd/admin was deleted or renamed")
	if r := await(t, held); r.status != http.StatusBadGateway || !strings.Contains(r.body, "./cmd/admin was deleted or renamed") {
		t.Fatalf("held request: %d %q, want a 502 with the reason", r.status, r.body)
	}
	if resp, body := get(t, c, url+"/", ""); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "deleted or renamed") {
		t.Fatalf("new request: %d %q, want a 502 with the reason", resp.StatusCode, body)
	}
	p.Switch(addr(backend(t, "back")))
	if resp, body := get(t, c, url+"/", ""); resp.StatusCode != http.StatusOK || body != "back /" {
		t.Fatalf("after it came back: %d %q", resp.StatusCode, body)
	}
}

// Drain waits for a request that started before the switch, and gives up when
// its context is done.
func TestDrainWaitsForInFlight(t *testing.T) {
	release := make(chan struct{})
	slow := backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			io.WriteString(w, "slow done")
		case <-r.Context().Done():
		}
	})
	p := New(Options{HoldTimeout: waitTimeout})
	url := front(t, p)
	p.Switch(addr(slow))

	req, _ := http.NewRequest(http.MethodGet, url+"/slow", nil)
	done := goDo(client(t), req)
	testkit.Eventually(t, waitTimeout, "the request to reach the backend", func() bool { return p.Current().InFlight() == 1 })
	old := p.Switch(addr(backend(t, "next")))
	if old == nil || old.Addr() != addr(slow) {
		t.Fatalf("Switch returned %v, want the slow backend", old)
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := old.Drain(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain with a request in flight = %v, want deadline exceeded", err)
	}

	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		drained <- old.Drain(ctx)
	}()
	close(release)
	if err := <-drained; err != nil {
		t.Fatalf("Drain after the request finished: %v", err)
	}
	if n := old.InFlight(); n != 0 {
		t.Fatalf("InFlight after Drain = %d", n)
	}
	if r := await(t, done); r.err != nil || r.status != http.StatusOK || r.body != "slow done" {
		t.Fatalf("in-flight request: status %d, body %q, err %v", r.status, r.body, r.err)
	}
}

// The app dies (its port closes) before the session knows: requests with a
// replayable body wait and go to the next version; a streamed body cannot be
// replayed and gets a 502 at once.
func TestRetryAfterBackendDies(t *testing.T) {
	var l logs
	p := New(Options{HoldTimeout: waitTimeout, Logf: l.logf})
	url := front(t, p)
	dead := backend(t, "dead")
	p.Switch(addr(dead))
	dead.Close()
	c := client(t)

	getReq, _ := http.NewRequest(http.MethodGet, url+"/get", nil)
	gotGet := goDo(c, getReq)
	postReq, _ := http.NewRequest(http.MethodPost, url+"/post", strings.NewReader("payload"))
	gotPost := goDo(c, postReq)
	testkit.Eventually(t, waitTimeout, "both requests to fail their first dial", func() bool {
		return l.count("waiting for the next version") == 2
	})

	streamed, _ := http.NewRequest(http.MethodPost, url+"/stream", struct{ io.Reader }{strings.NewReader("chunked")})
	resp, _ := do(t, c, streamed)
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("streamed POST to a dead app: status %d, want 502", resp.StatusCode)
	}

	p.Switch(addr(backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "next %s %s %s", r.Method, r.URL.Path, body)
	})))
	if r := await(t, gotGet); r.err != nil || r.status != http.StatusOK || r.body != "next GET /get " {
		t.Errorf("GET: status %d, body %q, err %v", r.status, r.body, r.err)
	}
	if r := await(t, gotPost); r.err != nil || r.status != http.StatusOK || r.body != "next POST /post payload" {
		t.Errorf("POST: status %d, body %q, err %v", r.status, r.body, r.err)
	}
}

// The app sees the original Host and X-Forwarded-* headers.
func TestForwardedHeaders(t *testing.T) {
	app := backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s xff=%s xfh=%s xfp=%s",
			r.Host, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Proto"))
	})
	p := New(Options{})
	url := front(t, p)
	p.Switch(addr(app))

	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	req.Host = "shop.localhost:8080"
	req.Header.Set("X-Forwarded-For", "10.1.2.3")
	_, body := do(t, client(t), req)
	want := "host=shop.localhost:8080 xff=10.1.2.3, 127.0.0.1 xfh=shop.localhost:8080 xfp=http"
	if body != want {
		t.Fatalf("app saw %q\nwant      %q", body, want)
	}
}

// A WebSocket passes through, counts as in flight while open (Drain gives up
// on its context), and stops counting when closed.
func TestWebSocket(t *testing.T) {
	app := backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		for {
			typ, msg, err := conn.Read(r.Context())
			if err != nil {
				return
			}
			if err := conn.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	p := New(Options{})
	url := front(t, p)
	p.Switch(addr(app))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws", &websocket.DialOptions{HTTPClient: client(t)})
	if err != nil {
		t.Fatalf("dial through the proxy: %v", err)
	}
	defer conn.CloseNow()
	for _, msg := range []string{"hello", "again"} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := conn.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo: got %q, %v; want %q", got, err, msg)
		}
	}

	b := p.Current()
	if n := b.InFlight(); n != 1 {
		t.Fatalf("InFlight with an open WebSocket = %d, want 1", n)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := b.Drain(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain with an open WebSocket = %v, want deadline exceeded", err)
	}
	if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := b.Drain(ctx); err != nil {
		t.Fatalf("Drain after the WebSocket closed: %v", err)
	}
}

// A Server-Sent Events stream from the app is not buffered: the first event
// arrives before the app writes the second.
func TestSSEPassThrough(t *testing.T) {
	second := make(chan struct{})
	app := backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-second:
			io.WriteString(w, "data: two\n\n")
		case <-r.Context().Done():
		}
	})
	p := New(Options{LiveReload: true})
	url := front(t, p)
	p.Switch(addr(app))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/stream", nil)
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	if line, err := lines.ReadString('\n'); err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q, %v (buffered by the proxy?)", line, err)
	}
	close(second)
	rest, err := io.ReadAll(lines)
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest of the stream: %q, %v", rest, err)
	}
}

// Close answers held requests at once and ends event streams.
func TestClose(t *testing.T) {
	p := New(Options{HoldTimeout: waitTimeout, LiveReload: true})
	url := front(t, p)
	c := client(t)
	_, events := openEvents(t, c, url+EventsPath)
	nextEvent(t, events) // hello
	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	done := goDo(c, req)
	testkit.Eventually(t, waitTimeout, "the request to be held", func() bool { return p.waiting.Load() == 1 })

	p.Close()
	if r := await(t, done); r.status != http.StatusBadGateway || !strings.Contains(r.body, "shutting down") {
		t.Errorf("held request after Close: status %d, body %q, err %v", r.status, r.body, r.err)
	}
	select {
	case ev, ok := <-events:
		if ok {
			t.Errorf("event after Close: %+v", ev)
		}
	case <-time.After(waitTimeout):
		t.Error("event stream still open after Close")
	}
}

// TestResponseCopyAllocatesLittle: forwarding a small response must not
// allocate a 32 KiB copy buffer each time (that garbage made the collector
// the daemon's largest cost under load).
func TestResponseCopyAllocatesLittle(t *testing.T) {
	app := backendFunc(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":1,"name":"Gin tonic glass","price":12.5}`)
	})
	p := New(Options{LiveReload: true})
	p.Switch(addr(app))
	url := front(t, p) + "/api/products/1"
	c := client(t)
	const n = 200
	for range 20 { // warm the connection pools
		get(t, c, url, "application/json")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if resp, body := get(t, c, url, "application/json"); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
	runtime.ReadMemStats(&after)
	perReq := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d bytes allocated per request (client, proxy and app together)", perReq)
	// About 15 KB with the pool, 48 KB without.
	if perReq >= copyBufferSize {
		t.Errorf("%d bytes allocated per request; want under %d: is the response copy buffer pooled?", perReq, copyBufferSize)
	}
}
