package watch

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	ignore "github.com/sabhiram/go-gitignore"
)

// hashLimit is the size above which a file is compared by size and
// modification time instead of by content.
const hashLimit = 8 << 20

const limitMsg = "inotify watch limit reached (fs.inotify.max_user_watches)"

// fileState is what the watcher knows about one visible file.
type fileState struct {
	size   int64
	mod    time.Time
	sum    [sha256.Size]byte // SHA-256 of the content, when hashed
	hashed bool              // false for huge or unreadable files
}

// same reports whether a and b describe the same content.
func (a fileState) same(b fileState) bool {
	if a.hashed && b.hashed {
		return a.sum == b.sum
	}
	return a.hashed == b.hashed && a.size == b.size && a.mod.Equal(b.mod)
}

// tree is the watcher's state. New fills it by the initial scan; after that
// only the run goroutine touches it.
type tree struct {
	base       string   // the first root given, that paths are shown relative to
	roots      []string // clean, absolute, none inside another
	exclude    []string // validated doublestar patterns
	ignoreDirs []string // clean
	include    []string // globs of files reported whatever hides them
	debounce   time.Duration
	maxWait    time.Duration
	poll       time.Duration // > 0: polling at this interval
	logf       func(format string, args ...any)

	fsw      *fsnotify.Watcher // nil while polling
	limitHit bool              // adding a watch failed with ENOSPC

	files   map[string]fileState         // visible files
	dirs    map[string]struct{}          // visible directories (each watched unless polling)
	ignores map[string]*ignore.GitIgnore // directory → its .gitignore
	// repos maps a root inside a git repository (a module in server/) to
	// the repository's top, whose .gitignore files above the root apply
	// too, as git applies them; set once, when the watcher starts.
	repos map[string]string
	// excludes holds each repository top's .git/info/exclude.
	excludes map[string]*ignore.GitIgnore

	pl poller // the adaptive poller of silent subtrees (poll.go)

	dirty       map[string]struct{} // candidates awaiting the next flush
	first, last time.Time           // first and latest mark since the last flush
	marks       int                 // counts mark calls, so run sees new candidates
}

// mark makes p a candidate for the next flush and restarts the quiet window.
func (t *tree) mark(p string) {
	now := time.Now()
	if len(t.dirty) == 0 {
		t.first = now
	}
	t.last = now
	t.dirty[p] = struct{}{}
	t.marks++
}

// deadline is when the pending candidates must be flushed.
func (t *tree) deadline() time.Time {
	quiet, capped := t.last.Add(t.debounce), t.first.Add(t.maxWait)
	if capped.Before(quiet) {
		return capped
	}
	return quiet
}

// flush compares every candidate with what is known about it, updates the
// state and returns the paths that were created, removed or changed.
func (t *tree) flush() []string {
	var changed []string
	for p := range t.dirty {
		old, known := t.files[p]
		cur, ok := t.look(p)
		switch {
		case !ok && known:
			delete(t.files, p)
			changed = append(changed, p)
			t.pl.stale = true
		case ok && (!known || !old.same(cur)):
			t.files[p] = cur
			changed = append(changed, p)
			t.pl.stale = t.pl.stale || !known
		case ok:
			t.files[p] = cur
		}
	}
	clear(t.dirty)
	return changed
}

// look returns the current state of p if p is a visible regular file
// (following a symlink to a file).
func (t *tree) look(p string) (fileState, bool) {
	if _, ok := t.dirs[filepath.Dir(p)]; !ok {
		return fileState{}, false
	}
	root := t.rootOf(p)
	if isTemp(filepath.Base(p)) || t.ignoredFile(p, root) {
		return fileState{}, false
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return fileState{}, false
	}
	return stateOf(p, fi), true
}

// stateOf hashes the regular file p described by fi.
func stateOf(p string, fi fs.FileInfo) fileState {
	st := fileState{size: fi.Size(), mod: fi.ModTime()}
	if st.size > hashLimit {
		return st
	}
	f, err := os.Open(p)
	if err != nil {
		return st
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return st
	}
	h.Sum(st.sum[:0])
	st.hashed = true
	return st
}

// touch handles one path reported by fsnotify or by the editor.
func (t *tree) touch(p string) {
	if isTemp(filepath.Base(p)) {
		return
	}
	dir := filepath.Dir(p)
	if _, ok := t.dirs[dir]; !ok {
		t.discover(p)
		return
	}
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		t.scan(p, true)
		return
	}
	if _, ok := t.dirs[p]; ok {
		t.forgetDir(p)
	}
	if filepath.Base(p) == ".gitignore" {
		t.loadIgnore(dir)
		t.scan(dir, true)
	}
	t.mark(p)
}

// discover handles a path whose parent directory is not known yet: the
// directory may be so new that its own event has not been handled, or an
// editor may name a file in a directory created while polling. It scans the
// topmost unknown directory on the way down from the nearest known one.
func (t *tree) discover(p string) {
	switch t.rootOf(p) {
	case "":
		return
	case p:
		t.scan(p, true)
		return
	}
	child := p
	for {
		parent := filepath.Dir(child)
		if parent == child {
			return
		}
		if _, ok := t.dirs[parent]; ok {
			if fi, err := os.Lstat(child); err == nil && fi.IsDir() {
				t.scan(child, true)
			}
			return
		}
		child = parent
	}
}

// rescan reconciles every root with the disk: the polling tick, and the
// recovery after an event-queue overflow or a fallback.
func (t *tree) rescan() {
	for _, r := range t.roots {
		t.scan(r, true)
	}
}

// scan walks top, adding watches for new visible directories and reading
// their .gitignore files. When mark is false (the initial scan) it records
// every file; otherwise it marks files that are new or whose size or time
// moved, and marks known files that are gone, forgetting vanished
// directories.
func (t *tree) scan(top string, mark bool) {
	root := t.rootOf(top)
	if root == "" {
		return
	}
	if top != root && t.ignoredDir(top, root) {
		if _, ok := t.dirs[top]; ok {
			t.forgetDir(top)
		}
		return
	}
	// Nothing is known below a directory that is not known itself
	// (forgetDir drops whole subtrees), so only a known one is reconciled.
	_, known := t.dirs[top]
	seenDirs := map[string]bool{}
	seenFiles := map[string]bool{}
	// Errors only hide what cannot be read; the reconciliation below treats
	// it as gone.
	_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != top && t.ignoredDir(p, root) {
				return filepath.SkipDir
			}
			if !t.addDir(p) {
				return filepath.SkipDir
			}
			seenDirs[p] = true
			t.loadIgnore(p)
			return nil
		}
		if isTemp(d.Name()) || t.ignoredFile(p, root) {
			return nil
		}
		seenFiles[p] = true
		switch {
		case !mark:
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				t.files[p] = stateOf(p, fi)
			}
		case t.moved(p, d):
			t.mark(p)
		}
		return nil
	})
	if !known {
		return
	}
	for d := range t.dirs {
		if within(d, top) && !seenDirs[d] {
			t.forgetDir(d)
		}
	}
	for f := range t.files {
		if _, pending := t.dirty[f]; !pending && within(f, top) && !seenFiles[f] {
			t.mark(f)
		}
	}
}

// moved reports whether the file p found by a walk is a change candidate:
// not pending already, and either a regular file (or symlink to one) the
// watcher does not know, or a known one whose size or modification time
// differ.
func (t *tree) moved(p string, d fs.DirEntry) bool {
	if _, ok := t.dirty[p]; ok {
		return false
	}
	var fi fs.FileInfo
	var err error
	if d.Type()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(p)
	} else {
		fi, err = d.Info()
	}
	st, known := t.files[p]
	if !known {
		return err == nil && fi.Mode().IsRegular()
	}
	return err != nil || fi.Size() != st.size || !fi.ModTime().Equal(st.mod)
}

// addDir records the visible directory p and watches it. It reports false
// if p cannot be watched and must be skipped.
func (t *tree) addDir(p string) bool {
	if _, ok := t.dirs[p]; ok {
		return true
	}
	if t.fsw != nil && !t.limitHit {
		err := t.fsw.Add(p)
		switch {
		case errors.Is(err, syscall.ENOSPC):
			t.limitHit = true // keep p: the caller switches to polling
		case errors.Is(err, fs.ErrNotExist):
			return false
		case err != nil:
			t.logf("cannot watch %s: %v", p, err)
			return false
		}
	}
	t.dirs[p] = struct{}{}
	t.noteDir(p)
	return true
}

// forgetDir drops the directory p and everything below it, releasing their
// watches, and marks the files known below it so they are reported removed.
func (t *tree) forgetDir(p string) {
	t.pl.stale = true
	for d := range t.dirs {
		if within(d, p) {
			delete(t.dirs, d)
			delete(t.ignores, d)
			if t.fsw != nil {
				// The kernel may have dropped the watch already (the
				// directory is gone); the error only says so.
				_ = t.fsw.Remove(d)
			}
		}
	}
	for f := range t.files {
		if within(f, p) {
			t.mark(f)
		}
	}
}

// loadIgnore (re)reads dir/.gitignore.
func (t *tree) loadIgnore(dir string) {
	gi, err := ignore.CompileIgnoreFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		delete(t.ignores, dir)
		return
	}
	t.ignores[dir] = gi
}

// fallBack releases all watches and switches to polling.
func (t *tree) fallBack(reason string) {
	if err := t.fsw.Close(); err != nil {
		t.logf("closing fsnotify: %v", err)
	}
	t.fsw = nil
	t.poll = FallbackPoll
	t.logf("%s; falling back to polling every %v", reason, FallbackPoll)
}

// rootOf returns the root holding p, or "" if none does.
func (t *tree) rootOf(p string) string {
	for _, r := range t.roots {
		if within(p, r) {
			return r
		}
	}
	return ""
}

// show returns dir for the user: relative to the first root given, as
// "./" or "./web/", or absolute with a trailing slash outside it.
func (t *tree) show(dir string) string {
	if rel, err := filepath.Rel(t.base, dir); err == nil && !strings.HasPrefix(rel, "..") {
		if rel == "." {
			return "./"
		}
		return "./" + filepath.ToSlash(rel) + "/"
	}
	return dir + string(filepath.Separator)
}

// mode says how the watcher sees changes; see [Watcher.Mode].
func (t *tree) mode() string {
	switch {
	case t.poll > 0:
		return fmt.Sprintf("polling every %v", t.poll)
	case len(t.pl.silent) == 0:
		return "inotify"
	}
	var parts []string
	for _, s := range t.pl.silent {
		parts = append(parts, fmt.Sprintf("%s (%s)", t.show(s.Dir), s.FSType))
	}
	if t.pl.off {
		return "inotify; poll is off, so edits made outside this machine in " + strings.Join(parts, ", ") + " are missed"
	}
	return fmt.Sprintf("inotify + polling %s every ~%v", strings.Join(parts, ", "), PollCycle)
}
