package watch

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/fsnotify/fsnotify"
	ignore "github.com/sabhiram/go-gitignore"
)

// Defaults applied by [New] to zero fields of [Options], and the polling
// interval used after falling back from inotify.
const (
	DefaultDebounce = 50 * time.Millisecond
	DefaultMaxWait  = time.Second
	FallbackPoll    = 500 * time.Millisecond
)

// Options configures a [Watcher].
type Options struct {
	// Roots are absolute directories watched recursively. A root inside
	// another root is covered by the outer one.
	Roots []string
	// Debounce is the quiet window: a batch is emitted once no candidate
	// change has arrived for this long. Zero means [DefaultDebounce].
	Debounce time.Duration
	// MaxWait caps the wait: a batch is emitted at the latest this long after
	// its first event even if events keep coming. Zero means [DefaultMaxWait].
	MaxWait time.Duration
	// Poll, when positive, makes the watcher walk the roots at this interval
	// instead of using fsnotify, everywhere.
	Poll time.Duration
	// PollOff turns off the polling of silent subtrees: without it,
	// the roots and the mount points inside them that lie on a file system
	// delivering no events for changes made outside this machine (9p,
	// FUSE, NFS, SMB, vboxsf, prl_fs, drvfs; see [Subtree]) are polled in
	// addition to inotify. It does nothing when Poll is set.
	PollOff bool
	// Exclude holds extra doublestar globs, relative to the root and using
	// forward slashes, for paths to ignore, e.g. "tmp/**" or "**/*.log".
	Exclude []string
	// IgnoreDirs are absolute directories that are never watched, e.g. the
	// daemon's own output directory.
	IgnoreDirs []string
	// Include holds doublestar globs, relative to the root and using
	// forward slashes, for files reported even when a .gitignore file or
	// Exclude hides them, such as the app's .env files and a generator's
	// outputs. A directory that is ignored is still not entered.
	Include []string
	// Logf receives warnings such as the fallback to polling. It is called
	// from New and from the watcher's goroutine, must not block, and may
	// be nil.
	Logf func(format string, args ...any)
}

// Batch is one coalesced change set.
type Batch struct {
	// Paths are the sorted, deduplicated absolute paths of files that were
	// created, removed, or whose content changed.
	Paths []string
	// Tags maps the paths of Paths that were reported through
	// [Watcher.Notify] to the tag given there (for example "editor save"),
	// so that what set off a change travels with it.
	Tags map[string]string
	// Contents holds, for the paths of Paths that exist and were hashed,
	// what the watcher read of them, so that a consumer keying builds by
	// content need not read them again.
	Contents map[string]Content
}

// Content is what the watcher read of a file: the SHA-256 digest of its
// content, with the size and modification time of the file it hashed.
type Content struct {
	Digest  [sha256.Size]byte
	Size    int64
	ModTime time.Time
}

// Watcher watches directory trees and emits [Batch]es. Create it with [New]
// and stop it with [Watcher.Close].
type Watcher struct {
	out     chan Batch    // sent to only by run, which closes it on exit
	notifyc chan notice   // Notify → run
	done    chan struct{} // closed once by Close
	once    sync.Once     // guards close(done)
	wg      sync.WaitGroup

	interestc chan *interest // SetInterest → run

	watches atomic.Int64 // written by run (and New before it starts)
	polling atomic.Bool  // written by run (and New before it starts)
	mode    atomic.Value // string; written by run (and New before it starts)
	polled  []Subtree    // written by New only

	closeErr error // written by run before it exits; read by Close after wg.Wait
}

// New starts watching opts.Roots. It returns after the initial scan has
// recorded every visible file and added every directory watch, so any edit
// made after New returns is seen.
func New(opts Options) (*Watcher, error) {
	t, err := newTree(opts)
	if err != nil {
		return nil, err
	}
	if t.poll == 0 {
		fsw, err := fsnotify.NewWatcher()
		if err != nil {
			t.logf("fsnotify unavailable (%v; see fs.inotify.max_user_instances); falling back to polling every %v", err, FallbackPoll)
			t.poll = FallbackPoll
		} else {
			t.fsw = fsw
		}
	}
	if t.poll == 0 {
		real := map[string]string{}
		for _, r := range t.roots {
			real[r] = realPath(r)
		}
		t.pl.silent = silentSubtrees(t.roots, real, mountsOf(t.roots))
		t.pl.off = opts.PollOff
	}
	for _, r := range t.roots {
		t.scan(r, false)
	}
	if t.limitHit {
		t.fallBack(limitMsg)
	}
	// A silent mount inside an ignored directory (node_modules, the cache
	// dir) is never watched, so never polled.
	t.pl.silent = slices.DeleteFunc(t.pl.silent, func(s Subtree) bool {
		_, visible := t.dirs[s.Dir]
		return !visible
	})
	for _, s := range t.pl.silent {
		if t.pl.off {
			t.logf("not polling %s although %s: poll is off, so edits made outside this machine are missed", t.show(s.Dir), s.Reason())
		} else {
			t.logf("polling %s every ~%v: %s", t.show(s.Dir), PollCycle, s.Reason())
		}
	}
	w := &Watcher{
		out:       make(chan Batch),
		notifyc:   make(chan notice),
		interestc: make(chan *interest),
		done:      make(chan struct{}),
	}
	if t.polling() {
		w.polled = slices.Clone(t.pl.silent)
	}
	w.publish(t)
	w.wg.Add(1)
	go w.run(t)
	return w, nil
}

// newTree validates and normalises opts into an empty tree.
func newTree(opts Options) (*tree, error) {
	if len(opts.Roots) == 0 {
		return nil, errors.New("watch: no roots")
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	for _, p := range opts.Exclude {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("watch: exclude pattern %q: %w", p, doublestar.ErrBadPattern)
		}
	}
	var roots []string
	for _, r := range opts.Roots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("watch: root %q is not absolute", r)
		}
		r = filepath.Clean(r)
		fi, err := os.Stat(r)
		if err != nil {
			return nil, fmt.Errorf("watch: root: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("watch: root %s is not a directory", r)
		}
		roots = append(roots, r)
	}
	// Sorted, a root's descendants follow it; keep only outermost roots.
	slices.Sort(roots)
	kept := roots[:0]
	for _, r := range roots {
		if len(kept) == 0 || !within(r, kept[len(kept)-1]) {
			kept = append(kept, r)
		}
	}
	var ignoreDirs []string
	for _, d := range opts.IgnoreDirs {
		ignoreDirs = append(ignoreDirs, filepath.Clean(d))
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	t := &tree{
		base:       filepath.Clean(opts.Roots[0]),
		roots:      kept,
		exclude:    opts.Exclude,
		ignoreDirs: ignoreDirs,
		include:    opts.Include,
		debounce:   opts.Debounce,
		maxWait:    opts.MaxWait,
		poll:       opts.Poll,
		logf:       logf,
		files:      map[string]fileState{},
		dirs:       map[string]struct{}{},
		ignores:    map[string]*ignore.GitIgnore{},
		repos:      map[string]string{},
		excludes:   map[string]*ignore.GitIgnore{},
		dirty:      map[string]struct{}{},
		pl:         poller{hot: map[string]time.Time{}, dirMod: map[string]time.Time{}, stale: true},
	}
	for _, r := range kept {
		t.loadRepoIgnores(r)
	}
	return t, nil
}

// Batches returns the channel on which change sets are delivered. It is
// closed by [Watcher.Close]. While nobody receives, further changes are
// merged into the pending batch.
func (w *Watcher) Batches() <-chan Batch { return w.out }

// notice is one call of [Watcher.Notify].
type notice struct {
	tag   string
	paths []string
}

// Notify injects absolute paths reported by an editor (LSP didSave,
// didChangeWatchedFiles). They go through the same funnel as file-system
// events: a path seen both here and by fsnotify within one quiet window is
// reported once, and a path whose content did not change is not reported.
// A reported path carries tag in [Batch.Tags]. Directories are rescanned.
// Relative paths are ignored. Notify does nothing after Close.
func (w *Watcher) Notify(tag string, paths ...string) {
	var ps []string
	for _, p := range paths {
		if filepath.IsAbs(p) {
			ps = append(ps, filepath.Clean(p))
		}
	}
	if len(ps) == 0 {
		return
	}
	select {
	case w.notifyc <- notice{tag, ps}:
	case <-w.done:
	}
}

// SetInterest narrows what the poller of silent subtrees stats to what can
// matter: paths are absolute files and directories (the files of the
// package graph, embedded files), and globs are doublestar patterns
// relative to a root (restart globs, generator inputs, env files). The
// directories holding paths, the directories a glob can match below, and
// go.mod, go.sum, go.work and go.work.sum are always included. Before the
// first call every visible path of a silent subtree is polled. Inotify
// and [Options.Poll] are not affected. SetInterest does nothing after
// Close.
func (w *Watcher) SetInterest(paths, globs []string) {
	select {
	case w.interestc <- newInterest(paths, globs):
	case <-w.done:
	}
}

// Subtrees returns the subtrees polled in addition to inotify (none when
// [Options.Poll] or [Options.PollOff] is set).
func (w *Watcher) Subtrees() []Subtree { return slices.Clone(w.polled) }

// Mode says in a few words how the watcher sees changes: "inotify",
// "polling every 500ms", or "inotify + polling ./ (fuse) every ~1.25s".
func (w *Watcher) Mode() string { s, _ := w.mode.Load().(string); return s }

// Watches returns the number of directory watches held (zero while polling).
func (w *Watcher) Watches() int { return int(w.watches.Load()) }

// Polling reports whether the watcher polls instead of using fsnotify,
// because [Options.Poll] was set or because it fell back.
func (w *Watcher) Polling() bool { return w.polling.Load() }

// Close stops the watcher, waits for its goroutines to exit and closes the
// channel returned by [Watcher.Batches]. It is safe to call more than once.
func (w *Watcher) Close() error {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
	return w.closeErr
}

// publish copies the tree's status into the fields read by other goroutines.
func (w *Watcher) publish(t *tree) {
	w.polling.Store(t.poll > 0)
	n := 0
	if t.fsw != nil {
		n = len(t.dirs)
	}
	w.watches.Store(int64(n))
	w.mode.Store(t.mode())
}

// run is the watcher's goroutine. It alone touches t after New returns.
func (w *Watcher) run(t *tree) {
	defer w.wg.Done()
	defer close(w.out)

	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	var ticker *time.Ticker
	var tick <-chan time.Time
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()

	var pollc <-chan time.Time
	if t.polling() {
		pt := time.NewTicker(pollTick)
		defer pt.Stop()
		pollc = pt.C
	}

	ready := map[string]struct{}{}
	tags := map[string]string{} // notified paths not yet flushed
	var batch Batch
	for {
		if t.poll > 0 && ticker == nil {
			ticker = time.NewTicker(t.poll)
			tick = ticker.C
		}
		var events <-chan fsnotify.Event
		var errs <-chan error
		if t.fsw != nil {
			events, errs = t.fsw.Events, t.fsw.Errors
		}
		var out chan<- Batch
		if len(ready) > 0 {
			out = w.out
		}
		marks := t.marks

		select {
		case <-w.done:
			if t.fsw != nil {
				if err := t.fsw.Close(); err != nil {
					w.closeErr = fmt.Errorf("watch: close: %w", err)
				}
			}
			return
		case ev, ok := <-events:
			if !ok {
				// fsnotify closes Events only when closed; never spin on it.
				t.fallBack("fsnotify stopped")
				t.rescan()
				break
			}
			// A pure attribute change (chmod, touch) cannot change content.
			if ev.Op != fsnotify.Chmod {
				t.touch(ev.Name)
			}
		case err := <-errs:
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				t.logf("%v (see fs.inotify.max_queued_events); rescanning", err)
				t.rescan()
			} else if err != nil {
				t.logf("fsnotify: %v", err)
			}
		case n := <-w.notifyc:
			now := time.Now()
			for _, p := range n.paths {
				t.touch(p)
				t.heat(p, now)
				tags[p] = n.tag
			}
		case in := <-w.interestc:
			t.pl.interest, t.pl.stale = in, true
		case now := <-pollc:
			t.pollStep(now)
		case <-tick:
			t.rescan()
		case <-quiet.C:
			changed := t.flush()
			now := time.Now()
			for _, p := range changed {
				t.heat(p, now)
				ready[p] = struct{}{}
				batch.content(p, t.files[p])
				if tag, ok := tags[p]; ok {
					if batch.Tags == nil {
						batch.Tags = map[string]string{}
					}
					batch.Tags[p] = tag
				}
			}
			clear(tags) // a notified path that did not change is no change
			if len(changed) > 0 {
				batch.Paths = slices.Sorted(maps.Keys(ready))
			}
		case out <- batch:
			clear(ready)
			batch = Batch{}
		}

		if t.limitHit && t.fsw != nil {
			t.fallBack(limitMsg)
			t.rescan()
		}
		if t.marks != marks {
			quiet.Reset(time.Until(t.deadline()))
		}
		w.publish(t)
	}
}

// content records what the watcher read of p, or forgets it when p is gone
// or was not hashed.
func (b *Batch) content(p string, st fileState) {
	if !st.hashed {
		delete(b.Contents, p)
		return
	}
	if b.Contents == nil {
		b.Contents = map[string]Content{}
	}
	b.Contents[p] = Content{Digest: st.sum, Size: st.size, ModTime: st.mod}
}

// within reports whether p is dir or lies below it. Both must be clean.
func within(p, dir string) bool {
	if !strings.HasPrefix(p, dir) {
		return false
	}
	return len(p) == len(dir) || p[len(dir)] == filepath.Separator || strings.HasSuffix(dir, string(filepath.Separator))
}
