package watch

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// BenchmarkPollCycle measures one idle cycle of the poller (every path of
// interest stated once, as it is every PollCycle) on a module of 2,000
// packages of two files each, mounted with bindfs. One cycle runs per
// second, so its time per op is the idle cost in CPU seconds per second,
// reported as cpu-s/s (the goal of issue 21 is at most 0.03).
func BenchmarkPollCycle(b *testing.B) {
	back := b.TempDir()
	var paths []string
	write(b, filepath.Join(back, "go.mod"), "module example.com/scale\n")
	for i := range 2000 {
		dir := filepath.Join(back, "pkg", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("p%04d", i))
		for _, name := range []string{"a.go", "b.go"} {
			write(b, filepath.Join(dir, name), "package p\n")
		}
	}
	mnt := testkit.Bindfs(b, back)
	for i := range 2000 {
		dir := filepath.Join(mnt, "pkg", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("p%04d", i))
		paths = append(paths, filepath.Join(dir, "a.go"), filepath.Join(dir, "b.go"))
	}
	tr, err := newTree(Options{Roots: []string{mnt}})
	if err != nil {
		b.Fatal(err)
	}
	tr.pl.silent = []Subtree{{Dir: mnt, FSType: "fuse"}}
	tr.scan(mnt, false)
	tr.pl.interest = newInterest(paths, []string{"**/*.tmpl", "**/*.html"})
	tr.rebuildList()
	steps := int(PollCycle / pollTick)
	cpu0 := cpuTime(b)
	for b.Loop() {
		now := time.Now()
		for range steps {
			tr.pollStep(now)
		}
	}
	cpu := cpuTime(b) - cpu0
	if len(tr.dirty) != 0 {
		b.Fatalf("an idle cycle found %d changes", len(tr.dirty))
	}
	b.ReportMetric(float64(len(tr.pl.list)), "paths")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/s")
}

// cpuTime is the user and system time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPollIdle measures a whole watcher (inotify and the poller's
// goroutine) idling for three seconds on a bindfs mount of a module of
// 2,000 packages, in CPU seconds per second, after the kernel's FUSE
// attribute cache has expired. "scale" is the benchmark's scale module
// (bench/scale_linux.go: one file per package, the Gin main reaching half
// of them); "dense" has two files per package, all of them of interest.
// The default restart globs make every directory of interest in both.
func BenchmarkPollIdle(b *testing.B) {
	for _, shape := range []struct {
		name    string
		files   int // per package
		reached int // packages of interest
	}{{"scale", 1, 1000}, {"dense", 2, 2000}} {
		b.Run(shape.name, func(b *testing.B) {
			back := b.TempDir()
			write(b, filepath.Join(back, "go.mod"), "module example.com/scale\n")
			var rels []string
			for i := range 2000 {
				dir := filepath.Join("pkg", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("p%04d", i))
				for f := range shape.files {
					name := fmt.Sprintf("f%d.go", f)
					write(b, filepath.Join(back, dir, name), "package p\n")
					if i < shape.reached {
						rels = append(rels, filepath.Join(dir, name))
					}
				}
			}
			mnt := testkit.Bindfs(b, back)
			var paths []string
			for _, r := range rels {
				paths = append(paths, filepath.Join(mnt, r))
			}
			w, err := New(Options{Roots: []string{mnt}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = w.Close() })
			w.SetInterest(paths, []string{"**/*.tmpl", "**/*.gohtml", "**/*.html"})
			time.Sleep(2 * PollCycle)
			var cpu time.Duration
			for b.Loop() {
				cpu0 := cpuTime(b)
				time.Sleep(3 * time.Second)
				cpu += cpuTime(b) - cpu0
			}
			b.ReportMetric(cpu.Seconds()/3/float64(b.N), "cpu-s/s")
		})
	}
}
