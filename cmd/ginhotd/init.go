package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/config"
)

// initScanLimit bounds the files `ginhotd init` looks at.
const initScanLimit = 50000

// found is what `ginhotd init` detected in a module.
type found struct {
	mains       []analysis.Target
	mainsErr    error
	templates   []string // dirs holding template files
	static      []string // dirs of static assets
	templ       bool
	sqlc        bool
	swagMain    string // main file with swag's // @title, relative
	goGenerate  bool
	envFiles    []string
	extraExts   []string // template extensions the default restart globs miss
	scanLimited bool
}

// initCmd writes a commented ginhot.toml for the module at dir.
func initCmd(ctx context.Context, f *flags, dir string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ginhotd init: "+format+"\n", a...)
		return 1
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail("%v", err)
	}
	if !exists(filepath.Join(abs, "go.mod")) && !exists(filepath.Join(abs, "go.work")) {
		return fail("%s holds no go.mod or go.work: run it in your module's root", abs)
	}
	out := filepath.Join(abs, config.FileName)
	if exists(out) && !f.force {
		return fail("%s exists; rerun with --force to overwrite it", out)
	}
	from := f.from
	if from == "" {
		if from, err = config.FindAirFile(abs); err != nil {
			return fail("cannot convert %s: %v", from, err)
		}
	} else if !filepath.IsAbs(from) {
		from = absPath(from)
	}
	cfg := config.Default()
	if from != "" {
		if cfg, err = config.Load(abs, from, nil); err != nil {
			return fail("cannot convert %s: %v", from, err)
		}
	}
	fd := detect(ctx, abs, cfg)
	addDetected(&cfg, fd)
	text := render(cfg, fd, from)
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return fail("%v", err)
	}
	if _, err := config.Load(abs, "", nil); err != nil {
		return fail("the ginhot.toml written does not load (a bug; please report it): %v", err)
	}
	if from != "" {
		fmt.Fprintf(stdout, "converted %s:\n", from)
		for _, n := range cfg.Notices {
			fmt.Fprintln(stdout, " ", noticeLine(n))
		}
	}
	for _, l := range fd.summary() {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return 0
}

// noticeLine says in one line what became of an air key.
func noticeLine(n config.Notice) string {
	loc := n.Key
	if n.Line > 0 {
		loc = fmt.Sprintf("%s (line %d)", n.Key, n.Line)
	}
	switch n.Kind {
	case config.NotNeeded:
		return fmt.Sprintf("%s: not needed: %s", loc, n.Message)
	case config.Warning:
		return fmt.Sprintf("%s: warning: %s", loc, n.Message)
	}
	return fmt.Sprintf("%s: %s", loc, n.Message)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// detect finds Gin mains, template and static dirs, generators and .env
// files.
func detect(ctx context.Context, dir string, cfg config.Config) found {
	var fd found
	g, err := analysis.Load(ctx, analysis.Options{Dir: dir, Targets: cfg.Targets, Tags: cfg.Tags, Env: cfg.BuildEnv})
	if err != nil {
		fd.mainsErr = err
	} else {
		fd.mains = g.Targets()
	}
	mainDirs := map[string]bool{}
	for _, t := range fd.mains {
		mainDirs[t.Dir] = true
	}
	tmplExts := map[string]bool{".tmpl": true, ".gohtml": true, ".html": true, ".tpl": true}
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" || name == "node_modules" || name == "testdata" || name == "tmp") {
				return filepath.SkipDir
			}
			if p != dir && exists(filepath.Join(p, "go.mod")) {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(dir, p)
			switch name {
			case "static", "public", "assets":
				fd.static = append(fd.static, filepath.ToSlash(rel))
			}
			return nil
		}
		if n++; n > initScanLimit {
			fd.scanLimited = true
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		ext := filepath.Ext(name)
		switch {
		case ext == ".templ":
			fd.templ = true
		case p == filepath.Join(dir, name) && (name == "sqlc.yaml" || name == "sqlc.yml" || name == "sqlc.json"):
			fd.sqlc = true
		case p == filepath.Join(dir, name) && (name == ".env" || strings.HasPrefix(name, ".env.")) && !isEnvTemplate(name):
			fd.envFiles = append(fd.envFiles, name)
		case tmplExts[ext] && !inStatic(rel, fd.static):
			tdir := filepath.ToSlash(filepath.Dir(rel))
			if !slices.Contains(fd.templates, tdir) {
				fd.templates = append(fd.templates, tdir)
			}
			if glob := "**/*" + ext; !slices.Contains(cfg.Restart, glob) && !slices.Contains(fd.extraExts, glob) {
				fd.extraExts = append(fd.extraExts, glob)
			}
		case ext == ".go" && !strings.HasSuffix(name, "_test.go"):
			title, gen := scanGo(p)
			if title && mainDirs[filepath.Dir(p)] && fd.swagMain == "" {
				fd.swagMain = rel
			}
			fd.goGenerate = fd.goGenerate || gen
		}
		return nil
	})
	// .env first, then the others by name: later files win.
	slices.SortFunc(fd.envFiles, func(a, b string) int {
		if a == ".env" {
			return -1
		}
		if b == ".env" {
			return 1
		}
		return strings.Compare(a, b)
	})
	return fd
}

func isEnvTemplate(name string) bool {
	for _, s := range []string{".example", ".sample", ".template", ".dist", ".defaults"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func inStatic(rel string, static []string) bool {
	for _, s := range static {
		if strings.HasPrefix(rel, s+"/") {
			return true
		}
	}
	return false
}

// scanGo reports whether a Go file holds swag's general API annotation
// (// @title) and a //go:generate line.
func scanGo(p string) (swagTitle, goGenerate bool) {
	f, err := os.Open(p)
	if err != nil {
		return false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "//go:generate "):
			goGenerate = true
		case strings.HasPrefix(l, "// @title ") || strings.HasPrefix(l, "//@title "):
			swagTitle = true
		}
	}
	return swagTitle, goGenerate
}

// addDetected adds what detect found to cfg, unless the air file already
// said it.
func addDetected(cfg *config.Config, fd found) {
	has := func(tool string) bool {
		for _, g := range cfg.Generate {
			if w, err := config.SplitWords(g.Run); err == nil && len(w) > 0 && filepath.Base(w[0]) == tool {
				return true
			}
		}
		return false
	}
	if fd.templ && !has("templ") {
		cfg.Generate = append(cfg.Generate, withTimeout(config.GuessGenerate("templ generate")))
	}
	if fd.sqlc && !has("sqlc") {
		cfg.Generate = append(cfg.Generate, withTimeout(config.GuessGenerate("sqlc generate")))
	}
	if fd.swagMain != "" && !has("swag") {
		cfg.Generate = append(cfg.Generate, withTimeout(config.GuessGenerate("swag init -g "+fd.swagMain)))
	}
	if fd.goGenerate {
		cfg.GoGenerate = true
	}
	for _, e := range fd.envFiles {
		if !slices.Contains(cfg.EnvFiles, e) {
			cfg.EnvFiles = append(cfg.EnvFiles, e)
		}
	}
	for _, g := range fd.extraExts {
		if !slices.Contains(cfg.Restart, g) {
			cfg.Restart = append(cfg.Restart, g)
		}
	}
}

func withTimeout(g config.Generate) config.Generate {
	g.Timeout = config.Duration(config.DefaultGenerateTimeout)
	return g
}

func (fd found) summary() []string {
	var out []string
	if fd.mainsErr != nil {
		out = append(out, "no Gin main found ("+firstLine(fd.mainsErr.Error())+"); set targets in ginhot.toml")
	}
	for _, t := range fd.mains {
		out = append(out, "found Gin main "+t.Name)
	}
	for _, d := range fd.templates {
		out = append(out, "found templates in "+d+"/ (a change restarts the app)")
	}
	for _, d := range fd.static {
		out = append(out, "found static files in "+d+"/ (served from disk: no restart needed)")
	}
	if fd.templ {
		out = append(out, "found .templ files: a templ generate step")
	}
	if fd.sqlc {
		out = append(out, "found sqlc config: a sqlc generate step")
	}
	if fd.swagMain != "" {
		out = append(out, "found swag annotations in "+fd.swagMain+": a swag init step")
	}
	if fd.goGenerate {
		out = append(out, "found //go:generate lines: go_generate = true")
	}
	for _, e := range fd.envFiles {
		out = append(out, "found "+e+": loaded into the app's environment")
	}
	if fd.scanLimited {
		out = append(out, fmt.Sprintf("stopped looking after %d files", initScanLimit))
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// keyComments explain the keys `ginhotd init` writes.
var keyComments = map[string]string{
	"addr":              "public address: ginhotd's proxy listens here; the app gets PORT",
	"targets":           "main packages to run",
	"debounce":          "quiet window that coalesces file events",
	"poll":              "auto: poll mounts that deliver no events (Docker Desktop, WSL, NFS); a duration: poll everything; off",
	"proxy":             "false: the app listens on addr itself (reload is stop-then-start)",
	"live_reload":       "refresh browsers after each swap",
	"socket_activation": "pass the listening socket to the app as fd 3",
	"build_flags":       "extra go build flags",
	"tags":              "build tags",
	"ldflags":           "go build -ldflags",
	"strip":             "-s -w for faster links; false for debuggers",
	"build_env":         "environment of go build",
	"args":              "app arguments",
	"env":               "app environment (wins over env_files)",
	"exclude":           "globs never watched",
	"restart":           "globs of files the app reads at run time: a change restarts it without a build",
	"stop_signal":       "signal that asks the app to stop",
	"kill_timeout":      "how long a stopping app may take before SIGKILL",
	"start_timeout":     "how long a new version may take to listen",
	"hold_timeout":      "how long the proxy holds requests while nothing is ready",
	"drain_timeout":     "how long an old version may finish in-flight requests",
	"diagnostics":       "all, or complement (what gopls cannot see)",
	"log_format":        "text or json",
	"go_generate":       "run a package's //go:generate lines when one of its files changes",
	"env_files":         ".env files loaded into the app's environment, later files winning",
	"build_cmd":         "a build command ginhotd cannot take apart; it must write bin",
	"bin":               "the binary build_cmd writes",
}

// render writes cfg as a commented ginhot.toml: addr and targets always,
// other keys when they differ from the defaults.
func render(cfg config.Config, fd found, from string) string {
	var b strings.Builder
	b.WriteString("# ginhot.toml: settings for ginhotd (see README, \"Configuration\").\n")
	if from != "" {
		fmt.Fprintf(&b, "# Written by `ginhotd init` from %s.\n", filepath.Base(from))
	} else {
		b.WriteString("# Written by `ginhotd init`.\n")
	}
	b.WriteString("# Every key is optional; durations are strings such as \"5s\".\n")
	if cfg.Targets == nil {
		for _, t := range fd.mains {
			cfg.Targets = append(cfg.Targets, t.Name)
		}
	}
	def := config.Default()
	cv, dv := reflect.ValueOf(cfg), reflect.ValueOf(def)
	ct := cv.Type()
	for i := range ct.NumField() {
		key := ct.Field(i).Tag.Get("toml")
		if key == "" || key == "-" || key == "generate" {
			continue
		}
		v := cv.Field(i).Interface()
		always := key == "addr" || key == "targets"
		if !always && reflect.DeepEqual(v, dv.Field(i).Interface()) {
			continue
		}
		if key == "targets" && cfg.Targets == nil {
			b.WriteString("\n# main packages to run; none found that imports Gin, so set them:\n# targets = [\"./cmd/api\"]\n")
			continue
		}
		fmt.Fprintf(&b, "\n# %s\n%s", keyComments[key], tomlLine(key, v))
		if key == "restart" && len(fd.templates) > 0 {
			fmt.Fprintf(&b, "# templates found in %s/\n", strings.Join(fd.templates, "/, "))
		}
	}
	if len(fd.static) > 0 {
		fmt.Fprintf(&b, "\n# Static files in %s/ are served from disk: no restart needed.\n", strings.Join(fd.static, "/, "))
	}
	for _, g := range cfg.Generate {
		b.WriteString("\n# A change to an input runs this step; what it writes then goes through\n# the usual decision. A step without inputs runs before every build.\n[[generate]]\n")
		b.WriteString(tomlLine("run", g.Run))
		if len(g.Inputs) > 0 {
			b.WriteString(tomlLine("inputs", g.Inputs))
		}
		if len(g.Outputs) > 0 {
			b.WriteString(tomlLine("outputs", g.Outputs))
		}
		b.WriteString(tomlLine("timeout", g.Timeout))
	}
	return b.String()
}

// tomlLine writes key = value as go-toml does.
func tomlLine(key string, v any) string {
	if s, ok := v.([]string); ok && s == nil {
		v = []string{}
	}
	out, err := toml.Marshal(map[string]any{key: v})
	if err != nil {
		return fmt.Sprintf("# %s: cannot be written: %v\n", key, err)
	}
	return string(out)
}
