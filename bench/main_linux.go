//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// airModule is the air release the harness installs and measures.
const airModule = "github.com/air-verse/air@v1.67.4"

func main() {
	os.Exit(realMain(os.Args[1:]))
}

// bench is one run of the harness.
type bench struct {
	ctx     context.Context
	plan    Plan
	procs   *procs
	repo    string // the ginhotd checkout
	work    string // temporary directory of this run
	wrapDir string // holds the counting go
	realGo  string
	goCache string
	ginhotd string // binary built from repo
	air     string // binary installed by the harness
}

func (b *bench) sleep(d time.Duration) error { return ctxSleep(b.ctx, d) }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// parts are what a run can measure: the floor, each tool, the scale,
// proxy and cgo scenarios, and the editor rows.
func parts() []string {
	names := []string{"floor"}
	for _, t := range toolSpecs() {
		names = append(names, t.Slug)
	}
	names = append(names, "scale", "proxy", "cgo")
	return append(names, editorParts...)
}

// plans returns the size of a full or quick run. The quick run leaves out
// the scale scenario and ginhotd's --no-proxy column, and repeats less.
func plans(quick bool) Plan {
	if quick {
		return Plan{
			Parts:    []string{"floor", "ginhotd-proxy", "air", "air-delay1", "editor-save"},
			SaveReps: 2, FloorReps: 1, TemplateReps: 2, EditorReps: 5,
			LoadRate: 200, LoadMin: 3 * time.Second, Reloads: 2,
			RapidSaves: 10, RapidGap: 100 * time.Millisecond,
			StormFiles: 60, StormReach: 10,
			Idle: 3 * time.Second,
		}
	}
	return Plan{
		Parts:    parts(),
		SaveReps: 10, FloorReps: 10, TemplateReps: 10,
		LoadRate: 200, LoadMin: 10 * time.Second, Reloads: 3,
		RapidSaves: 10, RapidGap: 100 * time.Millisecond,
		StormFiles: 300, StormReach: 50,
		Idle:          20 * time.Second,
		ScalePackages: 2000, ScaleSaves: 10,
		ProxyLoad: 10 * time.Second, CgoReps: 9,
		EditorReps: 10, TypingReps: 3,
	}
}

// has reports whether the plan runs part.
func (p Plan) has(part string) bool {
	return slices.Contains(p.Parts, part)
}

func realMain(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "smaller run: fewer repetitions, no scale scenario (under 3 minutes)")
	out := fs.String("out", filepath.Join("bench", "results"), "directory for latest.json, table.md and chart.svg")
	keep := fs.Bool("keep", false, "keep the temporary work directory (module copies, tool logs, ginhotd's event logs)")
	only := fs.String("only", "", "comma-separated parts to run, of: "+strings.Join(parts(), ","))
	if err := fs.Parse(args); err != nil {
		return 2
	}
	plan := plans(*quick)
	if *only != "" {
		plan.Parts = strings.Split(*only, ",")
		for _, p := range plan.Parts {
			if !slices.Contains(parts(), p) {
				fmt.Fprintf(os.Stderr, "bench: unknown part %q (parts: %s)\n", p, strings.Join(parts(), ","))
				return 2
			}
		}
		if plan.has("proxy") && plan.ProxyLoad == 0 {
			plan.ProxyLoad = plans(false).ProxyLoad
		}
		if plan.has("cgo") && plan.CgoReps == 0 {
			plan.CgoReps = plans(false).CgoReps
		}
		if plan.EditorReps == 0 {
			plan.EditorReps = plans(false).EditorReps
		}
		if plan.has("editor-typing") && plan.TypingReps == 0 {
			plan.TypingReps = plans(false).TypingReps
		}
		if plan.has("scale") && plan.ScalePackages == 0 {
			full := plans(false)
			plan.ScalePackages, plan.ScaleSaves = full.ScalePackages, full.ScaleSaves
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := &Results{Date: time.Now().UTC(), Command: strings.TrimSpace("go run ./bench " + strings.Join(args, " ")), Mode: "full", Plan: plan}
	if *quick {
		res.Mode = "quick"
	}
	start := time.Now()
	err := run(ctx, res, *keep, *out)
	res.DurationS = time.Since(start).Seconds()
	res.Machine.LoadEnd = loadAvg()
	if err != nil {
		res.Errors = append(res.Errors, err.Error())
		logf("error: %v", err)
	}
	if werr := writeOutputs(*out, res); werr != nil {
		logf("error: %v", werr)
		return 1
	}
	fmt.Println(renderTable(res))
	logf("done in %.0fs; wrote %s", res.DurationS, *out)
	if err != nil || len(res.Leftovers) > 0 {
		return 1
	}
	return 0
}

// run prepares the tools and runs every scenario, filling res; it copies
// ginhotd's event logs to out.
func run(ctx context.Context, res *Results, keep bool, out string) (err error) {
	p, err := newProcs()
	if err != nil {
		return err
	}
	b := &bench{ctx: ctx, plan: res.Plan, procs: p}
	defer func() {
		res.Leftovers = p.sweep()
		if res.Leftovers == nil {
			res.Leftovers = []string{}
		}
		for _, l := range res.Leftovers {
			logf("leftover: %s", l)
		}
	}()
	if err := b.setup(res); err != nil {
		return err
	}
	if keep {
		logf("work directory kept: %s", b.work)
	} else {
		defer os.RemoveAll(b.work)
	}
	defer func() {
		if err := b.saveEvents(out, res); err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
	}()

	if res.Plan.has("floor") {
		if res.Floor, err = b.floor(); err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
	}
	for _, spec := range toolSpecs() {
		if ctx.Err() != nil {
			return fmt.Errorf("bench: %w", ctx.Err())
		}
		if res.Plan.has(spec.Slug) {
			res.Tools = append(res.Tools, b.runTool(spec))
		}
	}
	if res.Plan.has("scale") && ctx.Err() == nil {
		res.Scale = b.scale()
	}
	if res.Plan.has("proxy") && ctx.Err() == nil {
		res.Proxy = b.proxy()
	}
	if res.Plan.has("cgo") && ctx.Err() == nil {
		res.Cgo = b.cgo()
	}
	if slices.ContainsFunc(editorParts, res.Plan.has) && ctx.Err() == nil {
		res.Editor = b.editor()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("bench: %w", ctx.Err())
	}
	return nil
}

// setup finds the checkout, builds ginhotd, installs air and writes the
// counting go.
func (b *bench) setup(res *Results) error {
	var err error
	if b.repo, err = findRepo(); err != nil {
		return err
	}
	if b.realGo, err = exec.LookPath("go"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if b.realGo, err = filepath.Abs(b.realGo); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if b.goCache, err = goEnv(b.ctx, "GOCACHE"); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp("", "ginhotd-bench-"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	b.wrapDir = filepath.Join(b.work, "wrap")
	if err := os.MkdirAll(b.wrapDir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(b.wrapDir, "go"), []byte(goWrapper(b.realGo)), 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.Machine = machine(b.ctx, b.repo)
	logf("%d cores, %s, load %.2f; work dir %s", res.Machine.Cores, res.Machine.GoVersion, res.Machine.LoadStart, b.work)

	b.ginhotd = filepath.Join(b.work, "bin", "ginhotd")
	logf("building ginhotd")
	if out, err := b.goCmd(b.repo, "build", "-o", b.ginhotd, "./cmd/ginhotd").CombinedOutput(); err != nil {
		return fmt.Errorf("bench: building ginhotd: %w\n%s", err, out)
	}
	if !slices.ContainsFunc(toolSpecs(), func(s toolSpec) bool { return s.Air && b.plan.has(s.Slug) }) && !b.plan.has("scale") {
		return nil
	}
	logf("installing %s", airModule)
	gobin := filepath.Join(b.work, "gobin")
	c := b.goCmd(b.work, "install", airModule)
	c.Env = append(c.Env, "GOBIN="+gobin)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: installing air: %w\n%s", err, out)
	}
	b.air = filepath.Join(gobin, "air")
	return nil
}

// goCmd runs the real go (uncounted) in dir.
func (b *bench) goCmd(dir string, args ...string) *exec.Cmd {
	c := exec.CommandContext(b.ctx, b.realGo, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "GOCACHE="+b.goCache)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	return c
}

// findRepo returns the root of the ginhotd checkout from the current
// directory.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ginhotd/ginhotd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: run it inside the ginhotd checkout (go run ./bench)")
		}
		dir = parent
	}
}

func goEnv(ctx context.Context, key string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("bench: go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// machine describes the machine and the versions measured.
func machine(ctx context.Context, repo string) Machine {
	m := Machine{Cores: runtime.NumCPU(), OSArch: runtime.GOOS + "/" + runtime.GOARCH, LoadStart: loadAvg(), AirVersion: strings.TrimPrefix(airModule, "github.com/air-verse/air@")}
	m.GoVersion, _ = goEnv(ctx, "GOVERSION")
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					kb, _ := strconv.Atoi(f[0])
					m.MemoryMB = kb / 1024
				}
			}
		}
	}
	c := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD")
	c.Dir = repo
	if out, err := c.Output(); err == nil {
		m.GinhotdRev = strings.TrimSpace(string(out))
	}
	return m
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// saveEvents copies the JSON event logs of the ginhotd columns to
// dir/events-SLUG.jsonl, without the frequent status events.
func (b *bench) saveEvents(dir string, res *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	slugs := []string{}
	for _, t := range res.Tools {
		slugs = append(slugs, t.Slug)
	}
	if res.Editor != nil {
		slugs = append(slugs, editorSlug)
	}
	for _, slug := range slugs {
		src, err := os.ReadFile(filepath.Join(b.work, "logs", slug+".events.jsonl"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		var kept []string
		for _, line := range strings.Split(string(src), "\n") {
			if line != "" && !strings.Contains(line, `"event":"status"`) {
				kept = append(kept, line)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "events-"+slug+".jsonl"), []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// writeOutputs writes latest.json, table.md and chart.svg to dir.
func writeOutputs(dir string, res *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	files := map[string][]byte{
		"latest.json": append(js, '\n'),
		"table.md":    []byte(renderTable(res)),
		"chart.svg":   []byte(renderChart(res)),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
