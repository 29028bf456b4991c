package term

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// printed returns what a text Printer rooted at /src/app prints for e.
func printed(e session.Event) string {
	var out bytes.Buffer
	e.Time = time.Date(2025, 1, 2, 16, 8, 24, 0, time.UTC)
	New(Options{Out: &out, Err: &out, Root: "/src/app"}).Notify(e)
	return out.String()
}

func TestFailureSaysWhatServes(t *testing.T) {
	diag := []build.Diagnostic{{File: "/src/app/main.go", Line: 7, Col: 2, Message: "undefined: x"}}
	tests := []struct {
		name string
		e    session.Event
		want string
	}{
		{"first build fails", session.Event{Kind: session.KindBuildFail, Target: "./cmd/api", MS: 1200, Diagnostics: diag},
			"16:08:24 ✗ build of ./cmd/api failed in 1.2s; no version has run yet: fix the errors below and save\nmain.go:7:2: undefined: x\n"},
		{"build fails while a version serves", session.Event{Kind: session.KindBuildFail, Target: "./cmd/api", MS: 900, Generation: 3, Serving: true, Diagnostics: diag},
			"16:08:24 ✗ build of ./cmd/api failed in 900ms; generation 3 keeps serving\nmain.go:7:2: undefined: x\n"},
		{"build fails after the app crashed", session.Event{Kind: session.KindBuildFail, Target: "./cmd/api", MS: 900, Generation: 2, Output: "go: boom\n"},
			"16:08:24 ✗ build of ./cmd/api failed in 900ms; nothing is serving (generation 2 is not running)\ngo: boom\n"},
		{"first version fails to start", session.Event{Kind: session.KindCrash, Target: "./cmd/api", Reason: "the app exited during start-up: exit status 1", Output: "listen: address in use"},
			"16:08:24 ✗ ./cmd/api: the app exited during start-up: exit status 1; no version has run yet\nlisten: address in use\n"},
		{"generate step fails", session.Event{Kind: session.KindGenerateFail, Step: "templ generate", MS: 40, Generation: 2, Serving: true, Output: "(✗) Error ...",
			Diagnostics: []build.Diagnostic{{File: "/src/app/views/index.templ", Line: 4, Col: 13, Message: "missing close brace", Kind: build.KindGenerate}}},
			"16:08:24 ✗ templ generate failed in 40ms; generation 2 keeps serving\nviews/index.templ:4:13: missing close brace\n"},
		{"generator not installed", session.Event{Kind: session.KindGenerateFail, Step: "swag init", Output: "generate: swag: command not found in PATH; install it with `go install ...`",
			Diagnostics: []build.Diagnostic{{Message: "generate: swag: command not found in PATH", Kind: build.KindGenerate}}},
			"16:08:24 ✗ swag init failed in 0s; no version has run yet: fix the errors below and save\ngenerate: swag: command not found in PATH; install it with `go install ...`\n"},
		{"new version fails to start", session.Event{Kind: session.KindCrash, Target: "./cmd/api", Reason: "the app exited during start-up: exit status 1", Generation: 4, Serving: true},
			"16:08:24 ✗ ./cmd/api: the app exited during start-up: exit status 1; generation 4 keeps serving\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := printed(tt.e); got != tt.want {
				t.Errorf("printed\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestJSONCarriesServing(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out, JSON: true})
	p.Notify(session.Event{Kind: session.KindBuildFail, Target: "./cmd/api", Generation: 3, Serving: true})
	p.Notify(session.Event{Kind: session.KindBuildFail, Target: "./cmd/api"})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), out.String())
	}
	for i, want := range []struct {
		serving bool
		gen     int
	}{{true, 3}, {false, 0}} {
		var got struct {
			Serving    bool `json:"serving"`
			Generation int  `json:"generation"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.Serving != want.serving || got.Generation != want.gen {
			t.Errorf("line %d = %s, want serving %v generation %d", i, lines[i], want.serving, want.gen)
		}
	}
}

func TestWarnPrintsTheNotice(t *testing.T) {
	msg := `no main package imports Gin: running ./cmd/server, the only one that imports net/http; to pin it, pass --target ./cmd/server or put targets = ["./cmd/server"] in ginhot.toml`
	if got, want := printed(session.Event{Kind: session.KindWarn, Message: msg}), "16:08:24 ! "+msg+"\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the Printer's flush timer.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAppOutputIsBatchedButNotLate(t *testing.T) {
	var out syncBuffer
	p := New(Options{Out: &out, Err: &out})
	for i := range 100 {
		p.Notify(session.Event{Kind: session.KindLog, Target: "./cmd/api", Line: strings.Repeat("x", i%7)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("app output not written within 5s: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	if out.writes > 10 {
		t.Errorf("100 lines took %d writes; want them batched", out.writes)
	}
}

func TestAppOutputKeepsItsPlaceBeforeEvents(t *testing.T) {
	var out syncBuffer
	p := New(Options{Out: &out, Err: &out})
	p.Notify(session.Event{Kind: session.KindLog, Line: "first"})
	p.Notify(session.Event{Kind: session.KindStop, Target: "./cmd/api", PID: 7})
	p.Notify(session.Event{Kind: session.KindLog, Line: "last"})
	p.Flush()
	got := out.String()
	i, j, k := strings.Index(got, "first"), strings.Index(got, "stopped"), strings.Index(got, "last")
	if i < 0 || j < i || k < j {
		t.Fatalf("output out of order:\n%s", got)
	}
}

func TestReadyPrintsTheDebugAddress(t *testing.T) {
	got := printed(session.Event{Kind: session.KindReady, Target: "./cmd/api", Generation: 2, PID: 4242, Reason: "started in 80ms", MS: 1500, Debug: "127.0.0.1:40123"})
	want := "16:08:24 ● ./cmd/api ready, generation 2, pid 4242 (started in 80ms; 1.5s after the change)\n" +
		"16:08:24 ⬢ debugger: attach to 127.0.0.1:40123 (Delve, DAP or JSON-RPC; a new address for each version)\n"
	if got != want {
		t.Errorf("printed\n%q\nwant\n%q", got, want)
	}
}

func TestReusedAndPreparedBuilds(t *testing.T) {
	got := printed(session.Event{Kind: session.KindBuildOK, Target: "./cmd/api", Reason: "built before from the same content"})
	if want := "16:08:24 ✓ ./cmd/api: no build, built before from the same content\n"; got != want {
		t.Errorf("reused build printed %q, want %q", got, want)
	}
	got = printed(session.Event{Kind: session.KindPrepared, Target: "./cmd/api", MS: 1100, Speculative: true})
	if want := "16:08:24 · prepared ./cmd/api in 1.1s from the editor's unsaved buffers\n"; got != want {
		t.Errorf("prepared printed %q, want %q", got, want)
	}
}

// TestServingAnnouncedOncePerTarget: "serving at" is said when a target's
// first version serves, once, also for a target that joins later, and not
// again when another target's state changes.
func TestServingAnnouncedOncePerTarget(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out, Root: "/src/app"})
	api := session.TargetStatus{Name: "./cmd/api", State: session.StateRunning, Generation: 1, URL: "http://127.0.0.1:8080"}
	admin := session.TargetStatus{Name: "./cmd/admin", State: session.StateBuilding, URL: "http://127.0.0.1:8081"}
	status := func(ts ...session.TargetStatus) {
		p.Notify(session.Event{Kind: session.KindStatus, Status: &session.Status{State: session.StateRunning, Targets: ts}})
	}
	status(api)
	status(api, admin)
	admin.State, admin.Generation = session.StateRunning, 1
	status(api, admin)
	admin.State = session.StateStopped
	status(api, admin)
	if got := strings.Count(out.String(), "./cmd/api serving at"); got != 1 {
		t.Errorf("api announced %d times, want once:\n%s", got, out.String())
	}
	if got := strings.Count(out.String(), "./cmd/admin serving at http://127.0.0.1:8081"); got != 1 {
		t.Errorf("admin announced %d times, want once:\n%s", got, out.String())
	}
}

// TestRootTargetIsNamedByItsDirectory checks that the target "." reads as
// the root directory's name on a terminal, and stays "." in JSON.
func TestRootTargetIsNamedByItsDirectory(t *testing.T) {
	tests := []struct {
		e    session.Event
		want string
	}{
		{session.Event{Kind: session.KindBuildStart, Target: ".", Reason: "first build"}, "16:08:24 ⟳ building app (.) — first build\n"},
		{session.Event{Kind: session.KindBuildOK, Target: ".", MS: 900}, "16:08:24 ✓ built app (.) in 900ms\n"},
		{session.Event{Kind: session.KindStart, Target: ".", PID: 7}, "16:08:24 ▶ starting app (.) (pid 7)\n"},
		{session.Event{Kind: session.KindBuildStart, Target: "./cmd/api", Reason: "first build"}, "16:08:24 ⟳ building ./cmd/api — first build\n"},
		{session.Event{Kind: session.KindLog, Target: ".", Line: "[GIN-debug] Listening"}, "[app] [GIN-debug] Listening\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		tt.e.Time = time.Date(2025, 1, 2, 16, 8, 24, 0, time.UTC)
		p := New(Options{Out: &out, Err: &out, Root: "/src/app", Prefix: true})
		p.Notify(tt.e)
		p.Flush()
		if out.String() != tt.want {
			t.Errorf("printed %q, want %q", out.String(), tt.want)
		}
	}
	// Through a symbolic link the name is the one the user gave.
	var out bytes.Buffer
	New(Options{Out: &out, Root: "/real/x1", Named: "/home/me/shop"}).Notify(session.Event{Kind: session.KindBuildStart, Target: ".", Reason: "first build"})
	if !strings.Contains(out.String(), "building shop (.) — first build") {
		t.Errorf("named root: %q", out.String())
	}
	out.Reset()
	New(Options{Out: &out, JSON: true, Root: "/src/app"}).Notify(session.Event{Kind: session.KindBuildStart, Target: "."})
	var e session.Event
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Target != "." {
		t.Errorf("JSON target %q (%v), want \".\"", e.Target, err)
	}
}

// progressEvents are a first build's events: downloads, then compiles
// before and after the total is known, then the end.
func progressEvents(at time.Time) []session.Event {
	ev := func(d time.Duration, e session.Event) session.Event {
		e.Time, e.Target = at.Add(d), "./cmd/api"
		return e
	}
	return []session.Event{
		ev(0, session.Event{Kind: session.KindBuildStart, Reason: "first build"}),
		ev(100*time.Millisecond, session.Event{Kind: session.KindProgress, Phase: "download", Done: 1, Total: 12, What: "github.com/gin-gonic/gin v1.10.0"}),
		ev(2*time.Second, session.Event{Kind: session.KindProgress, Phase: "compile", Done: 1, What: "internal/goarch"}),
		ev(3*time.Second, session.Event{Kind: session.KindProgress, Phase: "compile", Done: 9, Total: 112, What: "runtime"}),
		ev(8*time.Second, session.Event{Kind: session.KindProgress, Phase: "compile", Done: 37, Total: 112, What: "github.com/gin-gonic/gin"}),
		ev(9*time.Second, session.Event{Kind: session.KindBuildOK, MS: 9000}),
	}
}

func TestProgressOnATerminalIsOneLine(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out, Live: true, Width: 100})
	at := time.Date(2025, 1, 2, 15, 4, 5, 0, time.Local)
	for _, e := range progressEvents(at) {
		p.Notify(e)
	}
	want := "15:04:05 ⟳ building ./cmd/api — first build\n" +
		"15:04:05 ⟳ ./cmd/api: downloading module 1 of at most 12 — github.com/gin-gonic/gin v1.10.0" +
		"\r\x1b[K15:04:07 ⟳ ./cmd/api: compiled 1 package — internal/goarch" +
		"\r\x1b[K15:04:08 ⟳ ./cmd/api: compiled 9 packages of at most 112 (cached ones are skipped) — runtime" +
		// 100 columns at most, the last one free.
		"\r\x1b[K15:04:13 ⟳ ./cmd/api: compiled 37 packages of at most 112 (cached ones are skipped) — github.com/g…" +
		"\r\x1b[K15:04:14 ✓ built ./cmd/api in 9s\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestProgressLineIsErasedForAppOutputAndAtExit(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out, Live: true})
	at := time.Date(2025, 1, 2, 15, 4, 5, 0, time.Local)
	p.Notify(session.Event{Time: at, Kind: session.KindProgress, Target: ".", Phase: "compile", Done: 2})
	p.Notify(session.Event{Time: at, Kind: session.KindLog, Target: ".", Line: "hello"})
	p.Flush()
	p.Notify(session.Event{Time: at, Kind: session.KindProgress, Target: ".", Phase: "compile", Done: 3})
	p.Flush()
	want := "15:04:05 ⟳ .: compiled 2 packages\r\x1b[Khello\n15:04:05 ⟳ .: compiled 3 packages\r\x1b[K"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestProgressInALogIsOccasionalLines(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out})
	at := time.Date(2025, 1, 2, 15, 4, 5, 0, time.Local)
	for _, e := range progressEvents(at) {
		p.Notify(e)
	}
	// A log hears of compiles from the tenth package on (a warm build's
	// few are no news), then at most every progressEvery: +10s is within
	// it of +8s, +14s is not.
	for _, d := range []struct {
		at   time.Duration
		done int
	}{{10 * time.Second, 50}, {14 * time.Second, 60}} {
		p.Notify(session.Event{Kind: session.KindProgress, Time: at.Add(d.at), Target: "./cmd/api", Phase: "compile", Done: d.done, Total: 112, What: "x"})
	}
	want := "15:04:05 ⟳ building ./cmd/api — first build\n" +
		"15:04:05 ⟳ ./cmd/api: downloading module 1 of at most 12 — github.com/gin-gonic/gin v1.10.0\n" +
		"15:04:13 ⟳ ./cmd/api: compiled 37 packages of at most 112 (cached ones are skipped) — github.com/gin-gonic/gin\n" +
		"15:04:14 ✓ built ./cmd/api in 9s\n" +
		"15:04:19 ⟳ ./cmd/api: compiled 60 packages of at most 112 (cached ones are skipped) — x\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestProgressInJSONIsAnEvent(t *testing.T) {
	var out bytes.Buffer
	p := New(Options{Out: &out, Err: &out, JSON: true, Live: true})
	p.Notify(session.Event{Kind: session.KindProgress, Target: "./cmd/api", Phase: "compile", Done: 37, Total: 112, What: "runtime"})
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	want := map[string]any{"time": "0001-01-01T00:00:00Z", "event": "progress", "target": "./cmd/api", "phase": "compile", "done": 37.0, "total": 112.0, "what": "runtime"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestPositionlessDiagnosticIsPlainText: a diagnostic with no file (a
// custom build command's output) prints as its message, not ":0: …"; the
// first version counts from ginhotd's start, not from a change.
func TestPositionlessDiagnosticIsPlainText(t *testing.T) {
	got := printed(session.Event{Kind: session.KindBuildFail, Target: "./cmd/api", MS: 300, Diagnostics: []build.Diagnostic{{Message: "make: *** [Makefile:11: build] Error 1"}}})
	if !strings.Contains(got, "\nmake: *** [Makefile:11: build] Error 1\n") || strings.Contains(got, ":0:") {
		t.Errorf("got %q", got)
	}
	got = printed(session.Event{Kind: session.KindReady, Target: "./cmd/api", Generation: 1, PID: 7, Reason: "started in 9ms", MS: 2800, Cause: session.CauseStart.String()})
	if !strings.Contains(got, "2.8s after ginhotd started") {
		t.Errorf("got %q", got)
	}
}
