//go:build linux

package main

import (
	"encoding/xml"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSummarize(t *testing.T) {
	s := summarize([]float64{50, 10, 40, 20, 30}, 2)
	if s.N != 5 || s.Timeouts != 2 || s.Min != 10 || s.Max != 50 || s.Median != 30 || s.P90 != 46 {
		t.Fatalf("summarize = %+v", s)
	}
	if got := summarize([]float64{7}, 0); got.Median != 7 || got.P90 != 7 {
		t.Fatalf("one sample: %+v", got)
	}
	if got := summarize(nil, 3); got.N != 0 || statCell(got, median) != "timeout" {
		t.Fatalf("all timeouts: %+v %q", got, statCell(got, median))
	}
}

func TestParseStat(t *testing.T) {
	st, err := parseStat("42 (a b) c)) S 7 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0")
	if err != nil {
		t.Fatal(err)
	}
	if st.state != "S" || st.ppid != 7 || st.utime != 250 || st.stime != 31 {
		t.Fatalf("parseStat = %+v", st)
	}
	if _, err := parseStat("42 (x) S 1"); err == nil {
		t.Fatal("short line: no error")
	}
	c, err := cpuSeconds(os.Getpid())
	if err != nil || c < 0 {
		t.Fatalf("cpuSeconds(self) = %v, %v", c, err)
	}
	if rss, err := rssKB(os.Getpid()); err != nil || rss <= 0 {
		t.Fatalf("rssKB(self) = %d, %v", rss, err)
	}
}

func TestInotifyWatches(t *testing.T) {
	before, err := inotifyWatches(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	for i := 0; i < 3; i++ {
		if _, err := unix.InotifyAddWatch(fd, t.TempDir(), unix.IN_MODIFY); err != nil {
			t.Fatal(err)
		}
	}
	after, err := inotifyWatches(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 3 {
		t.Fatalf("watches went from %d to %d, want 3 more", before, after)
	}
}

// TestGoWrapper runs the counting go with true and false as the real go.
func TestGoWrapper(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "builds")
	for _, real := range []string{"/bin/true", "/bin/false"} {
		w := filepath.Join(dir, "go")
		if err := os.WriteFile(w, []byte(goWrapper(real)), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"build", "./x"}, {"list", "./..."}} {
			c := exec.Command(w, args...)
			c.Env = append(os.Environ(), "BENCH_BUILD_LOG="+log)
			_ = c.Run()
		}
	}
	recs := buildLog{path: log}.read()
	if len(recs) != 2 {
		t.Fatalf("%d builds logged, want 2 (go list is not a build): %+v", len(recs), recs)
	}
	if !recs[0].ended || recs[0].rc != 0 || !recs[1].ended || recs[1].rc != 1 {
		t.Fatalf("records = %+v", recs)
	}
	if !recs[0].hasCPU || !recs[1].hasCPU || recs[0].cpu < 0 || recs[0].cpu > time.Second {
		t.Fatalf("CPU times not logged: %+v", recs)
	}
	if d := time.Since(recs[0].start); d < 0 || d > time.Minute {
		t.Fatalf("start time %v is off", recs[0].start)
	}
	if recs[1].running() {
		t.Fatal("an ended build reports running")
	}
}

// TestProcsSweep starts a process that leaves an orphan behind and checks
// that stop ends the leader and sweep finds and ends the adopted orphan.
func TestProcsSweep(t *testing.T) {
	p, err := newProcs()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The background sleep runs in a session of its own, so that stopping
	// the leader's process group does not reach it: an orphan the harness
	// must adopt and end.
	c := exec.Command("/bin/sh", "-c", "setsid sleep 60 & echo $! > "+pidFile+"; sleep 60")
	if err := p.start(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sweep() })
	var orphan int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidFile)
		// Wait for setsid to have exec'd sleep in its own session.
		if orphan, _ = strconv.Atoi(strings.TrimSpace(string(b))); orphan != 0 && comm(orphan) == "sleep" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if orphan == 0 || comm(orphan) != "sleep" {
		t.Fatal("the background sleep did not start: timeout")
	}
	if !p.stop(c.Process.Pid, syscall.SIGTERM, 5*time.Second) {
		t.Fatal("sh did not stop on SIGTERM")
	}
	if !alive(orphan) {
		t.Fatal("the orphan died with its group; the test set-up is wrong")
	}
	left := p.sweep()
	if len(left) != 1 || !strings.Contains(left[0], strconv.Itoa(orphan)) {
		t.Fatalf("sweep = %q, want the orphan %d", left, orphan)
	}
	deadline = time.Now().Add(5 * time.Second)
	for alive(orphan) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(orphan) {
		t.Fatalf("orphan %d still alive after sweep", orphan)
	}
	if left := p.sweep(); len(left) != 0 {
		t.Fatalf("second sweep = %q, want nothing", left)
	}
}

// TestGenScale generates a small module and checks, by parsing its
// imports, the package count, what the Gin main reaches, the depth, and the
// value it serves.
func TestGenScale(t *testing.T) {
	dir := t.TempDir()
	info, err := genScale(dir, shape{Domains: 4, Services: 2, Total: 40}, []byte("module example.com/shop\n\ngo 1.25.0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const module = "example.com/scale"
	imports := map[string][]string{}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(p))
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if rest, ok := strings.CutPrefix(path, module+"/"); ok {
				imports[rel] = append(imports[rel], rest)
			}
		}
		if _, ok := imports[rel]; !ok {
			imports[rel] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) != 40 {
		t.Fatalf("%d packages, want 40", len(imports))
	}
	var depth func(string) int
	reached := map[string]bool{}
	depth = func(pkg string) int {
		reached[pkg] = true
		d := 0
		for _, im := range imports[pkg] {
			d = max(d, depth(im))
		}
		return d + 1
	}
	if got := depth("cmd/api"); got != info.Depth {
		t.Fatalf("depth %d, info says %d", got, info.Depth)
	}
	if len(reached) != info.Reached {
		t.Fatalf("cmd/api reaches %d packages, info says %d", len(reached), info.Reached)
	}
	if info.Reached < 15 || info.Reached > 25 {
		t.Fatalf("cmd/api reaches %d of 40 packages, want about half", info.Reached)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.HasPrefix(string(b), "module "+module+"\n") {
		t.Fatalf("go.mod = %q, %v", b, err)
	}
	before := scaleValue(dir)
	if err := editValue(filepath.Join(dir, info.Reachable[0]), 500); err != nil {
		t.Fatal(err)
	}
	if err := editValue(filepath.Join(dir, info.Unreached[0]), 700); err != nil {
		t.Fatal(err)
	}
	// Reachable[0] is leaf l00 of the first service, whose Value was 0.
	if got := scaleValue(dir); got != before+500 {
		t.Fatalf("scaleValue after edits = %d, want %d", got, before+500)
	}
}

func TestRender(t *testing.T) {
	res := &Results{
		Plan: plans(false),
		Tools: []ToolResult{{
			Name: "ginhotd proxy", Slug: "ginhotd-proxy",
			SaveServeStats: summarize([]float64{1200, 1500}, 0),
			TemplateStats:  summarize(nil, 2),
			Availability:   &Availability{Total: 2000, Failed: 0, Reloads: 3},
			Irrelevant:     []Irrelevant{{Edit: "README.md", Builds: 0, Restarts: 0}},
		}, {
			Name: "air", Slug: "air",
			SaveServeStats: summarize([]float64{3000}, 0),
			Availability:   &Availability{Total: 1900, Failed: 12, Kinds: map[string]int{"connection refused": 12}},
		}},
		Floor: &FloorResult{Stats: summarize([]float64{1000}, 0)},
	}
	md := renderTable(res)
	for _, want := range []string{"| 1 save → serve, median (n=10) | 1.35 s | — | 3.00 s | — | 1.00 s", "0.45× · —", "| 2 template edit → serve, median (n=10) | timeout |", "connection refused 12", "| 3 builds / restarts: README.md | 0 / 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	svg := renderChart(res)
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{"ginhotd proxy", "1.35 s", "12 of 1900", "floor (go build + exec)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}
