package watch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPollListFollowsInterest builds the poller's cold list of a tree
// whose root is marked silent: before SetInterest it holds every visible
// path; after, only the named files, their directories, the directories a
// glob reaches and the module files. Ignored directories never appear.
func TestPollListFollowsInterest(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "main.go", "lib/lib.go", "lib/lib_test.go", "unused/unused.go",
		"templates/index.tmpl", "templates/part/a.tmpl", "node_modules/x/x.go", ".git/HEAD"} {
		write(t, filepath.Join(root, f), "x\n")
	}
	tr, err := newTree(Options{Roots: []string{root}})
	must(t, err)
	tr.pl.silent = []Subtree{{Dir: root, FSType: "fuse"}}
	tr.scan(root, false)
	abs := func(rels ...string) []string {
		var out []string
		for _, r := range rels {
			out = append(out, filepath.Join(root, r))
		}
		slices.Sort(out)
		return out
	}
	list := func() []string {
		tr.rebuildList()
		return slices.Sorted(slices.Values(tr.pl.list))
	}
	all := abs(".", "lib", "unused", "templates", "templates/part", "go.mod", "go.sum", "main.go", "lib/lib.go",
		"lib/lib_test.go", "unused/unused.go", "templates/index.tmpl", "templates/part/a.tmpl")
	if got := list(); !slices.Equal(got, all) {
		t.Errorf("without interest the list is\n%q\nwant\n%q", got, all)
	}
	want := abs(".", "lib", "templates", "templates/part", "go.mod", "go.sum", "main.go", "lib/lib.go",
		"templates/index.tmpl", "templates/part/a.tmpl")
	for _, glob := range []string{"templates/**/*.tmpl", "**/*.tmpl"} {
		tr.pl.interest = newInterest(abs("main.go", "lib/lib.go"), []string{glob})
		if got := list(); !slices.Equal(got, want) {
			t.Errorf("with interest and %s the list is\n%q\nwant\n%q", glob, got, want)
		}
	}
	// A directory below a glob's literal start is polled while still empty.
	must(t, os.MkdirAll(filepath.Join(root, "templates", "new"), 0o755))
	tr.scan(root, true)
	tr.pl.interest = newInterest(nil, []string{"templates/**/*.tmpl"})
	if got := list(); !slices.Contains(got, filepath.Join(root, "templates", "new")) {
		t.Errorf("the empty templates/new is not polled: %q", got)
	}
}

// TestPollStepCoversTheListInOneCycle checks the slicing: after
// PollCycle/pollTick steps every path of the list was stated, so a change
// to any of them is a candidate, and a hot path is stated on every step.
func TestPollStepCoversTheListInOneCycle(t *testing.T) {
	root := t.TempDir()
	var files []string
	for i := range 40 {
		f := filepath.Join(root, "p", string(rune('a'+i%26))+string(rune('a'+i/26))+".go")
		write(t, f, "package p\n")
		files = append(files, f)
	}
	tr, err := newTree(Options{Roots: []string{root}})
	must(t, err)
	tr.pl.silent = []Subtree{{Dir: root, FSType: "nfs"}}
	tr.scan(root, false)
	now := time.Now()
	// Same size, a new time: only a stat can tell.
	later := now.Add(time.Hour)
	for _, f := range files {
		must(t, chtimes(f, later))
	}
	hot := files[0]
	tr.heat(hot, now)
	tr.pollStep(now)
	if _, ok := tr.dirty[hot]; !ok {
		t.Fatalf("the hot file was not stated on the first step")
	}
	for range int(PollCycle / pollTick) {
		tr.pollStep(now)
	}
	for _, f := range files {
		if _, ok := tr.dirty[f]; !ok {
			t.Errorf("%s was not stated within one cycle", f)
		}
	}
}

// chtimes sets both times of p.
func chtimes(p string, at time.Time) error { return os.Chtimes(p, at, at) }
