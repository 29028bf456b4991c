package session

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// This file makes a save cheap when its result is already known.
//
// Every build is named by its content key: the build settings and the
// digests of the files it reads (analysis.Graph.Inputs). Binaries are kept
// in a bounded store under that key, so a save, an undo or a git checkout
// that returns a target to a state built before swaps to that binary
// without building. With an editor attached, the buffers it reports
// (Edited) are built ahead of the save with `go build -overlay` at low CPU
// priority once typing pauses (speculate = "200ms"): when the save comes,
// the files on disk have the key the speculative build used, and the
// prepared binary starts at once. A speculative build never starts the
// app, never publishes diagnostics and never shows as a failure.

// Store keeps built binaries by content key ([build.Store]).
type Store interface {
	Get(key string) (string, bool)
	Put(key, binary string) (string, error)
	Keep(paths ...string)
}

// edit is a buffer reported by Edited: its content, or nil once it no
// longer differs from the file on disk.
type edit struct {
	path    string
	content []byte
}

// specBuild is a speculative build in flight.
type specBuild struct {
	id     int
	key    string
	cancel context.CancelFunc
}

type (
	// typingPaused: typing paused for the speculate window.
	typingPaused struct{ seq int }
	// specBuilt: a speculative build finished.
	specBuilt struct {
		t   *target
		id  int
		key string
		res build.Result
		err error
	}
)

func (typingPaused) isMessage() {}
func (specBuilt) isMessage()    {}

// Edited reports an editor's buffer of path: its whole content when it
// differs from the file on disk, nil when it no longer does. It never blocks
// (the LSP server calls it on its reading goroutine): should its queue be
// full, the buffer is left out of speculation, which only costs the
// head start.
func (s *Session) Edited(path string, content []byte) {
	select {
	case s.edits <- edit{path, content}:
	default:
	}
}

// onEdit records a buffer, cancels speculative builds that no longer match
// what the user is typing, and restarts the quiet window. A buffer that
// became clean (saved) cancels nothing: the save decides whether the build
// in flight is the one it needs.
func (s *Session) onEdit(e edit) {
	if e.content == nil {
		delete(s.buffers, e.path)
	} else {
		s.buffers[e.path] = e.content
		for _, t := range s.targets {
			if t.speculation != nil && t.awaiting == "" {
				t.speculation.cancel()
				t.speculation = nil
			}
		}
	}
	delay, _ := s.cfg.SpeculateDelay()
	if delay == 0 || len(s.buffers) == 0 {
		return
	}
	s.quietSeq++
	m := typingPaused{seq: s.quietSeq}
	if s.quietTimer != nil {
		s.quietTimer.Stop()
	}
	s.quietTimer = time.AfterFunc(delay, func() { s.send(m) })
}

// speculate builds, for every target the unsaved buffers reach, what the
// buffers hold, unless that content is built or being built already.
func (s *Session) speculate(m typingPaused) {
	if m.seq != s.quietSeq {
		return
	}
	// Each buffer's decision, once: which targets it makes rebuild. A Go
	// buffer that does not parse (a keystroke inside an unclosed string or
	// brace) would only make a build fail, silently: its targets wait for
	// the next pause.
	overlays := make([]map[string][]byte, len(s.targets))
	broken := make([]bool, len(s.targets))
	for p, c := range s.buffers {
		unparsed := filepath.Ext(p) == ".go" && !parses(p, c)
		for i, d := range s.graph.Classify([]string{p}).Decisions {
			if i < len(overlays) && d.Action == analysis.Rebuild {
				if overlays[i] == nil {
					overlays[i] = map[string][]byte{}
				}
				overlays[i][p] = c
				broken[i] = broken[i] || unparsed
			}
		}
	}
	for i, t := range s.targets {
		overlay := overlays[i]
		if t.stopped || t.speculation != nil || len(overlay) == 0 || broken[i] {
			continue
		}
		opts := s.buildOptions(t)
		key := s.keyOf(t, opts, overlay)
		if _, ok := s.bins.Get(key); ok || key == t.buildKey || (t.cur != nil && key == t.cur.key) {
			continue
		}
		opts.Overlay, opts.Nice = overlay, true
		ctx, cancel := context.WithCancel(s.ctx)
		t.specID++
		t.speculation = &specBuild{id: t.specID, key: key, cancel: cancel}
		done := specBuilt{t: t, id: t.specID, key: key}
		pkg := t.pkg.Path
		s.spawn(func() {
			done.res, done.err = s.deps.builder.Build(ctx, opts, pkg)
			cancel()
			s.send(done)
		})
	}
}

// parses reports whether content, the buffer of the Go file path, is
// syntactically valid Go.
func parses(path string, content []byte) bool {
	_, err := parser.ParseFile(token.NewFileSet(), path, content, parser.SkipObjectResolution)
	return err == nil
}

// onSpecBuilt stores a prepared binary, and starts it when a save is
// waiting for exactly that content.
func (s *Session) onSpecBuilt(m specBuilt) {
	t := m.t
	if t.speculation == nil || m.id != t.speculation.id {
		return // cancelled: the user typed on
	}
	t.speculation = nil
	waiting := t.awaiting == m.key
	t.awaiting = ""
	if m.err != nil && !errors.Is(m.err, context.Canceled) && !s.specErrs[m.err.Error()] {
		// ginhotd could not build the buffers (an overlay go build
		// rejects, a full temp dir): say so once; saves build as usual.
		s.specErrs[m.err.Error()] = true
		s.emit(Event{Kind: KindSkip, Target: t.pkg.Name, Reason: fmt.Sprintf("speculative build stepped aside (%v); saves build as usual", m.err)})
	}
	if m.err != nil || !m.res.OK {
		if waiting {
			// The save needs the errors: build it the normal way.
			s.startBuild(t, t.awaitCause, t.awaitReason)
		}
		return
	}
	bin := s.keepBinary(m.key, m.res.Binary)
	s.preparedMS[m.key] = m.res.Duration.Milliseconds()
	s.emit(Event{Kind: KindPrepared, Target: t.pkg.Name, MS: m.res.Duration.Milliseconds(), Speculative: true})
	if waiting {
		waited := time.Since(t.awaitSince).Milliseconds()
		s.reuse(t, bin, m.key, t.awaitCause, m.res.Duration.Milliseconds(), min(waited, m.res.Duration.Milliseconds()))
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
		if t.state == StateRunning {
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
		s.abandonBuild(t)
		t.awaiting, t.awaitCause, t.awaitReason, t.awaitSince = key, cause, reason, time.Now()
		t.state = StateBuilding
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
	s.abandonBuild(t)
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
		t.state = StateStopped
	case t.cur != nil && t.cur.bin == bin:
		t.state = StateRunning
		t.changeAt = time.Time{}
	default:
		s.startVersionKey(t, bin, key, cause, built > 0)
	}
}

// abandonBuild stops t's build in flight; its result, if it still comes, is
// dropped.
func (s *Session) abandonBuild(t *target) {
	if t.buildCancel != nil {
		t.buildCancel()
		t.buildCancel = nil
		t.buildID++
	}
	t.buildKey = ""
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
	for _, t := range s.targets {
		keep = append(keep, t.lastGood)
		for _, v := range t.versions {
			keep = append(keep, v.bin)
		}
	}
	s.bins.Keep(keep...)
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

// onChanged takes a change an editor reported. A save is decided on at
// once, without the watcher's quiet window (the watcher's own report of
// the same content is then dropped by fresh); other reports join the
// watcher's funnel.
func (s *Session) onChanged(n notice) {
	s.watcher.Notify(n.cause.String(), n.paths...)
	if n.cause != CauseDidSave {
		return
	}
	b := watch.Batch{Tags: map[string]string{}}
	for _, p := range n.paths {
		if filepath.IsAbs(p) {
			b.Paths = append(b.Paths, filepath.Clean(p))
			b.Tags[filepath.Clean(p)] = n.cause.String()
		}
	}
	s.onBatch(b)
}

// fresh drops from b the paths whose content is what the session last
// acted on (an editor save reported twice, by the editor and the watcher),
// and forgets the cached digests of the others.
func (s *Session) fresh(b watch.Batch) watch.Batch {
	out := watch.Batch{Tags: b.Tags}
	for _, p := range b.Paths {
		delete(s.digests, p)
		d, ok := s.digest(p)
		if !ok {
			d = absent
		}
		if last, seen := s.handled[p]; seen && last == d {
			continue
		}
		s.handled[p] = d
		out.Paths = append(out.Paths, p)
	}
	return out
}

// absent stands for the digest of a file that does not exist.
var absent = build.Digest{0xff}
