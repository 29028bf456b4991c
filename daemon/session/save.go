package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// A save, top to bottom: a change comes in (take), is decided on (decide:
// the graph, the generator steps, the binary store) and, when it needs a
// binary nobody has, built (startBuild → onBuilt); version.go goes on with
// the version it makes.

// change is one set of changed files, whoever reported them: the file
// watcher (a batch) or an editor (a save, a file event it saw). It is the
// one way changes enter a session.
type change struct {
	cause Cause    // what set it off: an editor's cause when an editor reported a path
	paths []string // absolute and clean
	// editor holds the paths an editor reported: a generator step's own
	// write is told apart from an edit by it.
	editor map[string]bool
	// read holds what the watcher read of the paths it hashed: their
	// content is hashed once, by the watcher, and carried here.
	read map[string]watch.Content
}

// changeOf turns a watcher batch into a change: the tags of the paths an
// editor reported through the watcher (Notify) become their cause.
func changeOf(b watch.Batch) change {
	c := change{cause: CauseFileChange, paths: b.Paths, editor: map[string]bool{}, read: b.Contents}
	for p, tag := range b.Tags {
		c.editor[p] = true
		if cause := parseCause(tag); cause != CauseFileChange {
			c.cause = cause
		}
	}
	return c
}

// Changed reports paths changed by an editor (didSave, didChangeWatchedFiles).
// A save is decided on at once; the watcher rescans every path too, so a
// save seen by both yields one decision (take drops the second).
// Changed never blocks: should its queue be full, the watcher still sees
// the change on disk.
func (s *Session) Changed(cause Cause, paths ...string) {
	c := change{cause: cause, editor: map[string]bool{}}
	for _, p := range paths {
		if filepath.IsAbs(p) {
			p = filepath.Clean(p)
			c.paths = append(c.paths, p)
			c.editor[p] = true
		}
	}
	select {
	case s.changes <- c:
	default:
	}
}

// onChanged takes a change an editor reported: a save at once, without the
// watcher's quiet window; other reports through the watcher's funnel.
func (s *Session) onChanged(c change) {
	s.watcher.Notify(c.cause.String(), c.paths...)
	if c.cause == CauseDidSave {
		s.take(c)
	}
}

// take is where every change enters: it hashes each changed file, once,
// drops the paths whose content the session already acted on (a save the
// editor and the watcher both report), runs the generator steps the rest
// sets off, and decides on what is left. A target that gave up restarting
// tries again.
func (s *Session) take(c change) {
	if c.paths = s.fresh(c.paths, c.read); len(c.paths) == 0 {
		return
	}
	if c, ok := s.generateFor(c); ok {
		s.decide(c)
	}
	s.wakeParked(c)
}

// fresh returns the paths whose content is not what the session last
// acted on, recording it as acted on. A file's content is what the watcher
// read of it (read), else it is hashed here, once.
func (s *Session) fresh(paths []string, read map[string]watch.Content) []string {
	var out []string
	for _, p := range paths {
		delete(s.digests, p)
		if c, ok := read[p]; ok {
			s.digests[p] = fileDigest{d: build.Digest(c.Digest), mod: c.ModTime, size: c.Size}
		}
		d, ok := s.digest(p)
		if !ok {
			d = absent
		}
		if last, seen := s.handled[p]; seen && last == d {
			continue
		}
		s.handled[p] = d
		out = append(out, p)
	}
	return out
}

// savedAt is when the newest of paths was written, when a change is seen
// noticeably later than that (a polled mount, a busy watcher), so that
// "after the change" counts from the save; else now. modOf gives a file's
// modification time, false when it is gone.
func savedAt(paths []string, now time.Time, modOf func(string) (time.Time, bool)) time.Time {
	newest := time.Time{}
	for _, p := range paths {
		if mod, ok := modOf(p); ok && mod.After(newest) {
			newest = mod
		}
	}
	if d := now.Sub(newest); d > 50*time.Millisecond && d < time.Minute {
		return newest
	}
	return now
}

// modTime returns the modification time of the file at path as take
// recorded it when it hashed the file (no second stat on the way to the
// decision), else from the file system.
func (s *Session) modTime(path string) (time.Time, bool) {
	if e, ok := s.digests[path]; ok {
		return e.mod, true
	}
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false
	}
	return fi.ModTime(), true
}

// absent stands for the digest of a file that does not exist.
var absent = build.Digest{0xff}

// fileDigest is a cached digest with the size and time of the file hashed.
type fileDigest struct {
	d    build.Digest
	mod  time.Time
	size int64
}

// digest returns the digest of the file at path, from the cache unless a
// change set named the path since; false when there is no such file.
func (s *Session) digest(path string) (build.Digest, bool) {
	if e, ok := s.digests[path]; ok {
		return e.d, true
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return build.Digest{}, false
	}
	d, err := build.HashFile(path)
	if err != nil {
		return build.Digest{}, false
	}
	s.digests[path] = fileDigest{d: d, mod: fi.ModTime(), size: fi.Size()}
	return d, true
}

// decide asks the graph what a change needs and acts on it, target by
// target (by import path).
func (s *Session) decide(c change) {
	start := time.Now()
	res := s.graph.Classify(c.paths)
	us := time.Since(start).Microseconds()
	cause := c.cause
	acted := false
	at := savedAt(c.paths, start, s.modTime)
	for _, d := range res.Decisions {
		t := s.targets[d.Target.Path]
		if t == nil || t.gone != "" {
			continue // the graph reload that follows this change reconciles it
		}
		switch d.Action {
		case analysis.Rebuild:
			acted = true
			t.changeAt = at
			t.decisionUS = us
			if _, err := os.Stat(t.pkg.Dir); err != nil && res.Reload {
				continue // its main package is gone: the reload stops it
			}
			s.rebuild(t, c.paths, cause, d.Reason)
		case analysis.Restart:
			acted = true
			t.changeAt = at
			s.emit(Event{Kind: KindRestart, Target: t.pkg.Name, Reason: d.Reason, Cause: cause.String(), DecisionUS: us})
			if !t.stopped && t.lastGood != "" {
				s.startVersion(t, t.lastGood, cause)
			}
		}
	}
	if !acted {
		reason := "no target reaches the change"
		if len(res.Decisions) > 0 {
			reason = res.Decisions[0].Reason
		}
		s.emit(Event{Kind: KindSkip, Reason: reason, Cause: cause.String(), DecisionUS: us})
	}
	if res.Reload {
		s.reloadGraph()
	}
}

// rebuild acts on a change that needs a build of t: it reuses a binary of
// the same content if there is one, waits for a speculative build of that
// content, or builds.
//
// paths are the changed files: they count in the content key even before a
// graph reload has listed them among t's inputs (a new file).
func (s *Session) rebuild(t *target, paths []string, cause Cause, reason string) {
	s.inputs(t)
	for _, p := range paths {
		t.extra[p] = true
	}
	opts := s.buildOptions(t)
	key := s.keyOf(t, opts, nil)
	switch {
	case t.buildCancel != nil && key == t.buildKey:
		return // this content is being built (an editor save the watcher saw too)
	case t.cur != nil && key == t.cur.key && t.buildCancel == nil:
		if t.state() == StateRunning {
			s.emit(Event{Kind: KindSkip, Target: t.pkg.Name, Reason: "the serving version was built from this content", Cause: cause.String()})
			t.changeAt = time.Time{}
			return
		}
		s.reuse(t, t.cur.bin, key, cause, 0, 0) // back to what serves: clear the failure
		return
	}
	if bin, ok := s.bins.Get(key); ok {
		s.reuse(t, bin, key, cause, s.preparedMS[key], 0)
		return
	}
	if t.speculation != nil && t.speculation.key == key {
		t.abandonBuild()
		t.awaiting, t.awaitCause, t.awaitReason, t.awaitSince = key, cause, reason, time.Now()
		s.emit(Event{Kind: KindBuildStart, Target: t.pkg.Name, Reason: reason + "; the speculative build of this content is finishing", Cause: cause.String(), DecisionUS: t.decisionUS, Speculative: true})
		t.decisionUS = 0
		return
	}
	if t.speculation != nil {
		t.speculation.cancel() // it built buffers that were not saved like that
		t.speculation = nil
	}
	s.startBuildOf(t, opts, key, cause, reason)
}

// reuse serves bin, built before from the content key, without a build:
// it reports a build_ok and starts bin unless it serves. built is how long
// the build that made bin took, when it was speculative; waited is how much
// of it came after the save (the save waited for it to finish).
func (s *Session) reuse(t *target, bin, key string, cause Cause, built, waited int64) {
	t.abandonBuild()
	t.awaiting = ""
	t.buildMs = waited
	reason := "built before from the same content"
	switch {
	case waited > 0:
		reason = fmt.Sprintf("prepared from the editor's buffers: the build started before the save and took %dms, %dms of them after it", built, waited)
	case built > 0:
		reason = fmt.Sprintf("prepared from the editor's buffers before the save (the build took %dms)", built)
	}
	s.buildSucceeded(t, Event{Kind: KindBuildOK, Target: t.pkg.Name, MS: waited, Cause: cause.String(), Speculative: built > 0, Reason: reason, SavedMS: max(built-waited, 0)})
	switch {
	case t.stopped:
		s.replaceLastGood(t, bin)
	case t.cur != nil && t.cur.bin == bin:
		t.changeAt = time.Time{}
	default:
		s.startVersionKey(t, bin, key, cause, built > 0)
	}
}

// keyOf is the content key of building t with opts from the files on disk,
// with the buffers of overlay in place of their files.
func (s *Session) keyOf(t *target, opts build.Options, overlay map[string][]byte) string {
	files := map[string]build.Digest{}
	add := func(p string) {
		if _, ok := overlay[p]; ok {
			return
		}
		if d, ok := s.digest(p); ok {
			files[p] = d
		}
	}
	for _, p := range s.inputs(t) {
		add(p)
	}
	for p := range t.extra {
		add(p)
	}
	for p, c := range overlay {
		files[p] = build.HashBytes(c)
	}
	return build.Key(opts, t.pkg.Path, files)
}

// inputs returns the files t's build reads, from the current graph. A new
// graph also clears the changed files noted since the last one (extra).
func (s *Session) inputs(t *target) []string {
	if t.inputsOf == nil || t.inputsOf != s.graph {
		t.inputs, t.inputsOf, t.extra = s.graph.Inputs(t.pkg.Path), s.graph, map[string]bool{}
	}
	return t.inputs
}

// startBuild cancels any build of t in flight and starts a new one: the
// latest change wins.
func (s *Session) startBuild(t *target, cause Cause, reason string) {
	opts := s.buildOptions(t)
	s.startBuildOf(t, opts, s.keyOf(t, opts, nil), cause, reason)
}

// startBuildOf is startBuild with the build settings and content key the
// caller already has.
func (s *Session) startBuildOf(t *target, opts build.Options, key string, cause Cause, reason string) {
	s.emit(Event{Kind: KindBuildStart, Target: t.pkg.Name, Reason: reason, Cause: cause.String(), DecisionUS: t.decisionUS})
	if cause == CauseStart || t.cur == nil {
		opts.Progress = s.progress(t.pkg.Name)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	m := built{t: t, id: t.buildStarted(cancel, key, cause), key: key, cause: cause, reason: reason, started: time.Now()}
	pkg, pre := t.pkg.Path, s.preSteps(cause)
	s.spawn(func() {
		var ok bool
		if m.pre, ok = s.runPre(ctx, pre); !ok {
			s.send(m)
			return
		}
		m.res, m.err = s.deps.builder.Build(ctx, opts, pkg)
		s.send(m)
	})
}

// buildOptions returns the build settings of t.
func (s *Session) buildOptions(t *target) build.Options {
	o := s.baseBuildOptions()
	o.Env = build.CgoEnv(s.cfg.BuildEnv, t.pkg.Cgo != "", s.cfg.Cgo)
	return s.debugBuild(o)
}

// baseBuildOptions are the build settings that do not depend on the graph.
func (s *Session) baseBuildOptions() build.Options {
	return build.Options{
		Dir:     s.cfg.Dir,
		OutDir:  s.cache.bin,
		Flags:   s.cfg.BuildFlags,
		Tags:    s.cfg.Tags,
		LDFlags: s.cfg.LDFlags,
		Strip:   s.cfg.Strip,
		Env:     s.cfg.BuildEnv,
		Command: buildCommand(s.cfg.BuildCmd),
		Bin:     s.cfg.Bin,
		OnStart: s.guard.Add,
		OnExit:  s.guard.Remove,
	}
}

// progress returns a [build.Options.Progress] that emits target's
// progress events.
func (s *Session) progress(target string) func(build.Progress) {
	return func(p build.Progress) {
		s.emit(Event{Kind: KindProgress, Target: target, Phase: string(p.Phase), Done: p.Done, Total: p.Total, What: p.What})
	}
}

// buildCommand splits build_cmd into words (validated by config.Load).
func buildCommand(cmd string) []string {
	if cmd == "" {
		return nil
	}
	words, _ := config.SplitWords(cmd)
	return words
}

// staleBuild is the reason of a build started again because a file it
// failed on changed while it ran.
const staleBuild = "a file changed during the build"

func (s *Session) onBuilt(m built) {
	t := m.t
	if m.id != t.buildID {
		return // a newer change superseded this build
	}
	if !s.afterPre(t, m) {
		return
	}
	if m.err == nil && !m.res.OK && m.reason != staleBuild && touchedSince(m.res.Diags, m.started) {
		// An editor was still writing a file the build read (a truncated
		// file reads as "expected 'package'"): build again, once, rather
		// than report errors nobody wrote.
		s.startBuild(t, m.cause, staleBuild)
		return
	}
	t.buildEnded(m.res.Duration)
	switch {
	case m.err != nil && errors.Is(m.err, context.Canceled):
		return
	case m.err != nil || !m.res.OK:
		s.buildFailed(t, m)
		return
	}
	s.buildSucceeded(t, Event{Kind: KindBuildOK, Target: t.pkg.Name, MS: t.buildMs, Cause: m.cause.String()})
	bin, key := m.res.Binary, m.key
	if s.touchedSinceKey(t) {
		key = "" // the binary may not match the key taken at the start
	} else {
		bin = s.keepBinary(key, bin)
	}
	if t.stopped {
		s.replaceLastGood(t, bin)
		return
	}
	s.startVersionKey(t, bin, key, m.cause, false)
}

// buildSucceeded records that t has a good binary, from a build or reused:
// it clears the build errors, reports e (the build_ok event) and ends the
// failure state of t's router and the restart backoff.
func (s *Session) buildSucceeded(t *target, e Event) {
	if t.binaryGood() {
		s.diagDirty = true
	}
	s.emit(e)
	if t.router != nil {
		t.router.ClearFail()
	}
}

// buildFailed reports a build that failed: ginhotd could not build (go
// missing) or the code did not compile. What serves keeps serving.
func (s *Session) buildFailed(t *target, m built) {
	if m.err != nil {
		t.buildBroke(m.err.Error(), t.buildDiags)
		msg := m.err.Error()
		if errors.Is(m.err, build.ErrGoNotFound) {
			msg = "the go command is not in PATH: install Go (https://go.dev/dl) or put it on PATH, then save again"
		}
		s.emit(Event{Kind: KindError, Target: t.pkg.Name, Message: msg})
		return
	}
	t.buildBroke(firstLine(m.res.Output), m.res.Diags)
	s.diagDirty = true
	s.emit(Event{Kind: KindBuildFail, Target: t.pkg.Name, MS: t.buildMs, Diagnostics: m.res.Diags, Output: m.res.Output,
		Cause: m.cause.String(), Serving: t.cur != nil, Generation: t.generation})
	if t.router != nil {
		t.router.Fail(m.res.Output)
	}
}

// touchedSince reports whether a file named by diags was modified after t.
func touchedSince(diags []build.Diagnostic, t time.Time) bool {
	for _, d := range diags {
		if d.File == "" {
			continue
		}
		if fi, err := os.Stat(d.File); err == nil && fi.ModTime().After(t) {
			return true
		}
	}
	return false
}

// touchedSinceKey reports whether one of t's inputs changed since its
// digest was taken, before a build that just finished: its binary may then
// not match the key taken when the build began.
func (s *Session) touchedSinceKey(t *target) bool {
	paths := slices.Concat(s.inputs(t), slices.Collect(maps.Keys(t.extra)))
	for _, p := range paths {
		e, hashed := s.digests[p]
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			if hashed {
				return true
			}
		case !hashed || !fi.ModTime().Equal(e.mod) || fi.Size() != e.size:
			return true
		}
	}
	return false
}

// keepBinary keeps bin under key in the store and returns the stored path;
// the build's own file is removed once stored. A store that fails is not
// fatal: bin is used as it is.
func (s *Session) keepBinary(key, bin string) string {
	if key == "" {
		return bin
	}
	path, err := s.bins.Put(key, bin)
	if err != nil {
		return bin
	}
	if s.isDebugBin(bin) {
		s.debugBins[path] = true
	}
	if path != bin {
		_ = os.Remove(bin)
	}
	return path
}

// inStore reports whether bin belongs to the binary store, which removes
// binaries itself.
func (s *Session) inStore(bin string) bool {
	return s.storeDir != "" && filepath.Dir(bin) == s.storeDir
}

// keepBinaries tells the store which binaries run or are the fallback.
func (s *Session) keepBinaries() {
	var keep []string
	for _, t := range s.each() {
		keep = append(keep, t.lastGood)
		for _, v := range t.versions {
			keep = append(keep, v.bin)
		}
	}
	s.bins.Keep(keep...)
}
