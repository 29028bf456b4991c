package session

import (
	"context"
	"path/filepath"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
)

// The first build need not wait for the package graph: go/packages takes
// about as long as `go list` (close to a second on a 2,000-package module),
// and the targets of most workspaces can be guessed in milliseconds. So the
// first builds of the guessed targets start before the graph loads, and the
// targets the graph confirms adopt them; the others are cancelled.

// prebuild is a first build started before the graph was loaded.
type prebuild struct {
	dir     string
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
	opts := s.baseBuildOptions()
	for _, dir := range analysis.QuickTargets(s.analysisOptions()) {
		rel, err := filepath.Rel(s.cfg.Dir, dir)
		if err != nil {
			continue
		}
		pkg := "./" + filepath.ToSlash(rel)
		ctx, cancel := context.WithCancel(s.ctx)
		pb := &prebuild{dir: dir, cancel: cancel, done: make(chan built, 1), started: time.Now()}
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
	for i, pb := range s.prebuilds {
		if pb.dir != t.t.Dir {
			continue
		}
		s.prebuilds = append(s.prebuilds[:i], s.prebuilds[i+1:]...)
		t.buildID++
		t.cancelBuild = pb.cancel
		t.state = StateBuilding
		t.changeAt = pb.started
		const reason = "first build (started while the package graph loaded)"
		s.emit(Event{Kind: KindBuildStart, Target: t.t.Name, Reason: reason, Cause: CauseStart.String()})
		id := t.buildID
		s.spawn(func() {
			m := <-pb.done
			m.t, m.id, m.cause, m.reason = t, id, CauseStart, reason
			s.send(m)
		})
		return
	}
	s.startBuild(t, CauseStart, "first build")
}

// dropPrebuilds cancels the first builds of guessed targets the graph did
// not confirm.
func (s *Session) dropPrebuilds() {
	for _, pb := range s.prebuilds {
		pb.cancel()
	}
	s.prebuilds = nil
}
