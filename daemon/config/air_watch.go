package config

import (
	"cmp"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ginhotd/ginhotd/analysis"
)

// What air watched, as ginhotd's globs: exclude and restart globs, and
// the inputs and outputs of [[build.rules]] steps.

// pathGlobs makes globs of the paths ss of the air file, relative to the
// module root.
func (a *air) pathGlobs(ss []string, glob func(string) string) []string {
	var gs []string
	for _, s := range ss {
		gs = append(gs, glob(a.rebase(strings.TrimPrefix(filepath.ToSlash(s), "./"))))
	}
	return gs
}

// includeFile maps one table's include_file: a file besides Go code
// restarts the app. Script steps take them as inputs (see watchedInputs).
func (a *air) includeFile(k airKey[[]string]) {
	if !k.set() {
		return
	}
	var restart []string
	for _, f := range k.V {
		if !strings.HasSuffix(f, ".go") {
			restart = append(restart, filepath.ToSlash(f))
		}
	}
	if len(restart) == 0 {
		a.notice(k.Path, NotNeeded, whyEmpty(k.V, "a .go file reaches the build through the import graph"))
		return
	}
	gs := a.pathGlobs(restart, func(f string) string { return f })
	a.c.Restart = append(a.c.Restart, gs...)
	a.mapped(k.Path, "restart globs %s", tomlList(gs))
}

// excludes maps one table's exclude keys to exclude globs, in the order
// of the file.
func (a *air) excludes(t *airBuildKeys) {
	type exclude struct {
		k    airKey[[]string]
		glob func(string) string
	}
	keys := []exclude{
		{t.ExcludeExt, func(e string) string { return "**/*." + strings.TrimPrefix(e, ".") }},
		{t.ExcludeDir, func(d string) string { return strings.TrimSuffix(filepath.ToSlash(d), "/") + "/**" }},
		{t.ExcludeFile, func(f string) string { return filepath.ToSlash(f) }},
		{t.ExcludeRegex, nil},
	}
	slices.SortStableFunc(keys, func(x, y exclude) int { return cmp.Compare(a.line(x.k.Path), a.line(y.k.Path)) })
	for _, e := range keys {
		switch {
		case !e.k.set():
		case len(e.k.V) == 0:
			a.notice(e.k.Path, NotNeeded, "empty")
		case e.glob == nil:
			a.excludeRegex(e.k.Path, e.k.V)
		default:
			gs := a.pathGlobs(e.k.V, e.glob)
			a.mapped(e.k.Path, "exclude globs %s%s", tomlList(gs), a.exclude(gs))
		}
	}
}

// exclude appends the globs gs to exclude, but for those a [[generate]]
// step writes, and returns what the notice says of those. air users
// exclude generated files (_templ.go) to stop reload loops; ginhotd must
// see them to decide whether to build, and a step never re-runs for its
// own outputs.
func (a *air) exclude(gs []string) string {
	var said strings.Builder
	for _, g := range gs {
		if slices.ContainsFunc(a.c.Generate, func(step Generate) bool { return slices.Contains(step.Outputs, g) }) {
			fmt.Fprintf(&said, "; %q is not excluded: it is what a [[generate]] step writes, and ginhotd decides on it (a step never re-runs for its own outputs)", g)
			continue
		}
		a.c.Exclude = append(a.c.Exclude, g)
	}
	return said.String()
}

func whyEmpty(ss []string, why string) string {
	if len(ss) == 0 {
		return "empty"
	}
	return why
}

// regexLiteral matches a regular expression that is a literal path part,
// optionally anchored at its end, with dots escaped or not.
var regexLiteral = regexp.MustCompile(`^([A-Za-z0-9_\-/]|\\\.|\.)+\$?$`)

// regexGlob returns the glob matching what the regular expression re, a
// literal path part, matches anywhere in a path; ok is false when re is
// more than a literal.
func regexGlob(re string) (glob string, ok bool) {
	// A leading .* matches what no anchor does: ".*_templ.go" is
	// "_templ.go" anywhere.
	re = strings.TrimPrefix(re, ".*")
	if !regexLiteral.MatchString(re) {
		return "", false
	}
	lit := strings.ReplaceAll(strings.TrimSuffix(re, "$"), `\.`, ".")
	g := "**/*" + lit
	if !strings.HasSuffix(re, "$") && !strings.Contains(path.Base(lit), ".") {
		g += "*"
	}
	return g, true
}

// excludeRegex converts air's exclude_regex, res, which is not empty.
func (a *air) excludeRegex(p string, res []string) {
	var gs, left []string
	for _, re := range res {
		g, ok := regexGlob(re)
		switch {
		case !ok:
			left = append(left, re)
		case !strings.HasSuffix(g, "_test.go"): // test files are never part of a build
			gs = append(gs, g)
		}
	}
	kept := a.exclude(gs)
	switch {
	case len(left) > 0:
		a.notice(p, Warning, fmt.Sprintf("%s cannot be written as a glob; add exclude globs for them (converted: %s)", tomlList(left), tomlList(gs)))
	case len(gs) > 0:
		a.mapped(p, "exclude globs %s (test files never reach a build)%s", tomlList(gs), kept)
	default:
		a.notice(p, NotNeeded, "test files are never part of a build")
	}
}

// rules maps one table's [[build.rules]] to generator steps whose inputs
// are the rule's patterns.
func (a *air) rules(k airKey[[]airRule]) {
	for i, r := range k.V {
		rp := k.Path + "." + strconv.Itoa(i)
		g := Generate{Run: r.Cmd.V}
		if r.ExcludeRegex.set() {
			g.Outputs = a.ruleExcludes(r.ExcludeRegex.Path, r.ExcludeRegex.V)
		}
		if strings.TrimSpace(g.Run) == "" {
			a.problem(rp, "a rule needs cmd, the command to run")
			continue
		}
		g.Inputs = ruleInputs(r.IncludeDir.V, r.IncludeExt.V, r.IncludeFile.V)
		if len(g.Inputs) == 0 {
			a.problem(rp, "a rule needs include_dir, include_ext or include_file: the files that run it")
			continue
		}
		a.c.Generate = append(a.c.Generate, g)
		a.mapped(rp, "a [[generate]] step run = %q with inputs = %s", g.Run, tomlList(g.Inputs))
	}
}

// ruleExcludes converts a rule's exclude_regex, res: a file it matches
// does not run the rule but goes on to air's main watch, which is what
// ginhotd does with a step's outputs.
func (a *air) ruleExcludes(p string, res []string) []string {
	var gs, left []string
	for _, re := range res {
		if g, ok := regexGlob(re); ok {
			gs = append(gs, g)
		} else {
			left = append(left, re)
		}
	}
	switch {
	case len(left) > 0:
		a.notice(p, Warning, fmt.Sprintf("%s cannot be written as a glob, so a change to such a file runs the step too; list those files in its outputs (converted: %s)", tomlList(left), tomlList(gs)))
	case len(gs) > 0:
		a.mapped(p, "the step's outputs = %s: a change to them never runs it, and is decided on as any other", tomlList(gs))
	default:
		a.notice(p, NotNeeded, "empty")
	}
	return gs
}

func ruleInputs(dirs, exts, files []string) []string {
	var globs []string
	if len(dirs) == 0 && len(exts) > 0 {
		dirs = []string{""}
	}
	for _, d := range dirs {
		base := strings.TrimSuffix(filepath.ToSlash(d), "/")
		if base != "" {
			base += "/"
		}
		if len(exts) == 0 {
			globs = append(globs, base+"**")
		}
		for _, e := range exts {
			globs = append(globs, base+"**/*."+strings.TrimPrefix(e, "."))
		}
	}
	for _, f := range files {
		globs = append(globs, filepath.ToSlash(f))
	}
	return globs
}

func (a *air) includeExts() {
	c := a.c
	var added, covered []string
	for _, e := range a.b.IncludeExt.V {
		e = strings.TrimPrefix(e, ".")
		glob := "**/*." + e
		switch {
		case e == "go":
			covered = append(covered, "go: through the import graph")
		case slices.Contains(analysis.DefaultRestartGlobs(), glob) && slices.Contains(c.Restart, glob):
			covered = append(covered, e+": by the default restart globs")
		case a.generatorInput(glob):
			covered = append(covered, e+": by a [[generate]] step")
		case slices.Contains(c.Restart, glob):
		default:
			c.Restart = append(c.Restart, glob)
			added = append(added, glob)
		}
	}
	msg := ""
	if len(added) > 0 {
		msg = "restart globs " + tomlList(added) + " (a change restarts the app without a build)"
	}
	if len(covered) > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += "covered: " + strings.Join(covered, ", ")
	}
	if len(added) > 0 {
		a.notice(a.b.IncludeExt.Path, Mapped, "became "+msg)
	} else {
		a.notice(a.b.IncludeExt.Path, NotNeeded, whyEmpty(a.b.IncludeExt.V, msg))
	}
}

// generatorInput reports whether glob is an input of a step that turns it
// into Go code (templ's .templ files), so that a change to it needs no
// restart of its own. The inputs of a script step are not: under air the
// same change rebuilt and restarted the app too.
func (a *air) generatorInput(glob string) bool {
	for i, g := range a.c.Generate {
		if !slices.Contains(a.scripts, i) && slices.Contains(g.Inputs, glob) {
			return true
		}
	}
	return false
}

// includeDirs answers include_dir: it scopes the inputs of script steps;
// what the build reads ginhotd knows from the import graph.
func (a *air) includeDirs() {
	const why = "ginhotd watches exactly the packages your mains import, plus the restart and generator globs"
	for _, i := range a.scripts {
		if len(a.c.Generate[i].Inputs) > 0 && len(a.b.IncludeDir.V) > 0 {
			a.notice(a.b.IncludeDir.Path, Mapped, "became the directories of the inputs of "+strconv.Quote(a.c.Generate[i].Run)+"; for the build, "+why)
			return
		}
	}
	a.notice(a.b.IncludeDir.Path, NotNeeded, whyEmpty(a.b.IncludeDir.V, why))
}

// rebase makes a path of the air file, relative to the air file's
// directory, relative to the module root when the air file lies above it
// ("server/log/**" → "log/**" for a module in server/). Other paths are
// returned unchanged.
func (a *air) rebase(p string) string {
	root := a.c.Dir
	if a.c.Named != "" {
		root = a.c.Named
	}
	sub, err := filepath.Rel(filepath.Dir(a.name), root)
	if err != nil || sub == "." || strings.HasPrefix(sub, "..") {
		return p
	}
	if rest, ok := strings.CutPrefix(p, filepath.ToSlash(sub)+"/"); ok {
		return rest
	}
	return p
}
