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
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/config"
)

// initScanLimit bounds the files `ginhotd init` looks at.
const initScanLimit = 50000

// found is what `ginhotd init` detected in a module.
type found struct {
	mains       []mainPkg
	notice      string   // how the targets were chosen, when the user should know
	missing     []string // why named targets, or any target, were not found
	templates   []string // dirs holding template files
	embedded    []string // dirs holding template files a package embeds (a change rebuilds)
	graph       *analysis.Graph
	static      []string // dirs of static assets
	templ       bool
	sqlc        bool
	swagMain    string // main file with swag's // @title, relative
	goGenerate  bool
	envFiles    []string
	extraExts   []string // template extensions the default restart globs miss
	scanLimited bool

	// suggest are generator steps for the generators found that the air
	// config did not run: written commented out, never enabled.
	suggest []suggestion
	// suggestGoGenerate is set when //go:generate lines were found and the
	// air config did not run go generate.
	suggestGoGenerate bool
	// ran says, per generator found, that the user's config runs it.
	ran []string
}

// mainPkg is a target init found, with what it is built on.
type mainPkg struct {
	analysis.Target
	kind   string // "Gin main", "Echo main", "net/http main", …
	detail string // said after the name: "labstack/echo"
}

// suggestion is a generator step init writes commented out.
type suggestion struct {
	why  string // what was found ("found .templ files")
	step config.Generate
}

// frameworks name what a main is built on, first match wins: Gin first, as
// Echo and the others import net/http too.
var frameworks = []struct{ path, kind, detail string }{
	{"github.com/gin-gonic/gin", "Gin main", ""},
	{"github.com/labstack/echo", "Echo main", "labstack/echo"},
	{"github.com/go-chi/chi", "chi main", "go-chi/chi"},
	{"github.com/gorilla/mux", "gorilla/mux main", ""},
	{"github.com/gofiber/fiber", "Fiber main", "gofiber/fiber"},
	{"net/http", "net/http main", ""},
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
		if sub := moduleBelow(abs); sub != "" {
			return fail("%s holds no go.mod or go.work; the module is in %s/: run `ginhotd init %s` (it reads this directory's .air.toml)",
				abs, sub, filepath.Join(dir, sub))
		}
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
	addDetected(&cfg, &fd)
	shown := from
	if from != "" {
		shown = filepath.Base(from)
		if r, err := filepath.Rel(abs, from); err == nil && filepath.Dir(from) != abs {
			shown = r
		}
	}
	text := render(cfg, fd, shown)
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

// moduleBelow returns the only directory below dir, at most two levels
// down, that holds a go.mod ("server", "apps/backend"); "" when there is
// none or several.
func moduleBelow(dir string) string {
	var found []string
	for _, pat := range []string{"*/go.mod", "*/*/go.mod"} {
		ms, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range ms {
			rel, _ := filepath.Rel(dir, filepath.Dir(m))
			if first := strings.Split(filepath.ToSlash(rel), "/")[0]; !strings.HasPrefix(first, ".") && first != "vendor" && first != "testdata" && first != "node_modules" {
				found = append(found, filepath.ToSlash(rel))
			}
		}
	}
	// A module inside another (a stand-in replaced into it) does not count.
	found = slices.DeleteFunc(found, func(m string) bool {
		return slices.ContainsFunc(found, func(o string) bool { return strings.HasPrefix(m, o+"/") })
	})
	if len(found) != 1 {
		return ""
	}
	return found[0]
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

// detect finds the mains, template and static dirs, generators and .env
// files.
func detect(ctx context.Context, dir string, cfg config.Config) found {
	var fd found
	fd.findMains(ctx, dir, cfg)
	mainDirs := map[string]bool{}
	for _, m := range fd.mains {
		mainDirs[m.Dir] = true
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
		case tmplExts[ext] && fd.graph != nil && fd.graph.Classify([]string{p}).Action() == analysis.Rebuild:
			// //go:embed'ded: part of the build, not a file read at run time.
			if tdir := filepath.ToSlash(filepath.Dir(rel)); !slices.Contains(fd.embedded, tdir) {
				fd.embedded = append(fd.embedded, tdir)
			}
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

// findMains loads the package graph with the targets cfg names, keeping
// going past those that are not there. When none of them is, it looks for
// the mains itself, as ginhotd run would without targets: a target that is
// reported missing is never written.
func (fd *found) findMains(ctx context.Context, dir string, cfg config.Config) {
	opts := analysis.Options{Dir: dir, Targets: cfg.Targets, Tags: cfg.Tags, Env: cfg.BuildEnv, KeepGoing: true}
	g, err := analysis.Load(ctx, opts)
	if err == nil && len(g.Targets()) == 0 && len(cfg.Targets) > 0 && !slices.ContainsFunc(g.Missing(), ambiguous) {
		fd.missing = g.Missing()
		opts.Targets = nil
		g, err = analysis.Load(ctx, opts)
	}
	if err != nil {
		fd.missing = append(fd.missing, err.Error())
		return
	}
	fd.graph = g
	fd.missing = append(fd.missing, g.Missing()...)
	fd.notice = g.Notice()
	for _, t := range g.Targets() {
		m := mainPkg{Target: t, kind: "main package", detail: "it imports neither Gin nor net/http"}
		for _, f := range frameworks {
			if g.DependsOn(t.Path, f.path) {
				m.kind, m.detail = f.kind, f.detail
				break
			}
		}
		fd.mains = append(fd.mains, m)
	}
}

// pinClause is the advice in analysis's notices to pin the targets, which
// init does itself by writing them.
var pinClause = regexp.MustCompile(`; to pin it, [^;]*`)

// initNotice is how the targets were chosen, without the advice to write
// the targets line init writes.
func (fd found) initNotice() string {
	if fd.notice == "" {
		return ""
	}
	names := make([]string, len(fd.mains))
	for i, m := range fd.mains {
		names[i] = strconv.Quote(m.Name)
	}
	return pinClause.ReplaceAllString(fd.notice, "") + "; init writes targets = [" + strings.Join(names, ", ") + "]"
}

// ambiguous reports whether a reason a target was not found lists several
// mains to pick from: init then writes none of them, as air ran one.
func ambiguous(missing string) bool {
	return strings.Contains(missing, "pick the one to run")
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

// addDetected adds what detect found to cfg, unless the air config already
// said it. A generator the config does not run is only suggested: init
// invents nothing that runs, and nothing that rewrites committed files.
func addDetected(cfg *config.Config, fd *found) {
	runs := func(tool string) bool {
		for _, g := range cfg.Generate {
			if w, err := config.SplitWords(g.Run); err == nil && len(w) > 0 && filepath.Base(w[0]) == tool {
				return true
			}
		}
		for _, w := range strings.Fields(cfg.BuildCmd) {
			if filepath.Base(strings.Trim(w, `'"`)) == tool {
				return true
			}
		}
		return false
	}
	gens := []struct {
		on        bool
		tool, run string
		why       string
	}{
		{fd.templ, "templ", "templ generate", "found .templ files"},
		{fd.sqlc, "sqlc", "sqlc generate", "found sqlc config"},
		{fd.swagMain != "", "swag", "swag init -g " + fd.swagMain, "found swag annotations in " + fd.swagMain},
	}
	for _, g := range gens {
		switch {
		case !g.on:
		case runs(g.tool):
			fd.ran = append(fd.ran, g.why+": your air config runs "+g.tool)
		default:
			fd.suggest = append(fd.suggest, suggestion{why: g.why, step: withTimeout(config.GuessGenerate(g.run))})
		}
	}
	switch {
	case !fd.goGenerate:
	case cfg.GoGenerate:
		fd.ran = append(fd.ran, "found //go:generate lines: your air config runs go generate")
	default:
		fd.suggestGoGenerate = true
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
	cfg.Targets = nil
	for _, m := range fd.mains {
		cfg.Targets = append(cfg.Targets, m.Name)
	}
}

func withTimeout(g config.Generate) config.Generate {
	g.Timeout = config.Duration(config.DefaultGenerateTimeout)
	return g
}

func (fd found) summary() []string {
	var out []string
	for _, m := range fd.missing {
		out = append(out, strings.TrimPrefix(m, "analysis: "))
	}
	for _, m := range fd.mains {
		l := "found " + m.kind + " " + m.Name
		if m.detail != "" {
			l += " (" + m.detail + ")"
		}
		out = append(out, l)
	}
	if n := fd.initNotice(); n != "" {
		out = append(out, n)
	}
	if len(fd.mains) == 0 {
		out = append(out, "no target written: set targets in ginhot.toml")
	}
	for _, d := range fd.templates {
		out = append(out, "found templates in "+d+"/ (a change restarts the app)")
	}
	for _, d := range fd.embedded {
		out = append(out, "found embedded templates in "+d+"/ (//go:embed: a change rebuilds the app)")
	}
	for _, d := range fd.static {
		out = append(out, "found static files in "+d+"/ (served from disk: no restart needed)")
	}
	out = append(out, fd.ran...)
	for _, sg := range fd.suggest {
		out = append(out, fmt.Sprintf("%s: suggested a %q step, commented out in ginhot.toml (init enables only the generators your air config runs; uncomment it to enable)", sg.why, sg.step.Run))
	}
	if fd.suggestGoGenerate {
		out = append(out, "found //go:generate lines: suggested go_generate = true, commented out in ginhot.toml (uncomment it to enable)")
	}
	for _, e := range fd.envFiles {
		out = append(out, "found "+e+": loaded into the app's environment")
	}
	if fd.scanLimited {
		out = append(out, fmt.Sprintf("stopped looking after %d files", initScanLimit))
	}
	return out
}

// render writes cfg as a commented ginhot.toml: addr and targets always,
// other keys when they differ from the defaults. from is the air file it
// came from, relative to the module root ("" for none).
func render(cfg config.Config, fd found, from string) string {
	var b strings.Builder
	b.WriteString("# ginhot.toml: settings for ginhotd (see README, \"Configuration\").\n")
	if from != "" {
		fmt.Fprintf(&b, "# Written by `ginhotd init` from %s.\n", from)
	} else {
		b.WriteString("# Written by `ginhotd init`.\n")
	}
	b.WriteString("# Every key is optional; durations are strings such as \"5s\".\n")
	def := config.Default()
	delay := delayNotice(cfg.Notices)
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
			b.WriteString("\n# main packages to run; init chose none, so set them:\n")
			for _, m := range fd.missing {
				b.WriteString(comment(strings.TrimPrefix(m, "analysis: ")))
			}
			if !slices.ContainsFunc(fd.missing, ambiguous) {
				b.WriteString("# targets = [\"./cmd/api\"]\n")
			}
			continue
		}
		b.WriteString("\n" + comment(config.Summary(key)))
		switch {
		case key == "targets" && fd.notice != "":
			b.WriteString(comment(fd.initNotice()))
		case key == "debounce" && delay.Key != "":
			b.WriteString(comment(fmt.Sprintf("from %s: %s", delay.Key, delay.Message)))
		}
		b.WriteString(tomlLine(key, v))
		if key == "restart" && len(fd.templates) > 0 {
			fmt.Fprintf(&b, "# templates found in %s/\n", strings.Join(fd.templates, "/, "))
		}
	}
	if delay.Kind == config.NotNeeded {
		b.WriteString("\n" + comment(fmt.Sprintf("%s in %s is not carried over: %s", delay.Key, from, delay.Message)))
	}
	if fd.suggestGoGenerate {
		b.WriteString("\n" + comment("Suggested, not enabled: found //go:generate lines, but init enables only the generators your air config runs.") +
			"# To run a package's //go:generate lines when its files change, uncomment:\n# go_generate = true\n")
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
	for _, sg := range fd.suggest {
		g := sg.step
		step := "[[generate]]\n" + tomlLine("run", g.Run) + tomlLine("inputs", g.Inputs)
		if len(g.Outputs) > 0 {
			step += tomlLine("outputs", g.Outputs)
		}
		step += tomlLine("timeout", g.Timeout)
		what := ""
		if len(g.Outputs) > 0 {
			what = ", rewriting " + strings.Join(g.Outputs, ", ")
		}
		b.WriteString("\n" + comment(fmt.Sprintf("Suggested, not enabled: %s, but init enables only the generators your air config runs. "+
			"Enabled, this step runs before the first build and when one of its inputs changes%s.", sg.why, what)))
		fmt.Fprintf(&b, "# To enable it, remove the \"# \" in front of the %d lines below.\n", strings.Count(step, "\n"))
		for _, l := range strings.SplitAfter(strings.TrimSuffix(step, "\n"), "\n") {
			b.WriteString("# " + l)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// comment writes s as TOML comment lines: each of its lines wrapped at
// commentWidth, except indented ones (the pick lists of analysis), which are
// kept as they are.
func comment(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		words := strings.Fields(l)
		if len(words) == 0 {
			b.WriteString("#\n")
			continue
		}
		if strings.HasPrefix(l, " ") {
			b.WriteString("# " + l + "\n") // a list item, as analysis wrote it
			continue
		}
		line := "# " + words[0]
		for _, w := range words[1:] {
			if len(line)+1+len(w) > commentWidth {
				b.WriteString(line + "\n")
				line = "# " + w
				continue
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// commentWidth is where comment wraps.
const commentWidth = 78

// delayNotice returns the notice for air's build.delay (or a per-OS
// table's), which says whether it became the debounce; the zero Notice if
// the air config has none.
func delayNotice(ns []config.Notice) config.Notice {
	for _, n := range ns {
		if k := strings.Split(n.Key, "."); len(k) >= 2 && k[0] == "build" && k[len(k)-1] == "delay" && k[1] != "rules" {
			return n
		}
	}
	return config.Notice{}
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
