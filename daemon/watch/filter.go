package watch

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// isTemp reports whether a file name is an editor's temporary, swap, lock or
// backup file. Such files are never reported, even when they linger.
func isTemp(name string) bool {
	switch {
	case strings.HasSuffix(name, "~"), // vim and Emacs backups
		strings.HasSuffix(name, ".tmp"),                             // write-then-rename savers
		strings.HasPrefix(name, ".#"),                               // Emacs lock files
		len(name) > 1 && name[0] == '#' && name[len(name)-1] == '#', // Emacs auto-save
		strings.HasSuffix(name, "___jb_tmp___"),                     // JetBrains safe write
		strings.HasSuffix(name, "___jb_old___"),                     // JetBrains safe write
		strings.HasPrefix(name, ".goutputstream-"),                  // GNOME (gedit)
		strings.HasSuffix(name, ".kate-swp"):                        // Kate
		return true
	}
	// vim swap files: .swp, .swo, .swn, … and .swx (its directory probe).
	if ext := filepath.Ext(name); len(ext) == 4 && strings.HasPrefix(ext, ".sw") && ext[3] >= 'a' && ext[3] <= 'z' {
		return true
	}
	// vim probes a directory's writability with a file named 4913, or
	// 4913+123k when that exists.
	n, err := strconv.Atoi(name)
	return err == nil && name[0] != '+' && n >= 4913 && (n-4913)%123 == 0
}

// ignoredDir reports whether the directory p below root is not watched.
func (t *tree) ignoredDir(p, root string) bool {
	name := filepath.Base(p)
	if strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor" {
		return true
	}
	for _, d := range t.ignoreDirs {
		if within(p, d) {
			return true
		}
	}
	return t.excluded(p, root) || t.gitignored(p, root, true)
}

// ignoredFile reports whether the file p below root is excluded by
// [Options.Exclude] or a .gitignore file. Its directories are known to be
// visible. A path in [Options.Include] is never ignored.
func (t *tree) ignoredFile(p, root string) bool {
	if matchRel(t.include, p, root) {
		return false
	}
	return t.excluded(p, root) || t.gitignored(p, root, false)
}

// matchRel reports whether p, relative to root, matches one of globs.
func matchRel(globs []string, p, root string) bool {
	if len(globs) == 0 {
		return false
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, pat := range globs {
		if doublestar.MatchUnvalidated(pat, rel) {
			return true
		}
	}
	return false
}

// excluded reports whether p matches one of the Exclude globs.
func (t *tree) excluded(p, root string) bool {
	return matchRel(t.exclude, p, root)
}

// gitignored reports whether p is ignored by the .gitignore files between
// the repository root above root (else root) and p's directory. The
// deepest file with a matching pattern decides, so a nested .gitignore can
// re-include with "!pattern".
func (t *tree) gitignored(p, root string, isDir bool) bool {
	if repo := t.repos[root]; repo != "" {
		root = repo
	}
	for dir := filepath.Dir(p); within(dir, root); dir = filepath.Dir(dir) {
		if gi := t.ignores[dir]; gi != nil {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return false
			}
			rel = filepath.ToSlash(rel)
			if isDir {
				rel += "/"
			}
			if matched, how := gi.MatchesPathHow(rel); how != nil {
				return matched
			}
		}
		if dir == root {
			break
		}
	}
	return false
}
