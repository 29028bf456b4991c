package config

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The command lines of an .air.toml taken apart: cmd into generator
// steps and go build's flags, pre_cmd into steps, full_bin and
// entrypoint into the app's env and args.

// envAssign matches a NAME=value word before a command.
var envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// leadingEnv splits NAME=value words off the front of a command.
func leadingEnv(words []string) (env, rest []string) {
	for len(words) > 0 && envAssign.MatchString(words[0]) {
		env, words = append(env, words[0]), words[1:]
	}
	return env, words
}

// buildCmd takes air's cmd apart: steps before go build become generators,
// go build's flags become build settings; anything else runs whole as
// build_cmd.
func (a *air) buildCmd() {
	c := a.c
	p := a.b.Common.Cmd.Path
	parts, ok := splitCommands(a.b.Common.Cmd.V)
	if !ok {
		if strings.TrimSpace(a.b.Common.Cmd.V) == "" {
			a.notice(p, NotNeeded, "empty")
			return
		}
		a.custom(true)
		return
	}
	goBuild := -1
	words := make([][]string, len(parts))
	for i, part := range parts {
		w, err := SplitWords(part)
		if err != nil {
			a.custom(true)
			return
		}
		words[i] = w
		if _, rest := leadingEnv(w); goBuild < 0 && len(rest) >= 2 && rest[0] == "go" && rest[1] == "build" {
			goBuild = i
		}
	}
	if goBuild < 0 {
		a.custom(len(parts) > 1)
		return
	}
	var said []string
	for i := range goBuild {
		if len(words[i]) == 2 && words[i][0] == "cd" {
			if !a.cdToModule(words[i][1]) {
				a.custom(true) // a build in another directory: only a shell can do it
				return
			}
			said = append(said, fmt.Sprintf("%q not needed: ginhotd builds in the module root, which is that directory", parts[i]))
			continue
		}
		if _, rest := leadingEnv(words[i]); len(rest) >= 2 && rest[0] == "go" && rest[1] == "generate" {
			c.GoGenerate = true
			said = append(said, "go_generate = true")
			continue
		}
		said = append(said, a.step(parts[i]))
	}
	env, rest := leadingEnv(words[goBuild])
	if len(env) > 0 {
		c.BuildEnv = append(c.BuildEnv, env...)
		said = append(said, "build_env = "+tomlList(env))
	}
	said = append(said, a.goBuildFlags(rest[2:])...)
	for _, part := range parts[goBuild+1:] {
		a.notice(p, Warning, fmt.Sprintf("%q runs after the build in air; ginhotd does not run it", part))
	}
	a.notice(p, Mapped, "became "+strings.Join(said, "; "))
}

// cdToModule reports whether cd dir, run where air runs (the directory of
// the air file), enters the module root: a repository's .air.toml with the
// module in a subdirectory says `cd server && go build …`.
func (a *air) cdToModule(dir string) bool {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(a.name), dir)
	}
	return filepath.Clean(dir) == a.c.Dir || a.c.Named != "" && filepath.Clean(dir) == a.c.Named
}

// step adds the generator step for run, a command air runs before each
// build, and says what it became. A command ginhotd knows (templ, sqlc,
// swag) gets its own inputs; any other is a script, whose inputs are the
// files air watched (see scriptInputs).
func (a *air) step(run string) string {
	g := GuessGenerate(run)
	c := a.c
	if len(g.Inputs) > 0 {
		c.Generate = append(c.Generate, g)
		return fmt.Sprintf("[[generate]] run = %q, inputs = %s", g.Run, tomlList(g.Inputs))
	}
	inputs := a.watchedInputs()
	g.Inputs = inputs
	a.scripts = append(a.scripts, len(c.Generate))
	c.Generate = append(c.Generate, g)
	if len(inputs) == 0 {
		return fmt.Sprintf("[[generate]] run = %q (air watched no files but .go ones, so it runs before every build)", g.Run)
	}
	return fmt.Sprintf("[[generate]] run = %q, inputs = %s (the files air watched, but .go ones: a change to one runs it, as air ran it for every watched change)", g.Run, tomlList(inputs))
}

// preCmds maps pre_cmd: each command is a generator step, in order.
func (a *air) preCmds() {
	var said []string
	for _, run := range a.b.Common.PreCmd.V {
		said = append(said, a.step(run))
	}
	a.notice(a.b.Common.PreCmd.Path, Mapped, "became "+strings.Join(said, "; "))
}

// airDefaultIncludeExt is air's include_ext when the file does not set it.
var airDefaultIncludeExt = []string{"go", "tpl", "tmpl", "html"}

// watchedInputs returns globs of the files besides Go code that air
// watched and rebuilt for: include_ext (air's default when unset) under
// include_dir (the module when unset), and include_file. exclude_dir,
// exclude_file and exclude_regex reach ginhotd as exclude globs, which no
// step input sees.
func (a *air) watchedInputs() []string {
	exts := airDefaultIncludeExt
	if a.b.IncludeExt.set() {
		exts = a.b.IncludeExt.V
	}
	dirs := []string{""}
	if len(a.b.IncludeDir.V) > 0 {
		dirs = nil
		for _, d := range a.b.IncludeDir.V {
			d = strings.TrimSuffix(a.rebase(strings.TrimPrefix(path.Clean(filepath.ToSlash(d)), "./")), "/")
			if d == "." || d == "" {
				dirs = []string{""}
				break
			}
			dirs = append(dirs, d+"/")
		}
	}
	var globs []string
	add := func(g string) {
		if !slices.Contains(globs, g) {
			globs = append(globs, g)
		}
	}
	for _, d := range dirs {
		for _, e := range exts {
			switch e = strings.TrimPrefix(strings.TrimSpace(e), "."); e {
			case "", "go":
			case "*":
				add(d + "**")
			default:
				add(d + "**/*." + e)
			}
		}
	}
	for _, f := range a.b.IncludeFile.V {
		if f = a.rebase(strings.TrimPrefix(filepath.ToSlash(f), "./")); f != "" && !strings.HasSuffix(f, ".go") {
			add(f)
		}
	}
	return globs
}

// custom makes the whole cmd the build command.
func (a *air) custom(needsShell bool) {
	c := a.c
	c.BuildCmd = a.b.Common.Cmd.V
	if needsShell {
		c.BuildCmd = "sh -c " + shellQuote(c.BuildCmd)
	}
	a.mapped(a.b.Common.Cmd.Path, "build_cmd = %q (ginhotd cannot take it apart; the import graph still decides when it runs)", c.BuildCmd)
}

// goBoolFlags are go build flags without a value.
var goBoolFlags = []string{"a", "n", "race", "msan", "asan", "cover", "v", "work", "x", "trimpath", "linkshared"}

// goBuildFlags maps go build's arguments to settings and says what they
// became.
func (a *air) goBuildFlags(args []string) []string {
	c := a.c
	var said, pkgs, flags []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			pkgs = append(pkgs, arg)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if slices.Contains(goBoolFlags, name) {
			if !hasVal || val == "true" {
				flags = append(flags, "-"+name)
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				said = append(said, fmt.Sprintf("%s has no value; ignored", arg))
				continue
			}
			i++
			val = args[i]
		}
		switch name {
		case "o":
			said = append(said, fmt.Sprintf("-o %s ignored: ginhotd builds each version to a fresh path", val))
		case "tags":
			tags := strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
			c.Tags = append(c.Tags, tags...)
			said = append(said, "tags = "+tomlList(tags))
		case "ldflags":
			c.LDFlags = val
			said = append(said, fmt.Sprintf("ldflags = %q", val))
		default:
			flags = append(flags, "-"+name+"="+val)
		}
	}
	if len(flags) > 0 {
		c.BuildFlags = append(c.BuildFlags, flags...)
		said = append(said, "build_flags = "+tomlList(flags))
	}
	var targets []string
	for _, p := range pkgs {
		if strings.HasSuffix(p, ".go") {
			p = "./" + path.Dir(filepath.ToSlash(p))
		}
		if p == "./." {
			p = "."
		}
		if !slices.Contains(targets, p) {
			targets = append(targets, p)
		}
	}
	if len(targets) > 0 {
		c.Targets = targets
		said = append(said, "targets = "+tomlList(targets))
	}
	return said
}

// runCommand maps run, the full_bin or entrypoint at p: leading
// NAME=value words become app env, the words after the binary app args.
// It returns the args.
func (a *air) runCommand(p, run string) []string {
	c := a.c
	words, err := SplitWords(run)
	if err != nil {
		a.problem(p, "%v", err)
		return nil
	}
	env, rest := leadingEnv(words)
	if len(rest) == 0 {
		a.problem(p, "names no program to run")
		return nil
	}
	var said []string
	if len(env) > 0 {
		c.Env = append(c.Env, env...)
		said = append(said, "env = "+tomlList(env))
	}
	bin, args := rest[0], rest[1:]
	if filepath.Base(bin) == "dlv" {
		var after []string
		if i := slices.Index(args, "--"); i >= 0 {
			after = args[i+1:]
		}
		if len(args) >= 2 && args[0] == "exec" && c.BuildCmd != "" && c.Bin == "" {
			c.Bin = args[1]
		}
		a.notice(p, Warning, "runs the app under the dlv debugger; ginhotd does that itself in debug mode: set debug = true (or run ginhotd --debug) and attach to the address each version announces")
		if len(env) > 0 {
			a.mapped(p, "%s", strings.Join(said, "; "))
		}
		return after
	}
	if c.BuildCmd != "" && c.Bin == "" {
		c.Bin = bin
		said = append(said, fmt.Sprintf("bin = %q", bin))
	} else {
		said = append(said, fmt.Sprintf("%s is ginhotd's own build of the targets", bin))
	}
	if len(args) > 0 {
		said = append(said, "args "+tomlList(args))
	}
	a.mapped(p, "%s", strings.Join(said, "; "))
	return args
}

// GuessGenerate returns the generator step for a command, with the inputs
// and outputs of the generators ginhotd knows (templ, sqlc, swag); an
// unknown command gets no inputs, so it runs before every build.
func GuessGenerate(run string) Generate {
	g := Generate{Run: run}
	words, err := SplitWords(run)
	if err != nil {
		return g
	}
	_, words = leadingEnv(words)
	if len(words) < 2 {
		return g
	}
	switch tool, sub := filepath.Base(words[0]), words[1]; {
	case tool == "templ" && sub == "generate":
		g.Inputs, g.Outputs = []string{"**/*.templ"}, []string{"**/*_templ.go"}
	case tool == "sqlc" && sub == "generate":
		g.Inputs = []string{"sqlc.yaml", "sqlc.yml", "sqlc.json", "**/*.sql"}
	case tool == "swag" && (sub == "init" || sub == "i"):
		out := "docs"
		for i, w := range words {
			if (w == "-o" || w == "--output") && i+1 < len(words) {
				out = words[i+1]
			} else if v, ok := strings.CutPrefix(w, "--output="); ok {
				out = v
			}
		}
		out = strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(out), "./"), "/")
		g.Inputs, g.Outputs = []string{"**/*.go"}, []string{out + "/**"}
	}
	return g
}
