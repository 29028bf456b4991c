package session

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
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
		for _, t := range s.each() {
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
	overlays, broken := s.overlays()
	for _, t := range s.each() {
		overlay := overlays[t.pkg.Path]
		if t.stopped || t.gone != "" || t.speculation != nil || len(overlay) == 0 || broken[t.pkg.Path] {
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

// overlays decides on each buffer once and returns, by target path, the
// buffers that make the target rebuild. A Go buffer that does not parse (a
// keystroke inside an unclosed string or brace) would only make a build
// fail, silently: its targets are broken until the next pause.
func (s *Session) overlays() (map[string]map[string][]byte, map[string]bool) {
	overlays, broken := map[string]map[string][]byte{}, map[string]bool{}
	for p, c := range s.buffers {
		unparsed := filepath.Ext(p) == ".go" && !parses(p, c)
		for _, d := range s.graph.Classify([]string{p}).Decisions {
			if d.Action != analysis.Rebuild {
				continue
			}
			path := d.Target.Path
			if overlays[path] == nil {
				overlays[path] = map[string][]byte{}
			}
			overlays[path][p] = c
			broken[path] = broken[path] || unparsed
		}
	}
	return overlays, broken
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

func (typingPaused) isMessage() {}
func (specBuilt) isMessage()    {}
