package session

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
)

// The first build need not wait for the package graph: go/packages takes
// about as long as `go list` (close to a second on a 2,000-package module),
// and the targets of most workspaces can be guessed in milliseconds. So the
// first builds of the guessed targets start before the graph loads, and the
// targets the graph confirms adopt them; the others are cancelled.

// prebuild is a first build started before the graph was loaded.
type prebuild struct {
	dir     string
	opts    build.Options
	cancel  context.CancelFunc
	done    chan built // receives the result, once
	started time.Time
}

// startPrebuilds starts the first build of every target analysis guesses,
// unless something must come first (generator steps) or the build settings
// depend on the graph (debug builds, build_cmd).
func (s *Session) startPrebuilds() {
	if s.cfg.Debug || s.cfg.BuildCmd != "" || len(s.cfg.Generate) > 0 || s.cfg.GoGenerate {
		return
	}
	// Without cgo unless told otherwise, as for most targets (buildOptions);
	// a target the graph finds using cgo builds again.
	opts := s.baseBuildOptions()
	opts.Env = build.CgoEnv(opts.Env, false, s.cfg.Cgo)
	for _, dir := range analysis.QuickTargets(s.analysisOptions()) {
		rel, err := filepath.Rel(s.cfg.Dir, dir)
		if err != nil {
			continue
		}
		pkg := "./" + filepath.ToSlash(rel)
		opts := opts
		opts.Progress = s.progress(strings.TrimSuffix(pkg, "/."))
		ctx, cancel := context.WithCancel(s.ctx)
		pb := &prebuild{dir: dir, opts: opts, cancel: cancel, done: make(chan built, 1), started: time.Now()}
		s.prebuilds = append(s.prebuilds, pb)
		s.spawn(func() {
			m := built{started: pb.started}
			m.res, m.err = s.deps.builder.Build(ctx, opts, pkg)
			pb.done <- m
		})
	}
}

// firstBuild starts t's first build, or adopts the one started for it
// before the graph loaded.
func (s *Session) firstBuild(t *target) {
	opts := s.buildOptions(t)
	for i, pb := range s.prebuilds {
		if pb.dir != t.pkg.Dir || !slices.Equal(pb.opts.Env, opts.Env) {
			continue
		}
		s.prebuilds = append(s.prebuilds[:i], s.prebuilds[i+1:]...)
		if !s.changedSince(t, pb.started) {
			// Its content key, so that an undo to this state later finds it.
			t.buildKey = s.keyOf(t, opts, nil)
		}
		id := t.buildStarted(pb.cancel, t.buildKey, CauseStart)
		t.changeAt = pb.started
		const reason = "first build (started while the package graph loaded)"
		s.emit(Event{Kind: KindBuildStart, Target: t.pkg.Name, Reason: reason, Cause: CauseStart.String()})
		key := t.buildKey
		s.spawn(func() {
			m := <-pb.done
			m.t, m.id, m.key, m.cause, m.reason = t, id, key, CauseStart, reason
			s.send(m)
		})
		return
	}
	s.startBuild(t, CauseStart, "first build")
}

// changedSince reports whether one of t's inputs was modified after start.
func (s *Session) changedSince(t *target, start time.Time) bool {
	for _, p := range s.inputs(t) {
		if fi, err := os.Stat(p); err != nil || fi.ModTime().After(start) {
			return true
		}
	}
	return false
}

// dropPrebuilds cancels the first builds of guessed targets the graph did
// not confirm.
func (s *Session) dropPrebuilds() {
	for _, pb := range s.prebuilds {
		pb.cancel()
	}
	s.prebuilds = nil
}
