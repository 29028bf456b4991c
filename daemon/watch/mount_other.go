//go:build !linux

package watch

// mountsOf finds no mounts: outside Linux, a watcher polls only when
// [Options.Poll] asks it to.
func mountsOf([]string) []mount { return nil }

// realPath returns dir.
func realPath(dir string) string { return dir }
