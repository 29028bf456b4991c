//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// toolSpec names one column of the table.
type toolSpec struct {
	Name    string
	Slug    string
	Air     bool
	NoProxy bool // ginhotd --no-proxy
	Delay   int  // air's build.delay in ms
	Poll    bool // air's build.poll
}

func toolSpecs() []toolSpec {
	return []toolSpec{
		{Name: "ginhotd proxy", Slug: "ginhotd-proxy"},
		{Name: "ginhotd --no-proxy", Slug: "ginhotd-no-proxy", NoProxy: true},
		{Name: "air", Slug: "air", Air: true, Delay: 1000},
		// air v1.67.4 ignores delay = 0 in .air.toml: it merges the file
		// over its defaults with mergo, which skips zero values, so 0 means
		// the default 1000 ms. 1 ms is the shortest delay it honours.
		{Name: "air delay=1ms", Slug: "air-delay1", Air: true, Delay: 1},
	}
}

// airConfig is air's .air.toml with the defaults `air init` writes
// (runner/config.go defaultConfigBase in v1.67.4), the build command pointed
// at the Gin main.
func airConfig(delay int, poll bool) string {
	return fmt.Sprintf(`# Written by ginhotd's bench: air v1.67.4's defaults, cmd pointed at ./cmd/api.
root = "."
testdata_dir = "testdata"
tmp_dir = "tmp"

[build]
  args_bin = []
  bin = "./tmp/main"
  cmd = "go build -o ./tmp/main ./cmd/api"
  delay = %d
  exclude_dir = ["assets", "tmp", "vendor", "testdata"]
  exclude_file = []
  exclude_regex = ["_test.go"]
  exclude_unchanged = false
  follow_symlink = false
  full_bin = ""
  include_dir = []
  include_ext = ["go", "tpl", "tmpl", "html"]
  include_file = []
  kill_delay = "0s"
  log = "build-errors.log"
  poll = %t
  poll_interval = 0
  rerun = false
  rerun_delay = 500
  send_interrupt = false
  stop_on_error = false

[color]
  app = ""
  build = "yellow"
  main = "magenta"
  runner = "green"
  watcher = "cyan"

[log]
  main_only = false
  silent = false
  time = false

[misc]
  clean_on_exit = false

[proxy]
  enabled = false

[screen]
  clear_on_rebuild = false
  keep_scroll = true
`, delay, poll)
}

// goWrapper is a `go` that logs each `go build` (start, the CPU time of
// the go command and everything it waited for, and end with its exit
// status) to $BENCH_BUILD_LOG and runs the real go. It is bash for
// $EPOCHREALTIME and the time keyword: the start line is written before
// anything else runs, so that a build cancelled at once is still counted.
// A build killed with its process group (ginhotd cancels stale builds)
// never logs its CPU time or its end.
func goWrapper(realGo string) string {
	return fmt.Sprintf(`#!/bin/bash
# Written by ginhotd's bench: counts go builds, then runs the real go.
if [ "$1" = build ] && [ -n "$BENCH_BUILD_LOG" ]; then
	id="$$-$EPOCHREALTIME"
	echo "start $id" >> "$BENCH_BUILD_LOG"
	TIMEFORMAT="cpu $id %%3U %%3S"
	{ time '%[1]s' "$@" 2>&3 3>&- ; } 3>&2 2>>"$BENCH_BUILD_LOG"
	rc=$?
	echo "end $id $rc $EPOCHREALTIME" >> "$BENCH_BUILD_LOG"
	exit $rc
fi
exec '%[1]s' "$@"
`, realGo)
}

// buildRec is one go build seen by the wrapper.
type buildRec struct {
	id    string
	pid   int
	start time.Time
	end   time.Time
	ended bool
	rc    int
	// cpu is the user plus system CPU time of the go command and the
	// compilers and linker it ran; hasCPU is false for a killed build.
	cpu    time.Duration
	hasCPU bool
}

// buildLog reads the wrapper's log of one tool.
type buildLog struct{ path string }

func (l buildLog) read() []buildRec {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return nil
	}
	var recs []buildRec
	idx := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "start":
			pidS, at, _ := strings.Cut(f[1], "-")
			pid, _ := strconv.Atoi(pidS)
			idx[f[1]] = len(recs)
			recs = append(recs, buildRec{id: f[1], pid: pid, start: epochTime(at)})
		case len(f) == 4 && f[0] == "cpu":
			i, ok := idx[f[1]]
			if !ok {
				continue
			}
			recs[i].cpu, recs[i].hasCPU = seconds(f[2])+seconds(f[3]), true
		case len(f) == 4 && f[0] == "end":
			i, ok := idx[f[1]]
			if !ok {
				continue
			}
			rc, _ := strconv.Atoi(f[2])
			recs[i].ended, recs[i].rc, recs[i].end = true, rc, epochTime(f[3])
		}
	}
	return recs
}

// epochTime parses bash's $EPOCHREALTIME ("1700000000.123456").
func epochTime(s string) time.Time {
	sec, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	n, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(n, us*1000)
}

// seconds parses bash's %3U ("1.234", or "1,234" in some locales).
func seconds(s string) time.Duration {
	v, _ := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	return time.Duration(v * float64(time.Second))
}

// running reports whether r is still running (started, not ended, and its
// wrapper still alive).
func (r buildRec) running() bool {
	return !r.ended && alive(r.pid)
}

// event is one line of ginhotd's JSON log.
type event struct {
	At         time.Time `json:"-"`
	Time       time.Time `json:"time"`
	Event      string    `json:"event"`
	Target     string    `json:"target"`
	MS         int64     `json:"ms"`
	PID        int       `json:"pid"`
	Reason     string    `json:"reason"`
	DecisionUS int64     `json:"decision_us"`
	Generation int       `json:"generation"`
	Message    string    `json:"message"`
}

// eventLog collects ginhotd's events as they arrive and copies the raw
// lines to a file.
type eventLog struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{}
	raw     io.Writer
	partial []byte
}

func newEventLog(raw io.Writer) *eventLog {
	return &eventLog{changed: make(chan struct{}), raw: raw}
}

// Write splits ginhotd's stdout into lines and decodes each.
func (l *eventLog) Write(p []byte) (int, error) {
	_, _ = l.raw.Write(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		var e event
		if json.Unmarshal(l.partial[:i], &e) == nil {
			e.At = time.Now()
			l.events = append(l.events, e)
			close(l.changed)
			l.changed = make(chan struct{})
		}
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// mark returns the number of events so far, a position for wait.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// since returns the events from position from on.
func (l *eventLog) since(from int) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from > len(l.events) {
		return nil
	}
	return append([]event(nil), l.events[from:]...)
}

// wait returns the first event from position from on that satisfies ok,
// and its position; it reports false when timeout passes first.
func (l *eventLog) wait(ctx context.Context, from int, ok func(event) bool, timeout time.Duration) (event, int, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for i := from; i < len(l.events); i++ {
			if ok(l.events[i]) {
				e := l.events[i]
				l.mu.Unlock()
				return e, i, true
			}
		}
		from = len(l.events)
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return event{}, from, false
		case <-ctx.Done():
			return event{}, from, false
		}
	}
}

// instance is one running tool on its own copy of the app.
type instance struct {
	spec    toolSpec
	dir     string // the module copy
	url     string
	pid     int // the tool's own process
	builds  buildLog
	events  *eventLog // ginhotd only
	logFile *os.File
	b       *bench
	client  *http.Client
	pids    []int // app PIDs seen on /pid, in order
}

// copyTree copies the directory src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// toolEnv is the environment of a tool: the counting go first on PATH, the
// harness's XDG cache (ginhotd's binaries) with the real GOCACHE, and GIN's
// release mode for every app alike.
func (b *bench) toolEnv(buildLogPath string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "XDG_CACHE_HOME", "GOCACHE", "BENCH_BUILD_LOG", "PORT", "GIN_MODE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_COLOR":
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"PATH="+b.wrapDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"XDG_CACHE_HOME="+filepath.Join(b.work, "xdg-cache"),
		"GOCACHE="+b.goCache,
		"BENCH_BUILD_LOG="+buildLogPath,
		"GIN_MODE=release",
		"NO_COLOR=1",
	)
	return append(env, extra...)
}

// startTool starts spec on the module copy dir and waits until the app
// answers on /version with want.
func (b *bench) startTool(spec toolSpec, dir, want string, readyTimeout time.Duration) (*instance, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logDir := filepath.Join(b.work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	in := &instance{
		spec:   spec,
		dir:    dir,
		url:    fmt.Sprintf("http://127.0.0.1:%d", port),
		builds: buildLog{path: filepath.Join(logDir, spec.Slug+".builds")},
		b:      b,
		client: newClient(time.Second),
	}
	in.logFile, err = os.Create(filepath.Join(logDir, spec.Slug+".log"))
	if err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	var c *exec.Cmd
	if spec.Air {
		if err := os.WriteFile(filepath.Join(dir, ".air.toml"), []byte(airConfig(spec.Delay, spec.Poll)), 0o644); err != nil {
			return nil, 0, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		c = exec.Command(b.air, "-c", ".air.toml")
		c.Env = b.toolEnv(in.builds.path, fmt.Sprintf("PORT=%d", port))
		c.Stdout, c.Stderr = in.logFile, in.logFile
	} else {
		args := []string{"run", "--log-format", "json", "--addr", fmt.Sprintf("127.0.0.1:%d", port)}
		if spec.NoProxy {
			args = append(args, "--no-proxy")
		}
		c = exec.Command(b.ginhotd, append(args, dir)...)
		c.Env = b.toolEnv(in.builds.path)
		raw, err := os.Create(filepath.Join(logDir, spec.Slug+".events.jsonl"))
		if err != nil {
			return nil, 0, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		in.events = newEventLog(raw)
		c.Stdout, c.Stderr = in.events, in.logFile
	}
	c.Dir = dir
	t0 := time.Now()
	if err := b.procs.start(c); err != nil {
		return nil, 0, err
	}
	in.pid = c.Process.Pid
	d, ok := waitBody(b.ctx, newClient(time.Second), in.url+"/version", equals(want), t0, readyTimeout)
	if !ok {
		return in, d, fmt.Errorf("start %s: the app did not serve %q within %s: timeout", spec.Name, want, readyTimeout)
	}
	in.notePID()
	return in, d, nil
}

// stop ends the tool by its PID (SIGTERM, then its process group by force)
// and the apps it started.
func (in *instance) stop() {
	if in == nil {
		return
	}
	in.b.procs.stop(in.pid, syscall.SIGTERM, 10*time.Second)
	for _, pid := range in.pids {
		if alive(pid) {
			if pg, err := syscall.Getpgid(pid); err == nil && pg > 1 {
				_ = syscall.Kill(-pg, syscall.SIGKILL)
			}
		}
	}
	if in.logFile != nil {
		_ = in.logFile.Close()
	}
}

// appPID returns the PID the app serves on /pid, or 0.
func (in *instance) appPID() int {
	st, body, err := get(in.b.ctx, in.client, in.url+"/pid")
	if err != nil || st != http.StatusOK {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(body))
	if err != nil {
		return 0
	}
	in.b.procs.sawApp(pid)
	return pid
}

// notePID polls /pid once and records a new PID; it reports the PID.
func (in *instance) notePID() int {
	pid := in.appPID()
	if pid != 0 && (len(in.pids) == 0 || in.pids[len(in.pids)-1] != pid) {
		in.pids = append(in.pids, pid)
	}
	return pid
}

// settle waits until no build is running and nothing (build start, build
// end, app PID change) has happened for quiet, polling /pid meanwhile. It
// returns how many times the app's PID changed, and false on timeout.
func (in *instance) settle(quiet, limit time.Duration) (int, bool) {
	start := time.Now()
	last := start
	prev := in.notePID()
	changes := 0
	for {
		if pid := in.notePID(); pid != 0 && pid != prev {
			if prev != 0 {
				changes++
			}
			prev = pid
			last = time.Now()
		} else if pid != 0 && prev == 0 {
			prev = pid
		}
		busy := false
		for _, r := range in.builds.read() {
			if r.running() {
				busy = true
			}
			if r.start.After(last) {
				last = r.start
			}
			if r.ended && r.end.After(last) {
				last = r.end
			}
		}
		if !busy && time.Since(last) >= quiet {
			return changes, true
		}
		if time.Since(start) > limit {
			return changes, false
		}
		if in.b.sleep(50*time.Millisecond) != nil {
			return changes, false
		}
	}
}

// buildsSince counts the builds started and ended after position n of the
// build log.
func (in *instance) buildsSince(n int) (started, completed int) {
	recs := in.builds.read()
	if n > len(recs) {
		return 0, 0
	}
	for _, r := range recs[n:] {
		started++
		if r.ended {
			completed++
		}
	}
	return started, completed
}

// waitBuildEnd waits for a build started at or after position n to end and
// returns it.
func (in *instance) waitBuildEnd(n int, timeout time.Duration) (buildRec, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		recs := in.builds.read()
		for i := n; i < len(recs); i++ {
			if recs[i].ended {
				return recs[i], true
			}
		}
		if in.b.sleep(20*time.Millisecond) != nil {
			break
		}
	}
	return buildRec{}, false
}

// versionFile is internal/store/version.go with the constant set to v.
func versionFile(v string) string {
	return fmt.Sprintf("package store\n\n// Version is shown on /version; edit it to watch ginhotd reload the app.\nconst Version = %q\n", v)
}

// save writes content to path in place or, as editors with "safe write"
// do, to a temporary file in the same directory renamed over path.
func save(path, content, method string) error {
	if method != "rename" {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".bench-tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// appendLine appends one line to path in place.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	return nil
}

// ctxSleep sleeps for d unless ctx ends first.
func ctxSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}
