package watch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// The adaptive poller of silent subtrees ([Subtree]): every pollTick it
// stats the hot paths (files that changed in the last hotFor, files an
// editor named through [Watcher.Notify], and their directories), and one
// slice of the cold list, sized so that the whole list is stated once per
// PollCycle. A directory whose modification time moved is listed again
// (that is how a new or removed file shows); a file whose size or time
// moved becomes a candidate like an inotify event.
const (
	pollTick = 100 * time.Millisecond
	// PollCycle is how long the poller of a silent subtree takes to stat
	// every path of interest once.
	PollCycle = 1250 * time.Millisecond
	hotFor    = 2 * time.Minute
	hotMax    = 64
)

// moduleFile reports whether a file of this name always matters to a Go
// build.
func moduleFile(name string) bool {
	switch name {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return false
}

// interest is what the session said can matter ([Watcher.SetInterest]).
type interest struct {
	paths map[string]bool // files and directories named
	dirs  map[string]bool // the directories holding them
	globs []string        // doublestar globs relative to a root
	bases []string        // the literal leading directories of globs
}

// newInterest indexes paths and globs; invalid globs are dropped.
func newInterest(paths, globs []string) *interest {
	in := &interest{paths: map[string]bool{}, dirs: map[string]bool{}}
	for _, p := range paths {
		if filepath.IsAbs(p) {
			p = filepath.Clean(p)
			in.paths[p] = true
			in.dirs[filepath.Dir(p)] = true
		}
	}
	for _, g := range globs {
		if doublestar.ValidatePattern(g) {
			in.globs = append(in.globs, g)
			base, _ := doublestar.SplitPattern(g)
			if base == "." {
				base = ""
			}
			in.bases = append(in.bases, base)
		}
	}
	return in
}

// file reports whether the file p below root can matter.
func (in *interest) file(p, root string) bool {
	return in.paths[p] || moduleFile(filepath.Base(p)) || matchRel(in.globs, p, root)
}

// dir reports whether the directory d below root can matter by itself:
// it is the root, it holds a named path, or it lies on the way to or below
// the literal directory a glob starts with ("templates" of
// "templates/**/*.tmpl"). A new file shows as a change of its directory.
// A glob that starts with "**" names no directory: the directories holding
// files it matches are polled instead (see rebuildList), so a new template
// in a directory that holds none yet is found by the next graph load or
// edit there, not by the poller.
func (in *interest) dir(d, root string) bool {
	if d == root || in.paths[d] || in.dirs[d] {
		return true
	}
	rel, err := filepath.Rel(root, d)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, b := range in.bases {
		if b != "" && (b == rel || strings.HasPrefix(rel, b+"/") || strings.HasPrefix(b, rel+"/")) {
			return true
		}
	}
	return false
}

// poller is the state of the adaptive poller; it belongs to the tree.
type poller struct {
	silent   []Subtree
	off      bool                 // PollOff: silent subtrees are only reported
	interest *interest            // nil: every visible path of a silent subtree
	hot      map[string]time.Time // path → when it last changed or was named
	dirMod   map[string]time.Time // silent directory → its modification time when last listed
	list     []string             // the cold list: paths of interest in silent subtrees
	stale    bool                 // list must be rebuilt
	cursor   int                  // next index of list to stat
}

// silentAt reports whether p lies in a polled subtree.
func (t *tree) silentAt(p string) bool {
	for _, s := range t.pl.silent {
		if within(p, s.Dir) {
			return true
		}
	}
	return false
}

// polling reports whether the adaptive poller runs: there are silent
// subtrees and the whole tree is not polled already.
func (t *tree) polling() bool { return len(t.pl.silent) > 0 && !t.pl.off && t.poll == 0 }

// noteDir records the modification time of a new directory in a silent
// subtree, so that the poller sees what is added to it later.
func (t *tree) noteDir(p string) {
	if !t.polling() || !t.silentAt(p) {
		return
	}
	t.pl.stale = true
	if fi, err := os.Stat(p); err == nil {
		t.pl.dirMod[p] = fi.ModTime()
	}
}

// heat makes p, and its directory, hot.
func (t *tree) heat(p string, now time.Time) {
	if !t.polling() || !t.silentAt(p) {
		return
	}
	t.pl.hot[p] = now
	if dir := filepath.Dir(p); t.silentAt(dir) {
		t.pl.hot[dir] = now
	}
	for len(t.pl.hot) > hotMax {
		var oldest string
		var at time.Time
		for q, w := range t.pl.hot {
			if oldest == "" || w.Before(at) {
				oldest, at = q, w
			}
		}
		delete(t.pl.hot, oldest)
	}
}

// pollStep is one tick of the poller.
func (t *tree) pollStep(now time.Time) {
	if !t.polling() {
		return
	}
	for p, at := range t.pl.hot {
		if now.Sub(at) > hotFor || !t.pollPath(p) {
			delete(t.pl.hot, p)
		}
	}
	if t.pl.stale {
		t.rebuildList()
	}
	n := len(t.pl.list)
	if n == 0 {
		return
	}
	per := (n*int(pollTick) + int(PollCycle) - 1) / int(PollCycle)
	for range per {
		if t.pl.cursor >= len(t.pl.list) {
			t.pl.cursor = 0
		}
		p := t.pl.list[t.pl.cursor]
		t.pl.cursor++
		if _, isHot := t.pl.hot[p]; !isHot {
			t.pollPath(p)
		}
		if t.pl.stale {
			// A directory was listed again and the list changed under the
			// slice; the rest of it waits for the next tick.
			return
		}
	}
}

// rebuildList collects the paths of interest in the silent subtrees.
func (t *tree) rebuildList() {
	t.pl.stale = false
	t.pl.list = t.pl.list[:0]
	in := t.pl.interest
	holding := map[string]bool{} // directories holding a file of interest
	for f := range t.files {
		if t.silentAt(f) && (in == nil || in.file(f, t.rootOf(f))) {
			t.pl.list = append(t.pl.list, f)
			holding[filepath.Dir(f)] = true
		}
	}
	for d := range t.dirs {
		if t.silentAt(d) && (in == nil || holding[d] || in.dir(d, t.rootOf(d))) {
			t.pl.list = append(t.pl.list, d)
		}
	}
	// Sorted, the cursor keeps its place across a rebuild, so no path
	// waits more than about a cycle.
	slices.Sort(t.pl.list)
	for d := range t.pl.dirMod {
		if _, ok := t.dirs[d]; !ok {
			delete(t.pl.dirMod, d)
		}
	}
}

// pollPath stats one known directory or file and handles a change. It
// reports false if p is neither.
func (t *tree) pollPath(p string) bool {
	if _, ok := t.dirs[p]; ok {
		_, mod, err := pollStat(p)
		if err != nil {
			t.touch(p)
			return true
		}
		if old, ok := t.pl.dirMod[p]; !ok || !old.Equal(mod) {
			t.pl.dirMod[p] = mod
			if ok {
				t.relist(p)
			}
		}
		return true
	}
	st, ok := t.files[p]
	if !ok {
		return false
	}
	if _, pending := t.dirty[p]; pending {
		return true
	}
	size, mod, err := pollStat(p)
	if err != nil || size != st.size || !mod.Equal(st.mod) {
		t.touch(p)
	}
	return true
}

// relist reconciles the entries of the known directory dir with the disk,
// without descending into known subdirectories: new entries and moved
// files become candidates, new directories are scanned, vanished ones
// forgotten.
func (t *tree) relist(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.touch(dir)
		return
	}
	root := t.rootOf(dir)
	seen := map[string]bool{}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		seen[p] = true
		if e.IsDir() {
			if _, ok := t.dirs[p]; !ok && !t.ignoredDir(p, root) {
				t.touch(p)
			}
			continue
		}
		if isTemp(e.Name()) || t.ignoredFile(p, root) {
			continue
		}
		if t.moved(p, e) {
			t.touch(p)
		}
	}
	for f := range t.files {
		if _, pending := t.dirty[f]; !pending && !seen[f] && filepath.Dir(f) == dir {
			t.mark(f)
		}
	}
	for d := range t.dirs {
		if !seen[d] && d != dir && filepath.Dir(d) == dir {
			t.forgetDir(d)
		}
	}
	t.pl.stale = true
}
