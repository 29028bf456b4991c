//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Bounds of the waits; a wait that passes its bound is reported as a
// timeout.
const (
	readyTimeout  = 180 * time.Second
	serveTimeout  = 15 * time.Second        // 5 to 10 times a build on this machine
	settleQuiet   = 1500 * time.Millisecond // longer than air's 1 s delay: an edit that builds shows
	shortQuiet    = 500 * time.Millisecond  // after the awaited version was served
	settleLimit   = 60 * time.Second
	stormTimeout  = 60 * time.Second
	buildTimeout  = 60 * time.Second
	afterFailure  = 2 * time.Second
	templateMark  = "<p>version {{.Version}}</p>"
	versionPath   = "internal/store/version.go"
	templatePath  = "templates/index.tmpl"
	initialVer    = "v1"
	brokenVersion = "package store\n\n// Version does not compile: the benchmark's build failure.\nconst Version = undefinedVersion\n"
)

// prepareShop copies examples/shop to dst and adds the event storm's
// files: plan.StormReach-1 files in internal/store (reached by the Gin main,
// with version.go they make StormReach) and the rest in internal/report
// (reached by no main).
func (b *bench) prepareShop(dst string) ([]string, error) {
	if err := os.RemoveAll(dst); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if err := copyTree(filepath.Join(b.repo, "examples", "shop"), dst); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	files := []string{versionPath}
	for i := 0; i < b.plan.StormReach-1; i++ {
		files = append(files, fmt.Sprintf("internal/store/gen_%02d.go", i))
	}
	for i := 0; i < b.plan.StormFiles-b.plan.StormReach; i++ {
		files = append(files, fmt.Sprintf("internal/report/gen_%03d.go", i))
	}
	for _, f := range files[1:] {
		if err := os.WriteFile(filepath.Join(dst, f), []byte(stormFile(f, "base")), 0o644); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return files, nil
}

// stormFile is the content of a generated storm file with value v.
func stormFile(rel, v string) string {
	pkg := filepath.Base(filepath.Dir(rel))
	name := strings.TrimSuffix(filepath.Base(rel), ".go")
	return fmt.Sprintf("package %s\n\n// %s is filler changed by the benchmark's event storm.\nconst %s = %q\n", pkg, name, name, v)
}

// runTool runs scenarios 1 to 8 on a fresh copy for one tool.
func (b *bench) runTool(spec toolSpec) (r ToolResult) {
	r = ToolResult{Name: spec.Name, Slug: spec.Slug, Irrelevant: []Irrelevant{}, Windows: []Window{}}
	fail := func(err error) { r.Errors = append(r.Errors, err.Error()); logf("%s: %v", spec.Name, err) }
	dir := filepath.Join(b.work, spec.Slug, "shop")
	storm, err := b.prepareShop(dir)
	if err != nil {
		fail(err)
		return r
	}
	logf("%s: starting", spec.Name)
	in, d, err := b.startTool(spec, dir, initialVer, readyTimeout)
	defer func() {
		if in != nil {
			r.CPUTotalS, _ = cpuSeconds(in.pid)
		}
		in.stop()
		if in != nil && in.events != nil {
			r.Events = map[string]int{}
			for _, e := range in.events.since(0) {
				r.Events[e.Event]++
				if e.DecisionUS > 0 {
					r.DecisionUS = append(r.DecisionUS, e.DecisionUS)
				}
			}
		}
		if in != nil {
			r.BuildsTotal = len(in.builds.read())
		}
	}()
	r.StartupMS = ms(d)
	if err != nil {
		r.StartupErr = err.Error()
		fail(err)
		return r
	}
	if _, ok := in.settle(settleQuiet, settleLimit); !ok {
		fail(fmt.Errorf("settling after start: timeout"))
	}
	scenarios := []struct {
		name string
		f    func(*instance, *ToolResult, []string) error
	}{
		{"1 save-serve", b.saveServe},
		{"2 template", b.template},
		{"3 irrelevant", b.irrelevant},
		{"4 availability", b.availability},
		{"5 storm", b.storm},
		{"6 rapid", b.rapid},
		{"7 failure", b.failure},
		{"8 idle", b.idle},
	}
	for _, s := range scenarios {
		if b.ctx.Err() != nil {
			break
		}
		logf("%s: scenario %s", spec.Name, s.name)
		w := Window{Scenario: s.name, Start: time.Now()}
		if err := s.f(in, &r, storm); err != nil {
			fail(fmt.Errorf("scenario %s: %w", s.name, err))
		}
		w.End = time.Now()
		r.Windows = append(r.Windows, w)
	}
	return r
}

// saveServe is scenario 1: one-line edits of a constant the Gin main
// reaches, alternately written in place and by rename.
func (b *bench) saveServe(in *instance, r *ToolResult, _ []string) error {
	path := filepath.Join(in.dir, versionPath)
	for i := 0; i < b.plan.SaveReps; i++ {
		method := "in-place"
		if i%2 == 1 {
			method = "rename"
		}
		v := fmt.Sprintf("s1-%02d", i)
		t0 := time.Now()
		if err := save(path, versionFile(v), method); err != nil {
			return err
		}
		d, ok := waitBody(b.ctx, in.client, in.url+"/version", equals(v), t0, serveTimeout)
		r.SaveServe = append(r.SaveServe, Sample{Method: method, MS: ms(d), Timeout: !ok})
		in.settle(300*time.Millisecond, settleLimit)
	}
	r.SaveServeStats = sampleStats(r.SaveServe, "")
	r.InPlaceStats = sampleStats(r.SaveServe, "in-place")
	r.RenameStats = sampleStats(r.SaveServe, "rename")
	return b.ctx.Err()
}

// template is scenario 2: edits of the HTML template the app loads at
// start.
func (b *bench) template(in *instance, r *ToolResult, _ []string) error {
	path := filepath.Join(in.dir, templatePath)
	orig, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if !strings.Contains(string(orig), templateMark) {
		return fmt.Errorf("template: %s lacks %q", templatePath, templateMark)
	}
	for i := 0; i < b.plan.TemplateReps; i++ {
		method := "in-place"
		if i%2 == 1 {
			method = "rename"
		}
		tag := fmt.Sprintf("tpl-%02d:", i)
		content := strings.Replace(string(orig), templateMark, "<p>"+tag+" version {{.Version}}</p>", 1)
		t0 := time.Now()
		if err := save(path, content, method); err != nil {
			return err
		}
		d, ok := waitBody(b.ctx, in.client, in.url+"/", contains(tag), t0, serveTimeout)
		r.Template = append(r.Template, Sample{Method: method, MS: ms(d), Timeout: !ok})
		in.settle(300*time.Millisecond, settleLimit)
	}
	r.TemplateStats = sampleStats(r.Template, "")
	return b.ctx.Err()
}

// irrelevant is scenario 3: edits that cannot change the Gin app.
func (b *bench) irrelevant(in *instance, r *ToolResult, _ []string) error {
	edits := []struct{ name, path, line string }{
		{"package no main imports", "internal/report/report.go", "// edited by the benchmark"},
		{"_test.go file", "internal/store/store_test.go", "// edited by the benchmark"},
		{"README.md", "README.md", "Edited by the benchmark."},
		{"second main (cmd/worker)", "cmd/worker/main.go", "// edited by the benchmark"},
	}
	for _, e := range edits {
		n0 := len(in.builds.read())
		if err := appendLine(filepath.Join(in.dir, e.path), e.line); err != nil {
			return err
		}
		restarts, ok := in.settle(settleQuiet, settleLimit)
		started, _ := in.buildsSince(n0)
		r.Irrelevant = append(r.Irrelevant, Irrelevant{Edit: e.name, Path: e.path, Builds: started, Restarts: restarts, Timeout: !ok})
	}
	return b.ctx.Err()
}

// availability is scenario 4: steady load across reloads.
func (b *bench) availability(in *instance, r *ToolResult, _ []string) error {
	var mu sync.Mutex
	seen := map[string]bool{}
	stop := make(chan struct{})
	start := time.Now()
	l := runLoad(b.ctx, in.url+"/version", b.plan.LoadRate, stop, func(v string) {
		mu.Lock()
		seen[v] = true
		mu.Unlock()
	})
	a := &Availability{}
	r.Availability = a
	err := func() error {
		if err := b.sleep(time.Second); err != nil {
			return err
		}
		for k := 1; k <= b.plan.Reloads; k++ {
			v := fmt.Sprintf("avail-%d", k)
			if err := save(filepath.Join(in.dir, versionPath), versionFile(v), "in-place"); err != nil {
				return err
			}
			deadline := time.Now().Add(serveTimeout)
			for {
				mu.Lock()
				ok := seen[v]
				mu.Unlock()
				if ok {
					break
				}
				if time.Now().After(deadline) {
					a.Timeout = true
					return nil
				}
				if err := b.sleep(20 * time.Millisecond); err != nil {
					return err
				}
			}
			a.Reloads++
			if err := b.sleep(500 * time.Millisecond); err != nil {
				return err
			}
		}
		if rest := b.plan.LoadMin - time.Since(start); rest > 0 {
			return b.sleep(rest)
		}
		return nil
	}()
	close(stop)
	l.wait()
	a.DurationS = time.Since(start).Seconds()
	a.Total, a.Failed, a.Kinds = l.total, l.failed, l.kinds
	in.settle(shortQuiet, settleLimit)
	return err
}

// storm is scenario 5: every storm file rewritten at once, in a shuffled
// order, as a git checkout does.
func (b *bench) storm(in *instance, r *ToolResult, files []string) error {
	order := append([]string(nil), files...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	const v = "storm-1"
	n0 := len(in.builds.read())
	t0 := time.Now()
	for _, f := range order {
		content := stormFile(f, v)
		if f == versionPath {
			content = versionFile(v)
		}
		if err := os.WriteFile(filepath.Join(in.dir, f), []byte(content), 0o644); err != nil {
			return fmt.Errorf("storm: %w", err)
		}
	}
	d, ok := waitBody(b.ctx, in.client, in.url+"/version", equals(v), t0, stormTimeout)
	_, settled := in.settle(shortQuiet, settleLimit)
	started, completed := in.buildsSince(n0)
	r.Storm = &Storm{Files: len(files), Reachable: b.plan.StormReach, Builds: started, Completed: completed, MS: ms(d), Timeout: !ok || !settled}
	return b.ctx.Err()
}

// poller records what /version answers every 20 ms until stopped.
type poller struct {
	mu       sync.Mutex
	requests int
	failed   int
	bodies   []string // distinct consecutive bodies
	count    map[string]int
	stop     chan struct{}
	done     chan struct{}
}

func (b *bench) poll(in *instance) *poller {
	p := &poller{count: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	c := newClient(2 * time.Second)
	go func() {
		defer close(p.done)
		for {
			st, body, err := get(b.ctx, c, in.url+"/version")
			body = strings.TrimSpace(body)
			p.mu.Lock()
			p.requests++
			if err != nil || st != http.StatusOK {
				p.failed++
			} else {
				p.count[body]++
				if len(p.bodies) == 0 || p.bodies[len(p.bodies)-1] != body {
					p.bodies = append(p.bodies, body)
				}
			}
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-b.ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return p
}

func (p *poller) end() {
	close(p.stop)
	<-p.done
}

// rapid is scenario 6: saves 100 ms apart; the last must be served.
func (b *bench) rapid(in *instance, r *ToolResult, _ []string) error {
	path := filepath.Join(in.dir, versionPath)
	n0 := len(in.builds.read())
	p := b.poll(in)
	last := fmt.Sprintf("rapid-%d", b.plan.RapidSaves)
	var t0 time.Time
	for i := 1; i <= b.plan.RapidSaves; i++ {
		t0 = time.Now()
		if err := save(path, versionFile(fmt.Sprintf("rapid-%d", i)), "in-place"); err != nil {
			p.end()
			return err
		}
		if i < b.plan.RapidSaves {
			if err := b.sleep(b.plan.RapidGap); err != nil {
				p.end()
				return err
			}
		}
	}
	d, ok := waitBody(b.ctx, in.client, in.url+"/version", equals(last), t0, stormTimeout)
	_, settled := in.settle(shortQuiet, settleLimit)
	p.end()
	started, completed := in.buildsSince(n0)
	_, served, _ := get(b.ctx, in.client, in.url+"/version")
	served = strings.TrimSpace(served)
	r.Rapid = &Rapid{Saves: b.plan.RapidSaves, Started: started, Completed: completed, LastServed: served == last, Served: served, Seen: p.bodies, MS: ms(d), Timeout: !ok || !settled}
	return b.ctx.Err()
}

// failure is scenario 7: a compile error under steady load, then its fix.
func (b *bench) failure(in *instance, r *ToolResult, _ []string) error {
	path := filepath.Join(in.dir, versionPath)
	_, old, err := get(b.ctx, in.client, in.url+"/version")
	if err != nil {
		return fmt.Errorf("failure: %w", err)
	}
	old = strings.TrimSpace(old)
	n0 := len(in.builds.read())
	var other atomic.Int64
	stop := make(chan struct{})
	l := runLoad(b.ctx, in.url+"/version", b.plan.LoadRate, stop, func(v string) {
		if v != old {
			other.Add(1)
		}
	})
	err = save(path, brokenVersion, "in-place")
	var rec buildRec
	ok := false
	if err == nil {
		rec, ok = in.waitBuildEnd(n0, buildTimeout)
		err = b.sleep(afterFailure)
	}
	close(stop)
	l.wait()
	f := &Failure{Requests: l.total, Failed: l.failed, OtherBody: int(other.Load()), BuildFail: ok && rec.rc != 0, Timeout: !ok}
	f.OldKept = f.Failed == 0 && f.OtherBody == 0
	r.Failure = f
	if err != nil {
		return err
	}
	const fixed = "fixed-1"
	t0 := time.Now()
	if err := save(path, versionFile(fixed), "in-place"); err != nil {
		return err
	}
	d, ok := waitBody(b.ctx, in.client, in.url+"/version", equals(fixed), t0, serveTimeout)
	f.FixMS, f.FixTimeout = ms(d), !ok
	in.settle(shortQuiet, settleLimit)
	return b.ctx.Err()
}

// idle is scenario 8: the tool's own process while nothing changes.
func (b *bench) idle(in *instance, r *ToolResult, _ []string) error {
	in.settle(shortQuiet, settleLimit)
	id, err := idleCost(in.pid, b.plan.Idle, b.sleep)
	if err != nil {
		return err
	}
	r.Idle = &id
	return nil
}

// floor is scenario 10: a plain go build of the same one-line edit with a
// warm cache, plus exec to the first HTTP 200 carrying it. Each repetition
// also measures the build with ginhotd's default link flags (-s -w).
func (b *bench) floor() (*FloorResult, error) {
	logf("floor: go build + exec")
	dir := filepath.Join(b.work, "floor", "shop")
	if _, err := b.prepareShop(dir); err != nil {
		return nil, err
	}
	bin := filepath.Join(b.work, "floor", "main")
	for _, flags := range [][]string{nil, {"-ldflags=-s -w"}} {
		if out, err := b.goCmd(dir, append(append([]string{"build"}, flags...), "-o", bin, "./cmd/api")...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("floor: first build: %w\n%s", err, out)
		}
	}
	f := &FloorResult{}
	var plain, stripped []FloorSample
	for i := 0; i < b.plan.FloorReps; i++ {
		for _, strip := range []bool{false, true} {
			s, err := b.floorOnce(dir, bin, fmt.Sprintf("floor-%02d-%t", i, strip), strip)
			if err != nil {
				return f, err
			}
			if strip {
				stripped = append(stripped, s)
			} else {
				plain = append(plain, s)
			}
		}
	}
	f.Samples, f.Stripped = plain, stripped
	f.Stats, f.BuildStats, f.StartStats = floorStats(plain)
	f.StrippedStats, _, _ = floorStats(stripped)
	return f, nil
}

// floorOnce edits the version to v, builds, starts the binary and waits for
// it to serve v.
func (b *bench) floorOnce(dir, bin, v string, strip bool) (FloorSample, error) {
	if b.ctx.Err() != nil {
		return FloorSample{}, fmt.Errorf("floor: %w", b.ctx.Err())
	}
	port, err := freePort()
	if err != nil {
		return FloorSample{}, err
	}
	args := []string{"build", "-o", bin, "./cmd/api"}
	if strip {
		args = []string{"build", "-ldflags=-s -w", "-o", bin, "./cmd/api"}
	}
	t0 := time.Now()
	if err := save(filepath.Join(dir, versionPath), versionFile(v), "in-place"); err != nil {
		return FloorSample{}, err
	}
	if out, err := b.goCmd(dir, args...).CombinedOutput(); err != nil {
		return FloorSample{}, fmt.Errorf("floor: build: %w\n%s", err, out)
	}
	built := time.Now()
	c := osexec.Command(bin)
	c.Dir = dir
	c.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "GIN_MODE=release")
	if err := b.procs.start(c); err != nil {
		return FloorSample{}, err
	}
	_, ok := waitBody(b.ctx, newClient(time.Second), fmt.Sprintf("http://127.0.0.1:%d/version", port), equals(v), built, serveTimeout)
	done := time.Now()
	b.procs.stop(c.Process.Pid, syscall.SIGKILL, time.Second)
	return FloorSample{BuildMS: ms(built.Sub(t0)), StartMS: ms(done.Sub(built)), MS: ms(done.Sub(t0)), Timeout: !ok}, nil
}

// floorStats summarises floor samples: total, build and start.
func floorStats(samples []FloorSample) (all, build, start Stats) {
	var a, bs, ss []float64
	timeouts := 0
	for _, s := range samples {
		if s.Timeout {
			timeouts++
			continue
		}
		a, bs, ss = append(a, s.MS), append(bs, s.BuildMS), append(ss, s.StartMS)
	}
	return summarize(a, timeouts), summarize(bs, timeouts), summarize(ss, timeouts)
}
