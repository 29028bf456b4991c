package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// Default bounds of a [Store].
const (
	DefaultStoreEntries = 16
	DefaultStoreBytes   = 1 << 30
)

// Store keeps built binaries by content key (see [Key]), so that a state
// already built (a save that matches a speculative build, an undo, a git
// checkout back) is served without building again. It is bounded: past
// its entry count or byte size it drops the least recently used binaries
// first, never those named by [Store.Keep]. A Store owns its directory
// and is safe for concurrent use.
type Store struct {
	dir        string
	maxEntries int
	maxBytes   int64

	mu      sync.Mutex
	entries []storeEntry // least recently used first
	keep    map[string]bool
}

type storeEntry struct {
	key  string
	path string
	size int64
}

// NewStore returns a Store in dir, which it creates private (0700) and
// empties: binaries of an earlier run are not trusted. maxEntries and
// maxBytes of zero or less mean [DefaultStoreEntries] and
// [DefaultStoreBytes].
func NewStore(dir string, maxEntries int, maxBytes int64) (*Store, error) {
	if maxEntries <= 0 {
		maxEntries = DefaultStoreEntries
	}
	if maxBytes <= 0 {
		maxBytes = DefaultStoreBytes
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("build: store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("build: store: %w", err)
	}
	return &Store{dir: dir, maxEntries: maxEntries, maxBytes: maxBytes, keep: map[string]bool{}}, nil
}

// Put stores binary (a [Result.Binary]) under key and returns the stored
// path, which stays valid until the entry is pruned. The stored file is a
// hard link to binary where possible, else a copy; binary itself is left
// alone. Put then prunes the store to its bounds.
func (s *Store) Put(key, binary string) (string, error) {
	fi, err := os.Stat(binary)
	if err != nil {
		return "", fmt.Errorf("build: store: %w", err)
	}
	name := key
	if len(name) > 24 {
		name = name[:24]
	}
	f, err := os.CreateTemp(s.dir, name+"-*")
	if err != nil {
		return "", fmt.Errorf("build: store: %w", err)
	}
	path := f.Name()
	f.Close()
	if err := linkOrCopy(binary, path, fi.Mode()); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("build: store: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(key); i >= 0 {
		old := s.entries[i]
		s.entries = slices.Delete(s.entries, i, i+1)
		if !s.keep[old.path] {
			os.Remove(old.path)
		}
	}
	s.entries = append(s.entries, storeEntry{key: key, path: path, size: fi.Size()})
	return path, s.pruneLocked()
}

// Get returns the stored binary for key and marks it used.
func (s *Store) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(key)
	if i < 0 {
		return "", false
	}
	e := s.entries[i]
	if _, err := os.Stat(e.path); err != nil {
		s.entries = slices.Delete(s.entries, i, i+1)
		return "", false
	}
	s.entries = append(slices.Delete(s.entries, i, i+1), e)
	return e.path, true
}

// Keep names the stored binaries that pruning must not remove (the running
// version, the last good one), replacing the set given before.
func (s *Store) Keep(paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep = make(map[string]bool, len(paths))
	for _, p := range paths {
		s.keep[p] = true
	}
}

// pruneLocked removes least recently used binaries until the store is within
// its bounds, skipping those named by [Store.Keep]. s.mu must be held.
func (s *Store) pruneLocked() error {
	var total int64
	for _, e := range s.entries {
		total += e.size
	}
	var errs []error
	n := len(s.entries)
	for i := 0; i < len(s.entries) && (n > s.maxEntries || total > s.maxBytes); {
		e := s.entries[i]
		if s.keep[e.path] {
			i++
			continue
		}
		if err := os.Remove(e.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		s.entries = slices.Delete(s.entries, i, i+1)
		n--
		total -= e.size
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("build: store: prune: %w", err)
	}
	return nil
}

func (s *Store) find(key string) int {
	return slices.IndexFunc(s.entries, func(e storeEntry) bool { return e.key == key })
}

// linkOrCopy makes dst (an existing empty file) hold src's content.
func linkOrCopy(src, dst string, mode os.FileMode) error {
	if err := os.Remove(dst); err != nil {
		return err
	}
	if os.Link(src, dst) == nil {
		return nil
	}
	return copyFile(src, dst, os.O_CREATE|os.O_EXCL, mode.Perm())
}

// copyFile copies the file src to dst, opened for writing with flag and
// created with perm.
func copyFile(src, dst string, flag int, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|flag, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
