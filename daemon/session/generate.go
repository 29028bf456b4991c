package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
)

// This file runs the generator steps ([[generate]], go_generate) and loads
// the app's .env files.
//
//	first:   Run ─► generateFirst: every step, in order ─► generated ─► … ─► first builds
//	input:   change ─► generateFor: inputs → runStep (paths taken out of the batch)
//	         generated ─► generate_ok / generate_fail; the files the step wrote come back
//	         through the watcher as ordinary changes (identical bytes: no change at all)
//	pre:     startBuild ─► (helper) steps without inputs, then the build ─► built.pre
//	env:     a change to an env file ─► restart every target with its last good binary
//
// A step runs one at a time; inputs that change while it runs make it run
// once more afterwards. Changes to a step's outputs never run it. An input
// that set a step off and has other content once the step has run was
// rewritten by the step itself: that is reported as a loop, and that
// content does not run it again (a later edit does). Other files whose
// modification time falls inside the step's own run were written by it and
// do not run it again either.

// step is one generator step and its run-time state, owned by the loop.
type step struct {
	name    string // the command line, for messages
	opts    build.StepOptions
	inputs  []string // doublestar globs relative to the module root
	outputs []string
	pre     bool // no inputs: runs before every build

	running  bool
	runStart time.Time
	ranFrom  time.Time // the last finished run
	ranTo    time.Time
	again    []string                // inputs changed while it ran: run once more
	triggers map[string]build.Digest // the inputs that set off its last run
	held     []string                // changed Go files, decided on after the run
	diags    []build.Diagnostic
}

// generators is the session's generator state, owned by the loop except for
// pre, which serialises the steps run before builds on helper goroutines.
type generators struct {
	steps   []*step
	goGen   map[string]*step // by package directory
	next    int              // the first run: index of the step running; -1 when done
	env     []string         // the last good variables of the env files
	envErr  string           // the env file error last reported
	envPath map[string]bool  // absolute paths of the env files
	pre     sync.Mutex
}

// generated: a generator step finished.
type generated struct {
	st      *step
	paths   []string // what set it off
	first   bool     // part of the run before the first builds
	started time.Time
	ended   time.Time
	before  map[string]build.Digest // the content of paths when it started
	res     build.StepResult
	err     error
}

func (generated) isMessage() {}

// stepRun is a step run before a build, on the build's helper goroutine.
type stepRun struct {
	st      *step
	started time.Time
	ended   time.Time
	res     build.StepResult
	err     error
}

// initGenerators reads the steps and env files of the configuration.
func (s *Session) initGenerators() {
	g := &s.generators
	g.goGen = map[string]*step{}
	g.envPath = map[string]bool{}
	g.next = -1
	for _, c := range s.cfg.Generate {
		args, _ := config.SplitWords(c.Run) // validated by config.Load
		timeout := c.Timeout.D()
		if timeout == 0 {
			timeout = config.DefaultGenerateTimeout
		}
		g.steps = append(g.steps, &step{
			name:    c.Run,
			opts:    build.StepOptions{Dir: s.cfg.Dir, Args: args, Env: s.cfg.BuildEnv, Timeout: timeout, OnStart: s.guard.Add, OnExit: s.guard.Remove},
			inputs:  c.Inputs,
			outputs: c.Outputs,
			pre:     len(c.Inputs) == 0,
		})
	}
	for _, f := range s.cfg.EnvFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(s.cfg.Dir, f)
		}
		g.envPath[filepath.Clean(f)] = true
	}
	s.loadEnv()
}

// globMeta escapes the characters that are special in a doublestar glob.
var globMeta = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`)

// watchInclude returns the globs of files the watcher must report even when
// a .gitignore file hides them: the env files and the steps' outputs
// (generated code is often ignored by git).
func (s *Session) watchInclude() []string {
	var globs []string
	for _, f := range s.cfg.EnvFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(s.cfg.Dir, f)
		}
		if rel, err := filepath.Rel(s.cfg.Dir, f); err == nil && !strings.HasPrefix(rel, "..") {
			globs = append(globs, globMeta.Replace(filepath.ToSlash(rel)))
		}
	}
	for _, c := range s.cfg.Generate {
		globs = append(globs, c.Outputs...)
	}
	return globs
}

// generateFirst starts the run of every step before the first builds and
// reports whether it did; the builds then start once the last step is done.
func (s *Session) generateFirst() bool {
	if len(s.generators.steps) == 0 {
		return false
	}
	s.generators.next = 0
	s.runStep(s.generators.steps[0], nil, true)
	return true
}

// runStep starts st on a helper goroutine.
func (s *Session) runStep(st *step, paths []string, first bool) {
	st.running = true
	st.runStart = time.Now()
	reason := "before the first build"
	if !first {
		reason = changedReason(s.cfg.Dir, paths)
	}
	s.emit(Event{Kind: KindGenerateStart, Step: st.name, Reason: reason})
	m := generated{st: st, paths: paths, first: first, started: st.runStart, before: map[string]build.Digest{}}
	for _, p := range paths {
		d, ok := s.digest(p)
		if !ok {
			d = absent
		}
		m.before[p] = d
	}
	opts := st.opts
	s.spawn(func() {
		m.res, m.err = s.deps.steps.Run(s.ctx, opts)
		m.ended = time.Now()
		s.send(m)
	})
}

// changedReason says which files set a step off.
func changedReason(dir string, paths []string) string {
	var rel []string
	for _, p := range paths {
		if r, err := filepath.Rel(dir, p); err == nil {
			p = filepath.ToSlash(r)
		}
		rel = append(rel, p)
	}
	if len(rel) > 3 {
		rel = append(rel[:3], fmt.Sprintf("and %d more", len(rel)-3))
	}
	return strings.Join(rel, ", ") + " changed"
}

func (s *Session) onGenerated(m generated) {
	st := m.st
	st.running = false
	st.ranFrom, st.ranTo = m.started, m.ended
	st.triggers = m.before
	if m.err != nil && s.ctx.Err() != nil {
		return // the session is ending
	}
	s.rewrites(st, m.before)
	s.reportStep(st, m.res, m.err)
	if !m.first && st.diags == nil {
		// What the step wrote goes straight into the decision, with the
		// Go files it held; the watcher's report of the same content
		// later is no change. A step that failed decides nothing: what
		// serves keeps serving, as the failure says, and its next good
		// run decides.
		paths := append(st.held, s.fresh(s.written(st), nil)...)
		st.held = nil
		if len(paths) > 0 {
			s.decide(change{cause: CauseFileChange, paths: paths})
		}
	}
	if again := st.again; len(again) > 0 {
		st.again = nil
		s.runStep(st, again, false)
		if m.first {
			return // the first run goes on once this one is done
		}
	}
	if !m.first && s.generators.next < 0 {
		return
	}
	if st.running {
		return
	}
	s.generators.next++
	if s.generators.next < len(s.generators.steps) {
		s.runStep(s.generators.steps[s.generators.next], nil, true)
		return
	}
	s.generators.next = -1
	// The graph was loaded before the steps wrote their outputs: count them
	// in the first build's content key, so that the watcher's report of
	// those files finds the build in flight and builds nothing more.
	outs := s.stepOutputs()
	for _, t := range s.each() {
		s.inputs(t)
		for _, p := range outs {
			t.extra[p] = true
		}
		s.startBuild(t, CauseStart, "first build")
	}
}

// written returns the files st may have written: those matching its
// outputs or, for a go generate step, the Go files of its package. The
// caller keeps those whose content changed (fresh): file times are too
// coarse on some file systems to tell what a run wrote.
func (s *Session) written(st *step) []string {
	if len(st.outputs) == 0 {
		files, _ := filepath.Glob(filepath.Join(st.opts.Dir, "*.go"))
		return files
	}
	return s.matching(st.outputs)
}

// matching returns the files of the module that match one of globs,
// skipping the directories no build reads (.git, node_modules, vendor)
// and ginhotd's own cache.
func (s *Session) matching(globs []string) []string {
	var out []string
	_ = filepath.WalkDir(s.cfg.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if rel, err := filepath.Rel(s.cfg.Dir, p); err == nil && matchAny(globs, filepath.ToSlash(rel)) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// stepOutputs returns the files in the module that match a step's outputs.
func (s *Session) stepOutputs() []string {
	var globs []string
	for _, st := range s.generators.steps {
		globs = append(globs, st.outputs...)
	}
	return s.matching(globs)
}

// reportStep publishes the outcome of a step: its events, its diagnostics
// and, when it failed, the proxy's error overlay. A failure changes nothing
// that runs: the serving version keeps serving.
func (s *Session) reportStep(st *step, res build.StepResult, err error) {
	ms := res.Duration.Milliseconds()
	if err == nil && res.OK {
		if st.diags != nil {
			st.diags = nil
			s.diagDirty = true
		}
		s.emit(Event{Kind: KindGenerateOK, Step: st.name, MS: ms})
		if !s.stepFailed() {
			for _, t := range s.each() {
				if t.router != nil && t.state() != StateFailed {
					t.router.ClearFail()
				}
			}
		}
		return
	}
	out := res.Output
	diags := res.Diags
	if err != nil {
		out = err.Error()
		diags = []build.Diagnostic{{Message: out, Kind: build.KindGenerate}}
	}
	st.diags = diags
	s.diagDirty = true
	e := Event{Kind: KindGenerateFail, Step: st.name, MS: ms, Diagnostics: diags, Output: out}
	for _, t := range s.each() {
		if t.cur != nil && !e.Serving {
			e.Serving, e.Generation = true, t.generation
		}
	}
	s.emit(e)
	for _, t := range s.each() {
		// With nothing serving yet and a build under way, requests stay
		// held for that build rather than get the "nothing has run" page.
		if t.router != nil && (t.cur != nil || !t.building()) {
			t.router.Fail(st.name + " failed:\n" + out)
		}
	}
}

// stepFailed reports whether a step's last run failed.
func (s *Session) stepFailed() bool {
	for _, st := range s.allSteps() {
		if st.diags != nil {
			return true
		}
	}
	return false
}

// allSteps returns the configured steps and the go generate steps.
func (s *Session) allSteps() []*step {
	all := slices.Clone(s.generators.steps)
	for _, dir := range slices.Sorted(maps.Keys(s.generators.goGen)) {
		all = append(all, s.generators.goGen[dir])
	}
	return all
}

// stepDiags are the diagnostics of the steps' last runs.
func (s *Session) stepDiags() []build.Diagnostic {
	var ds []build.Diagnostic
	for _, st := range s.allSteps() {
		ds = append(ds, st.diags...)
	}
	return ds
}

// generateFor runs the steps whose inputs c changed, restarts the apps when
// an env file changed, and returns the change of the paths left for the
// graph decision; ok is false when nothing is left to decide.
func (s *Session) generateFor(c change) (change, bool) {
	if len(s.generators.steps) == 0 && !s.cfg.GoGenerate && len(s.generators.envPath) == 0 {
		return c, true
	}
	var rest []string
	envChanged := false
	trig := map[*step][]string{}
	var order []*step
	for _, p := range c.paths {
		if s.generators.envPath[p] {
			envChanged = true
			continue
		}
		steps := s.stepsFor(p, c.editor[p])
		if len(steps) == 0 {
			rest = append(rest, p)
		}
		for _, st := range steps {
			if _, ok := trig[st]; !ok {
				order = append(order, st)
			}
			trig[st] = append(trig[st], p)
		}
	}
	for _, st := range order {
		if st.running || s.generators.next >= 0 {
			st.again = append(st.again, trig[st]...)
			continue
		}
		s.runStep(st, trig[st], false)
	}
	if envChanged && s.generators.next < 0 {
		s.envChanged(c.cause)
	}
	if s.generators.next >= 0 && len(rest) > 0 {
		s.emit(Event{Kind: KindSkip, Reason: "the first build waits for the generate steps", Cause: c.cause.String()})
		return c, false
	}
	c.paths = rest
	return c, len(rest) > 0
}

// stepsFor returns the steps a change of the file p sets off: the steps
// whose inputs match it, else its package's go generate step. A step's own
// write (not an editor's) sets nothing off. A Go file or a restart file
// (a template) is held by the steps, to be decided on once they have run.
func (s *Session) stepsFor(p string, editor bool) []*step {
	var steps []*step
	if rel, err := filepath.Rel(s.cfg.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		rel = filepath.ToSlash(rel)
		for _, st := range s.generators.steps {
			if st.pre || !matchAny(st.inputs, rel) || matchAny(st.outputs, rel) {
				continue
			}
			if !editor && st.wrote(p) {
				s.emit(Event{Kind: KindWarn, Step: st.name, Message: fmt.Sprintf("generate step %q rewrote its own input %s (a loop): not running it again for that change; list what it writes in outputs, or narrow its inputs", st.name, rel)})
				continue
			}
			if (strings.HasSuffix(p, ".go") || matchAny(s.cfg.Restart, rel)) && !slices.Contains(st.held, p) {
				// Go code is code too (swag's annotated handlers), and a
				// template a script step reads still restarts the app, as
				// air's rebuild did: decided on once the step has run.
				st.held = append(st.held, p)
			}
			steps = append(steps, st)
		}
	}
	if len(steps) == 0 && s.cfg.GoGenerate && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && !s.stepWrote(p) {
		if st := s.goGenerateStep(filepath.Dir(p)); st != nil && (editor || !st.wrote(p)) {
			st.held = append(st.held, p)
			steps = append(steps, st)
		}
	}
	return steps
}

// rewrites reports, once, the inputs that set st off and that st rewrote,
// and marks their new content as handled, so that the watcher's report of
// it does not run st again.
func (s *Session) rewrites(st *step, before map[string]build.Digest) {
	for p, d := range before {
		if slices.Contains(st.again, p) {
			continue // edited again while it ran: the next run takes it
		}
		delete(s.digests, p)
		now, ok := s.digest(p)
		if !ok {
			now = absent
		}
		if now == d {
			continue
		}
		s.handled[p] = now
		rel, _ := filepath.Rel(s.cfg.Dir, p)
		s.emit(Event{Kind: KindWarn, Step: st.name, Message: fmt.Sprintf("generate step %q rewrote its own input %s (a loop): not running it again for that change; list what it writes in outputs, or narrow its inputs", st.name, filepath.ToSlash(rel))})
	}
}

// wrote reports whether the file p was last modified during a run of st.
// The inputs that set the run off are judged by their content instead (see
// rewrites): file times are too coarse to tell the step's write from an
// edit a moment later.
func (st *step) wrote(p string) bool {
	if _, ok := st.triggers[p]; ok {
		return false
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	mod := fi.ModTime()
	if st.running && !mod.Before(st.runStart) {
		return true
	}
	return !st.ranFrom.IsZero() && !mod.Before(st.ranFrom) && !mod.After(st.ranTo)
}

// matchAny reports whether rel matches one of globs.
func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		if doublestar.MatchUnvalidated(g, rel) {
			return true
		}
	}
	return false
}

// stepWrote reports whether p is a configured step's output, or was
// written by a step's last run: go generate never runs on what another
// step (templ writes //go:generate lines into its *_templ.go) produced.
func (s *Session) stepWrote(p string) bool {
	rel, err := filepath.Rel(s.cfg.Dir, p)
	if err != nil {
		return false
	}
	for _, st := range s.allSteps() {
		if matchAny(st.outputs, filepath.ToSlash(rel)) || st.wrote(p) {
			return true
		}
	}
	return false
}

// goGenerateStep returns the go generate step of the package in dir, or nil
// when none of its Go files has a //go:generate line.
func (s *Session) goGenerateStep(dir string) *step {
	if st := s.generators.goGen[dir]; st != nil {
		return st
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte("//go:generate ")) {
			continue
		}
		rel, _ := filepath.Rel(s.cfg.Dir, dir)
		st := &step{
			name: "go generate ./" + filepath.ToSlash(rel),
			opts: build.StepOptions{Dir: dir, Args: []string{"go", "generate", "."}, Env: s.cfg.BuildEnv, Timeout: config.DefaultGenerateTimeout, OnStart: s.guard.Add, OnExit: s.guard.Remove},
		}
		s.generators.goGen[dir] = st
		return st
	}
	return nil
}

// preSteps returns the steps that run before a build set off by cause: the
// steps without inputs, except for the first builds, which the first run
// of every step preceded.
func (s *Session) preSteps(cause Cause) []*step {
	if cause == CauseStart {
		return nil
	}
	var pre []*step
	for _, st := range s.generators.steps {
		if st.pre {
			pre = append(pre, st)
		}
	}
	return pre
}

// runPre runs steps one after the other on a build's helper goroutine, and
// stops at the first that fails. The steps' options are immutable.
func (s *Session) runPre(ctx context.Context, steps []*step) ([]stepRun, bool) {
	if len(steps) == 0 {
		return nil, true
	}
	s.generators.pre.Lock()
	defer s.generators.pre.Unlock()
	var runs []stepRun
	for _, st := range steps {
		r := stepRun{st: st, started: time.Now()}
		r.res, r.err = s.deps.steps.Run(ctx, st.opts)
		r.ended = time.Now()
		runs = append(runs, r)
		if r.err != nil || !r.res.OK {
			return runs, false
		}
	}
	return runs, true
}

// afterPre reports the steps run before the build of m and tells whether
// the build went on: when one failed, t keeps what it serves.
func (s *Session) afterPre(t *target, m built) bool {
	ok := true
	for _, r := range m.pre {
		r.st.ranFrom, r.st.ranTo = r.started, r.ended
		if r.err != nil && errors.Is(r.err, context.Canceled) {
			return false
		}
		s.reportStep(r.st, r.res, r.err)
		if r.err != nil || !r.res.OK {
			ok = false
		}
	}
	if !ok {
		t.buildBroke("a generate step failed", t.buildDiags)
	}
	return ok
}

// loadEnv reads the env files into s.gen.env and reports whether they
// parsed; a fault is reported once, as a warning that names the file and
// line, and the last good variables stay.
func (s *Session) loadEnv() bool {
	if len(s.cfg.EnvFiles) == 0 {
		return true
	}
	env, err := config.LoadEnvFiles(s.cfg.Dir, s.cfg.EnvFiles)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "config: ") + " (the app keeps its previous environment)"
		if msg != s.generators.envErr {
			s.generators.envErr = msg
			s.emit(Event{Kind: KindWarn, Message: "env file: " + msg})
		}
		return false
	}
	s.generators.envErr = ""
	s.generators.env = env
	return true
}

// appEnv is the environment a new version gets on top of the process's:
// the env files' variables that the process environment does not set, then
// the env setting.
func (s *Session) appEnv() []string {
	s.loadEnv()
	env := []string{}
	for _, kv := range s.generators.env {
		name, _, _ := strings.Cut(kv, "=")
		if _, set := os.LookupEnv(name); !set {
			env = append(env, kv)
		}
	}
	return append(env, s.cfg.Env...)
}

// envChanged restarts every running target with its last good binary, no
// build, once the env files parse.
func (s *Session) envChanged(cause Cause) {
	if !s.loadEnv() {
		return
	}
	for _, t := range s.each() {
		if t.stopped || t.lastGood == "" {
			continue
		}
		t.changeAt = time.Now()
		s.emit(Event{Kind: KindRestart, Target: t.pkg.Name, Reason: "an env file changed", Cause: cause.String()})
		s.startVersion(t, t.lastGood, cause)
	}
}
