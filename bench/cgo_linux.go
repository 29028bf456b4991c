//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CgoResult is the cgo scenario: the same edit of examples/shop's main
// built with CGO_ENABLED=1 and with CGO_ENABLED=0 (ginhotd's choice when no
// package in the target's graph uses cgo), -ldflags=-s -w, warm cache.
type CgoResult struct {
	Reps int `json:"reps"`
	// Link is the wall time of the link step alone; LinkCPU its user +
	// system CPU time, steadier on a shared machine; Build the whole go
	// build. Each keyed by "1" and "0", the CGO_ENABLED value.
	Link    map[string]Stats `json:"link"`
	LinkCPU map[string]Stats `json:"link_cpu"`
	Build   map[string]Stats `json:"build"`
	Errors  []string         `json:"errors,omitempty"`
}

// linkTimer is a -toolexec wrapper that appends the wall and CPU seconds of
// each real link (not `link -V=full`) to $BENCH_LINK_LOG.
const linkTimer = `#!/bin/bash
# Written by ginhotd's bench: times the link step.
case "$(basename "$1")" in
link)
	case "$*" in *" -o "*) ;; *) exec "$@";; esac
	TIMEFORMAT="%R %U %S"
	{ time "$@" 2>&3 ; } 3>&2 2>>"$BENCH_LINK_LOG"
	;;
*) exec "$@";;
esac
`

// cgo runs the cgo scenario.
func (b *bench) cgo() *CgoResult {
	r := &CgoResult{Reps: b.plan.CgoReps, Link: map[string]Stats{}, LinkCPU: map[string]Stats{}, Build: map[string]Stats{}}
	fail := func(err error) *CgoResult { r.Errors = append(r.Errors, err.Error()); logf("cgo: %v", err); return r }
	dir := filepath.Join(b.work, "cgo-shop")
	if err := copyTree(filepath.Join(b.repo, "examples", "shop"), dir); err != nil {
		return fail(err)
	}
	timer := filepath.Join(b.work, "linktimer")
	if err := os.WriteFile(timer, []byte(linkTimer), 0o755); err != nil {
		return fail(err)
	}
	main := filepath.Join(dir, "cmd", "api", "main.go")
	orig, err := os.ReadFile(main)
	if err != nil {
		return fail(err)
	}
	build := func(cgo string, stamp int) (time.Duration, error) {
		src := fmt.Sprintf("%s\nvar benchStamp = %q\n", orig, strconv.Itoa(stamp)+"-"+cgo)
		if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
			return 0, err
		}
		c := b.goCmd(dir, "build", "-toolexec="+timer, "-ldflags=-s -w", "-o", filepath.Join(b.work, "bin", "cgo-shop-"+cgo), "./cmd/api")
		c.Env = append(c.Env, "CGO_ENABLED="+cgo, "BENCH_LINK_LOG="+filepath.Join(b.work, "link-"+cgo+".log"))
		t0 := time.Now()
		if out, err := c.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build CGO_ENABLED=%s: %w\n%s", cgo, err, out)
		}
		return time.Since(t0), nil
	}
	logf("cgo: %d builds each of examples/shop with CGO_ENABLED=1 and 0", r.Reps)
	builds := map[string][]float64{}
	for i := 0; i <= r.Reps; i++ { // build 0 warms the cache of each setting
		for _, cgo := range []string{"1", "0"} {
			if i == 0 {
				_ = os.Remove(filepath.Join(b.work, "link-"+cgo+".log"))
			}
			d, err := build(cgo, i)
			if err != nil {
				return fail(err)
			}
			if i == 0 {
				_ = os.Remove(filepath.Join(b.work, "link-"+cgo+".log"))
				continue
			}
			builds[cgo] = append(builds[cgo], ms(d))
		}
	}
	for _, cgo := range []string{"1", "0"} {
		raw, err := os.ReadFile(filepath.Join(b.work, "link-"+cgo+".log"))
		if err != nil {
			return fail(err)
		}
		var wall, cpu []float64
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				continue
			}
			w, _ := strconv.ParseFloat(f[0], 64)
			u, _ := strconv.ParseFloat(f[1], 64)
			s, _ := strconv.ParseFloat(f[2], 64)
			wall, cpu = append(wall, w*1000), append(cpu, (u+s)*1000)
		}
		r.Link[cgo], r.LinkCPU[cgo], r.Build[cgo] = summarize(wall, 0), summarize(cpu, 0), summarize(builds[cgo], 0)
		logf("cgo: CGO_ENABLED=%s: link %s (CPU %s), build %s, medians", cgo, fmtMS(r.Link[cgo].Median), fmtMS(r.LinkCPU[cgo].Median), fmtMS(r.Build[cgo].Median))
	}
	return r
}

// renderCgo is the cgo scenario's table.
func renderCgo(c *CgoResult) string {
	var t table
	t.row(fmt.Sprintf("cgo: examples/shop, edit of main, -s -w, warm cache, median of %d", c.Reps), "CGO_ENABLED=1", "CGO_ENABLED=0", "0 ÷ 1")
	t.row("---", "---", "---", "---")
	line := func(name string, s map[string]Stats) {
		t.row(name, fmtMS(s["1"].Median), fmtMS(s["0"].Median), ratio(s["0"].Median, s["1"].Median))
	}
	line("link step, wall", c.Link)
	line("link step, CPU (user + system)", c.LinkCPU)
	line("whole go build, wall", c.Build)
	out := t.sb.String()
	for _, e := range c.Errors {
		out += "\ncgo: " + e
	}
	return out
}
