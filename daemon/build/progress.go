package build

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"
)

// Phase names what a build is busy with in a [Progress].
type Phase string

// The phases of a build that [Options.Progress] reports.
const (
	PhaseDownload Phase = "download" // the go command downloads modules
	PhaseCompile  Phase = "compile"  // the go command compiles packages
)

// Progress is how far a build has come; see [Options.Progress].
//
// In [PhaseDownload], Done counts the modules whose download has begun
// (the go command's "go: downloading" lines) and What is the latest,
// "github.com/gin-gonic/gin v1.10.0". Total is the number of modules the
// go.mod files require: an upper bound, since modules already in the
// module cache are not downloaded.
//
// In [PhaseCompile], Done counts the packages compiled so far and What is
// the latest one's import path. Total is the size of the target's
// dependency closure (from go list -deps, once a few packages have
// compiled; 0 until then): an upper bound, since packages found in the build
// cache are not compiled again.
//
// Total is 0 while unknown, and otherwise never less than Done.
type Progress struct {
	Phase Phase
	Done  int
	Total int
	What  string
}

// progressInterval is the least time between two calls of
// [Options.Progress].
const progressInterval = 100 * time.Millisecond

// listAfter is the number of compiled packages after which the closure is
// counted with go list -deps. An edit recompiles one or two packages; a
// cold build compiles hundreds, and only those pay for the go list.
const listAfter = 5

// reporter turns the go command's output into throttled [Progress] calls.
// Lines come from the goroutine that reads the go command's output; the
// closure count and the throttle's timer come from others, so every field
// below is guarded by mu, and fn is called with mu held (so never twice at
// once).
type reporter struct {
	fn    func(Progress)
	strip bool // drop the -v lines from the output: ginhotd added -v
	bound func() int
	list  func(ctx context.Context) (int, error)

	mu       sync.Mutex
	cur      Progress
	closure  int // go list -deps's count; 0 until known
	last     time.Time
	dirty    bool // cur changed since fn last saw it
	timer    *time.Timer
	closed   bool
	cancel   context.CancelFunc // stops the go list
	listDone chan struct{}      // closed when the go list returned; nil if none started
}

// line observes one line of the go command's output and reports whether
// the line belongs in the build's output.
func (r *reporter) line(s string) bool {
	if mod, ok := strings.CutPrefix(s, "go: downloading "); ok {
		r.update(func(p *Progress) {
			if p.Phase != PhaseDownload {
				*p = Progress{Phase: PhaseDownload, Total: r.bound()}
			}
			p.Done++
			p.What = mod
			if p.Total < p.Done {
				p.Total = 0
			}
		})
		return true
	}
	pkg, ok := compiled(s)
	if !ok {
		return true
	}
	r.update(func(p *Progress) {
		if p.Phase != PhaseCompile {
			*p = Progress{Phase: PhaseCompile}
		}
		p.Done++
		p.What = pkg
		p.Total = max(r.closure, p.Done)
		if r.closure == 0 {
			p.Total = 0
		}
		if p.Done == listAfter && r.list != nil && r.listDone == nil {
			r.startList()
		}
	})
	return !r.strip
}

// compiled reports whether s is the line `go build -v -json` prints when
// it compiles a package, and returns the package's import path.
func compiled(s string) (string, bool) {
	if !strings.HasPrefix(s, "{") || !strings.Contains(s, `"build-output"`) {
		return "", false
	}
	var ev event
	if json.Unmarshal([]byte(s), &ev) != nil || ev.Action != "build-output" {
		return "", false
	}
	pkg, ok := strings.CutSuffix(ev.Output, "\n")
	if !ok || pkg == "" || strings.ContainsAny(pkg, " \n") {
		return "", false
	}
	// A package compiled for one main (PGO) is "path [main]".
	if ev.ImportPath != pkg && !strings.HasPrefix(ev.ImportPath, pkg+" [") {
		return "", false
	}
	return pkg, true
}

// startList counts the closure with r.list in the background. mu is held.
func (r *reporter) startList() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.listDone = make(chan struct{})
	go func() {
		defer close(r.listDone)
		n, err := r.list(ctx)
		if err != nil || n == 0 {
			return
		}
		r.update(func(p *Progress) {
			r.closure = n
			if p.Phase == PhaseCompile {
				p.Total = max(n, p.Done)
			}
		})
	}()
}

// update changes the progress with f and calls fn now, or once
// progressInterval has passed since its last call.
func (r *reporter) update(f func(*Progress)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	f(&r.cur)
	r.dirty = true
	wait := progressInterval - time.Since(r.last)
	if wait <= 0 {
		r.flushLocked()
		return
	}
	if r.timer == nil {
		r.timer = time.AfterFunc(wait, r.flush)
	}
}

// flush is the throttle's timer: it calls fn, unless an update did since
// the timer was set (it fired while that update held mu), in which case it
// waits for the rest of the interval again.
func (r *reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	if r.closed {
		return
	}
	if wait := progressInterval - time.Since(r.last); wait > 0 {
		if r.dirty {
			r.timer = time.AfterFunc(wait, r.flush)
		}
		return
	}
	r.flushLocked()
}

func (r *reporter) flushLocked() {
	if !r.dirty {
		return
	}
	r.dirty = false
	r.last = time.Now()
	r.fn(r.cur)
}

// close reports the last progress not yet reported, if any, stops the go
// list and waits for it; fn is not called after close returns.
func (r *reporter) close() {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.flushLocked()
	r.closed = true
	cancel, done := r.cancel, r.listDone
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// newReporter returns the reporter of opts.Progress for a go build of
// target run in dir; strip says whether ginhotd added -v.
func newReporter(opts Options, goBin, dir, target string, strip bool) *reporter {
	r := &reporter{fn: opts.Progress, strip: strip}
	r.bound = sync.OnceValue(func() int { return requiredModules(dir, opts.Env) })
	r.list = func(ctx context.Context) (int, error) {
		return countDeps(ctx, goBin, dir, listArgs(opts, target), opts)
	}
	return r
}

// listArgs returns the go list arguments that print one line per package
// of target's dependency closure, with the build's tags and flags.
func listArgs(opts Options, target string) []string {
	a := []string{"list", "-e", "-deps", "-f", "{{.ImportPath}}"}
	if len(opts.Tags) > 0 {
		a = append(a, "-tags", strings.Join(opts.Tags, ","))
	}
	for _, f := range opts.Flags {
		if name := strings.TrimLeft(f, "-"); name != "v" && name != "x" {
			a = append(a, f)
		}
	}
	return append(a, target)
}

// countDeps runs go list and counts the lines it prints on stdout.
func countDeps(ctx context.Context, goBin, dir string, a []string, opts Options) (int, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, goBin, a...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Stdout = &out
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	if opts.OnStart != nil {
		opts.OnStart(cmd.Process.Pid)
	}
	err := cmd.Wait()
	if opts.OnExit != nil {
		opts.OnExit(cmd.Process.Pid)
	}
	if err != nil {
		return 0, err
	}
	return bytes.Count(out.Bytes(), []byte("\n")), nil
}

// requiredModules counts the require directives of the go.mod in dir, or
// of every module a go.work in dir uses (unless env, after the process's
// environment, sets GOWORK=off); 0 when none can be read.
func requiredModules(dir string, env []string) int {
	mods := []string{filepath.Join(dir, "go.mod")}
	work := os.Getenv("GOWORK")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOWORK="); ok {
			work = v
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "go.work")); err == nil && work != "off" {
		if wf, err := modfile.ParseWork("go.work", data, nil); err == nil {
			mods = mods[:0]
			for _, u := range wf.Use {
				use := u.Path
				if !filepath.IsAbs(use) {
					use = filepath.Join(dir, use)
				}
				mods = append(mods, filepath.Join(use, "go.mod"))
			}
		}
	}
	n := 0
	for _, m := range mods {
		data, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		if mf, err := modfile.ParseLax(m, data, nil); err == nil {
			n += len(mf.Require)
		}
	}
	return n
}
