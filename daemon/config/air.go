package config

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
)

// builtInFlags are the boolean [build] keys of air whose behaviour ginhotd
// has built in, with why each is not needed.
var builtInFlags = map[string]string{
	"exclude_unchanged":         "ginhotd hashes file content: a save that changes nothing causes no build",
	"follow_symlink":            "ginhotd watches the package directories go list reports, symlinked or not",
	"stop_on_error":             "a failed build keeps the last good version serving; its errors go to the terminal, the browser and the editor",
	"rerun":                     "ginhotd starts an app that exits again, with backoff, and shows why it exited",
	"ignore_dangerous_root_dir": "ginhotd watches the packages of the module go.mod names, never a whole home or system directory, so there is no root to guard",
}

// AirFiles are the places air reads its config from, in order, relative to
// the workspace root. ginhotd reads the first that exists when there is no
// ginhot.toml.
var AirFiles = []string{".air.toml", ".config/air.toml"}

func isAirFile(file string) bool {
	base := filepath.Base(file)
	return base == ".air.toml" || base == "air.toml"
}

// NoticeKind says what became of an air key.
type NoticeKind int

const (
	// Mapped: the key became a ginhotd setting.
	Mapped NoticeKind = iota
	// NotNeeded: ginhotd does this by itself, or has no use for it.
	NotNeeded
	// Warning: ginhotd cannot do what the key asks, or does not know it.
	Warning
)

// Notice says what became of one key of an .air.toml.
type Notice struct {
	File    string
	Line    int
	Key     string // dotted, as in the file ("build.delay")
	Kind    NoticeKind
	Message string
}

func (n Notice) String() string {
	var b strings.Builder
	b.WriteString(n.File)
	if n.Line > 0 {
		fmt.Fprintf(&b, ":%d", n.Line)
	}
	fmt.Fprintf(&b, ": %s: ", n.Key)
	if n.Kind == NotNeeded {
		b.WriteString("not needed: ")
	}
	b.WriteString(n.Message)
	return b.String()
}

// airDefaultBin is the binary air runs when bin is not set.
const airDefaultBin = "./tmp/main"

// air is the state of one .air.toml mapping.
type air struct {
	*doc
	c *Config

	cmd, cmdKey   string
	bin, binKey   string
	fullBin       string
	fullBinKey    string
	entry         string
	entryKey      string
	run, runKey   string // full_bin or entrypoint, whichever wins
	argsBin       []string
	argsKey       string
	poll          bool
	pollKey       string
	pollInterval  time.Duration
	pollIntervalK string
	includeExt    []string
	includeExtKey string
	includeDir    []string
	includeDirKey string
	includeFile   []string
	preCmd        []string
	preCmdKey     string
	// scripts are the indices in c.Generate of the steps made from
	// commands ginhotd knows nothing of ("yarn build:css", "make
	// assets"): they take air's watched files as their inputs.
	scripts []int
}

// applyAir maps air's config onto c. Every key present gets one [Notice]
// in c.Notices; a wrong type is an error, an unknown key a warning.
func (c *Config) applyAir(b []byte, name string) error {
	d, err := parseDoc(b, name)
	if err != nil {
		return err
	}
	a := &air{doc: d, c: c}
	for _, k := range d.keysByLine("", d.root) {
		v := d.root[k]
		switch k {
		case "root":
			if s, ok := a.str(k, v); ok {
				if path.Clean(filepath.ToSlash(s)) == "." {
					a.notice(k, NotNeeded, "ginhotd watches the module root (the directory with go.mod or go.work)")
				} else {
					a.notice(k, Warning, fmt.Sprintf("ginhotd watches the module root, not %q: run ginhotd in the module you want served", s))
				}
			}
		case "tmp_dir":
			if _, ok := a.str(k, v); ok {
				a.notice(k, NotNeeded, "ginhotd builds outside your tree, in the user cache, so there is no tmp dir to exclude")
			}
		case "testdata_dir":
			if _, ok := a.str(k, v); ok {
				a.notice(k, NotNeeded, "testdata directories are never part of a Go build, so ginhotd never rebuilds for them")
			}
		case "build":
			if m, ok := a.table(k, v); ok {
				a.build(k, m)
			}
		case "proxy":
			if m, ok := a.table(k, v); ok {
				a.proxy(m)
			}
		case "screen":
			a.each(k, v, map[string]string{
				"clear_on_rebuild": "ginhotd prints one line per reload and never clears the screen",
				"keep_scroll":      "ginhotd never clears the screen",
			})
		case "misc":
			a.each(k, v, map[string]string{
				"clean_on_exit":  "ginhotd builds in its own cache directory, never in your tree, so there is nothing to clean there",
				"startup_banner": "ginhotd prints one line when it starts: what it serves and where",
			})
		case "env_files":
			if ss, ok := a.strings(k, v); ok {
				a.envFiles(k, ss)
			}
		case "log":
			const why = "ginhotd prints one line per event; log_format = \"json\" gives one JSON event per line"
			a.each(k, v, map[string]string{"time": why, "main_only": why, "silent": why, "add_time": why})
		case "color":
			a.eachAny(k, v, "ginhotd colours its output on a terminal; set NO_COLOR to turn colour off")
		default:
			a.unknown(k)
		}
	}
	a.finish()
	sort.SliceStable(c.Notices, func(i, j int) bool { return c.Notices[i].Line < c.Notices[j].Line })
	return d.err()
}

func (a *air) notice(key string, kind NoticeKind, msg string) {
	a.c.Notices = append(a.c.Notices, Notice{File: a.name, Line: a.line(key), Key: key, Kind: kind, Message: msg})
}

func (a *air) mapped(key, format string, args ...any) {
	a.notice(key, Mapped, "became "+fmt.Sprintf(format, args...))
}

// unknownKeyMessage is the notice of a key that is not air's.
const unknownKeyMessage = "not an air key ginhotd knows; ignored"

func (a *air) unknown(key string) {
	a.notice(key, Warning, unknownKeyMessage)
}

// each reports every key of the table at key as not needed, with the reason
// given for it; a key without a reason is unknown.
func (a *air) each(key string, v any, why map[string]string) {
	m, ok := a.table(key, v)
	if !ok {
		return
	}
	for _, k := range a.keysByLine(key, m) {
		p := key + "." + k
		if r, ok := why[k]; ok {
			a.notice(p, NotNeeded, r)
		} else {
			a.unknown(p)
		}
	}
}

// eachAny reports every key of the table at key as not needed, for one
// reason.
func (a *air) eachAny(key string, v any, why string) {
	m, ok := a.table(key, v)
	if !ok {
		return
	}
	for _, k := range a.keysByLine(key, m) {
		a.notice(key+"."+k, NotNeeded, why)
	}
}

// goosNames are the GOOS values air users write per-OS [build.*] tables for.
var goosNames = []string{"windows", "darwin", "linux", "freebsd", "openbsd", "netbsd"}

func (a *air) build(prefix string, m map[string]any) {
	var osTables []string
	for _, k := range a.keysByLine(prefix, m) {
		if slices.Contains(goosNames, k) {
			osTables = append(osTables, k)
			continue
		}
		a.buildKey(prefix+"."+k, k, m[k])
	}
	// A table for this OS overrides [build], as in air.
	for _, osName := range osTables {
		p := prefix + "." + osName
		t, ok := a.table(p, m[osName])
		if !ok {
			continue
		}
		if osName != runtime.GOOS {
			a.notice(p, NotNeeded, fmt.Sprintf("used on %s only; this is %s", osName, runtime.GOOS))
			continue
		}
		for _, k := range a.keysByLine(p, t) {
			a.buildKey(p+"."+k, k, t[k])
		}
	}
}

func (a *air) buildKey(p, k string, v any) {
	c := a.c
	switch k {
	case "cmd":
		if s, ok := a.str(p, v); ok {
			a.cmd, a.cmdKey = s, p
		}
	case "bin":
		if s, ok := a.str(p, v); ok {
			a.bin, a.binKey = s, p
		}
	case "full_bin":
		if s, ok := a.str(p, v); ok {
			a.fullBin, a.fullBinKey = s, p
		}
	case "entrypoint":
		s, ok := v.(string)
		if !ok {
			ss, isList := stringList(v)
			if !isList {
				a.problem(p, "want a string or an array of strings, found %s", describe(v))
				return
			}
			s = joinWords(ss)
		}
		a.entry, a.entryKey = s, p
	case "args_bin":
		if ss, ok := a.strings(p, v); ok {
			a.argsBin, a.argsKey = ss, p
		}
	case "pre_cmd":
		if ss, ok := a.nonEmpty(p, v); ok {
			a.preCmd, a.preCmdKey = ss, p
		}
	case "post_cmd":
		if _, ok := a.nonEmpty(p, v); ok {
			a.notice(p, Warning, "ginhotd runs no command when it stops; run it yourself after ginhotd exits")
		}
	case "include_ext":
		if ss, ok := a.strings(p, v); ok {
			a.includeExt, a.includeExtKey = ss, p
		}
	case "exclude_ext":
		if ss, ok := a.nonEmpty(p, v); ok {
			a.globs(p, ss, "exclude", func(e string) string { return "**/*." + strings.TrimPrefix(e, ".") })
		}
	case "include_dir":
		if ss, ok := a.strings(p, v); ok {
			a.includeDir, a.includeDirKey = ss, p
		}
	case "exclude_dir":
		if ss, ok := a.nonEmpty(p, v); ok {
			a.globs(p, ss, "exclude", func(d string) string { return strings.TrimSuffix(filepath.ToSlash(d), "/") + "/**" })
		}
	case "include_file":
		ss, ok := a.strings(p, v)
		if !ok {
			return
		}
		a.includeFile = ss
		var restart []string
		for _, f := range ss {
			if !strings.HasSuffix(f, ".go") {
				restart = append(restart, filepath.ToSlash(f))
			}
		}
		if len(restart) == 0 {
			a.notice(p, NotNeeded, whyEmpty(ss, "a .go file reaches the build through the import graph"))
			return
		}
		a.globs(p, restart, "restart", func(f string) string { return f })
	case "exclude_file":
		if ss, ok := a.nonEmpty(p, v); ok {
			a.globs(p, ss, "exclude", func(f string) string { return filepath.ToSlash(f) })
		}
	case "exclude_regex":
		if ss, ok := a.nonEmpty(p, v); ok {
			a.excludeRegex(p, ss)
		}
	case "exclude_unchanged", "follow_symlink", "stop_on_error", "rerun", "ignore_dangerous_root_dir":
		if _, ok := a.boolean(p, v); ok {
			a.notice(p, NotNeeded, builtInFlags[k])
		}
	case "delay":
		if dur, ok := a.airMillis(p, v); ok {
			a.delay(p, dur)
		}
	case "kill_delay":
		if dur, ok := a.airKillDelay(p, v); ok {
			unit := killDelayUnit(v)
			if unit != "" {
				unit = " (" + unit + ")"
			}
			if dur > 0 {
				c.KillTimeout = Duration(dur)
				a.mapped(p, "kill_timeout = %q%s", dur.String(), unit)
			} else {
				a.notice(p, NotNeeded, fmt.Sprintf("air waits no time; ginhotd keeps its kill_timeout = %q, the time an app gets to stop before SIGKILL", c.KillTimeout.D().String()))
			}
		}
	case "send_interrupt":
		if on, ok := a.boolean(p, v); ok {
			if on {
				c.StopSignal = "SIGINT"
				a.mapped(p, "stop_signal = \"SIGINT\"")
			} else {
				a.notice(p, NotNeeded, "ginhotd asks the app to stop with stop_signal (SIGTERM) and SIGKILLs it after kill_timeout")
			}
		}
	case "rerun_delay":
		if _, ok := a.airMillis(p, v); ok {
			a.notice(p, NotNeeded, "ginhotd restarts an exited app with its own backoff")
		}
	case "poll":
		if on, ok := a.boolean(p, v); ok {
			a.poll, a.pollKey = on, p
		}
	case "poll_interval":
		if dur, ok := a.airMillis(p, v); ok {
			a.pollInterval, a.pollIntervalK = dur, p
		}
	case "env_files":
		// air reads env_files at the top level; older ginhotd notes put it
		// in [build], and both mean the same files.
		if ss, ok := a.strings(p, v); ok {
			a.envFiles(p, ss)
		}
	case "log":
		if _, ok := a.str(p, v); ok {
			a.notice(p, NotNeeded, "build errors go to the terminal, the JSON log, the browser and the editor; there is no build log file")
		}
	case "rules":
		a.rules(p, v)
	default:
		a.unknown(p)
	}
}

// envFiles maps air's env_files: the .env files loaded before the app
// runs.
func (a *air) envFiles(p string, ss []string) {
	if len(ss) == 0 {
		a.notice(p, NotNeeded, "empty")
		return
	}
	a.c.EnvFiles = append(a.c.EnvFiles, ss...)
	a.mapped(p, "env_files = %s", tomlList(ss))
}

// delay maps air's build.delay. At air's default it is no choice of the
// user's (air init writes it, and air reads 0 as it), so ginhotd keeps its
// own debounce: it coalesces the saves that arrive together and cancels a
// build a newer save makes stale, where air waits out the whole delay
// before every build. Any other value is carried over.
func (a *air) delay(p string, dur time.Duration) {
	c := a.c
	if dur <= 0 || dur == airDefaultDelay {
		what := "1000 is air's default (what air init writes)"
		switch {
		case dur == 0:
			what = "0 means air's default, 1000"
		case dur < 0:
			what = "a negative delay makes air wait no time"
		}
		a.notice(p, NotNeeded, fmt.Sprintf("%s, not a choice: ginhotd keeps debounce = %q, as it coalesces saves and cancels a build a newer save makes stale; set debounce to change it",
			what, c.Debounce.D().String()))
		return
	}
	c.Debounce = Duration(dur)
	a.mapped(p, "debounce = %q (not air's default %d, so kept)", c.Debounce.D().String(), airDefaultDelay.Milliseconds())
}

// nonEmpty reads the string list v at p; an empty list is noted as not
// needed. It reports whether there is something left to convert.
func (a *air) nonEmpty(p string, v any) ([]string, bool) {
	ss, ok := a.strings(p, v)
	if !ok {
		return nil, false
	}
	if len(ss) == 0 {
		a.notice(p, NotNeeded, "empty")
		return nil, false
	}
	return ss, true
}

// globs appends globs made from ss, which is not empty, to the exclude or
// restart list.
func (a *air) globs(p string, ss []string, key string, glob func(string) string) {
	var gs []string
	for _, s := range ss {
		gs = append(gs, glob(a.rebase(strings.TrimPrefix(filepath.ToSlash(s), "./"))))
	}
	if key == "exclude" {
		a.c.Exclude = append(a.c.Exclude, gs...)
	} else {
		a.c.Restart = append(a.c.Restart, gs...)
	}
	a.mapped(p, "%s globs %s", key, tomlList(gs))
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
	if len(gs) > 0 {
		a.c.Exclude = append(a.c.Exclude, gs...)
	}
	switch {
	case len(left) > 0:
		a.notice(p, Warning, fmt.Sprintf("%s cannot be written as a glob; add exclude globs for them (converted: %s)", tomlList(left), tomlList(gs)))
	case len(gs) > 0:
		a.mapped(p, "exclude globs %s (test files never reach a build)", tomlList(gs))
	default:
		a.notice(p, NotNeeded, "test files are never part of a build")
	}
}

func (a *air) proxy(m map[string]any) {
	enabled := false
	for _, k := range a.keysByLine("proxy", m) {
		p := "proxy." + k
		v := m[k]
		switch k {
		case "enabled":
			if on, ok := a.boolean(p, v); ok {
				enabled = on
				if on {
					a.mapped(p, "proxy = true, live_reload = true (ginhotd's defaults; its proxy also swaps versions without dropping a request)")
				} else {
					a.notice(p, NotNeeded, "ginhotd proxies by default, so a reload drops no request; set proxy = false to let the app listen on addr itself")
				}
			}
		case "proxy_port":
			if port, ok := a.port(p, v); ok && port == 0 {
				a.notice(p, NotNeeded, "0 is unset")
			} else if ok {
				a.c.Addr = "127.0.0.1:" + strconv.FormatInt(port, 10)
				a.c.AddrSet = true
				a.mapped(p, "addr = %q", a.c.Addr)
			}
		case "app_port":
			if _, ok := a.port(p, v); ok {
				a.notice(p, NotNeeded, "behind the proxy ginhotd gives each version a free port in PORT")
			}
		case "app_start_timeout":
			if dur, ok := a.airMillis(p, v); ok {
				a.appStartTimeout(p, dur)
			}
		default:
			a.unknown(p)
		}
	}
	if enabled {
		a.c.Proxy, a.c.LiveReload = true, true
	}
}

// appStartTimeout maps proxy.app_start_timeout, how long air's proxy
// retries a request while the app is not up, to hold_timeout, how long
// ginhotd's proxy holds it while no version is ready. 0 is air's default
// of 5 s, which is no choice of the user's.
func (a *air) appStartTimeout(p string, dur time.Duration) {
	c := a.c
	switch {
	case dur == 0:
		a.notice(p, NotNeeded, fmt.Sprintf("0 means air's default, %s; ginhotd keeps hold_timeout = %q, as its proxy holds a request through a whole build", airDefaultAppStartTimeout, c.HoldTimeout.D().String()))
	case dur < 0:
		a.notice(p, NotNeeded, fmt.Sprintf("a negative timeout makes air's proxy fail at once; ginhotd keeps hold_timeout = %q", c.HoldTimeout.D().String()))
	default:
		c.HoldTimeout = Duration(dur)
		a.mapped(p, "hold_timeout = %q, how long the proxy holds a request while no version is ready", dur.String())
	}
}

func (a *air) port(p string, v any) (int64, bool) {
	n, ok := v.(int64)
	if !ok || n < 0 || n > 65535 {
		a.problem(p, "want a port number from 1 to 65535 (0: unset), found %s", describe(v))
		return 0, false
	}
	return n, true
}

// rules maps [[build.rules]] to generator steps whose inputs are the
// rule's patterns.
func (a *air) rules(p string, v any) {
	arr, ok := v.([]any)
	if !ok {
		a.problem(p, "want an array of tables ([[build.rules]]), found %s", describe(v))
		return
	}
	for i, e := range arr {
		rp := p + "." + strconv.Itoa(i)
		m, ok := a.table(rp, e)
		if !ok {
			continue
		}
		var g Generate
		var dirs, exts, files []string
		for _, k := range a.keysByLine(rp, m) {
			kp := rp + "." + k
			switch k {
			case "name":
				a.str(kp, m[k])
			case "cmd":
				g.Run, _ = a.str(kp, m[k])
			case "include_dir":
				dirs, _ = a.strings(kp, m[k])
			case "include_ext":
				exts, _ = a.strings(kp, m[k])
			case "include_file":
				files, _ = a.strings(kp, m[k])
			case "delay":
				if _, ok := a.airMillis(kp, m[k]); ok {
					a.notice(kp, NotNeeded, "a step runs after ginhotd's debounce")
				}
			case "exclude_regex":
				if res, ok := a.strings(kp, m[k]); ok {
					g.Outputs = a.ruleExcludes(kp, res)
				}
			default:
				a.unknown(kp)
			}
		}
		if strings.TrimSpace(g.Run) == "" {
			a.problem(rp, "a rule needs cmd, the command to run")
			continue
		}
		g.Inputs = ruleInputs(dirs, exts, files)
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

// finish maps the keys that depend on each other: cmd, bin, full_bin,
// entrypoint, args_bin, include_ext, poll and poll_interval.
func (a *air) finish() {
	c := a.c
	if a.preCmdKey != "" {
		a.preCmds()
	}
	if a.cmdKey != "" {
		a.buildCmd()
	}
	if a.includeDirKey != "" {
		a.includeDirs()
	}
	// full_bin wins over entrypoint, as in air.
	switch {
	case strings.TrimSpace(a.fullBin) != "":
		a.run, a.runKey = a.fullBin, a.fullBinKey
		if a.entryKey != "" {
			a.notice(a.entryKey, NotNeeded, "full_bin is set and wins, as in air")
		}
	case strings.TrimSpace(a.entry) != "":
		a.run, a.runKey = a.entry, a.entryKey
	}
	if a.fullBinKey != "" && a.fullBinKey != a.runKey {
		a.notice(a.fullBinKey, NotNeeded, "empty")
	}
	if a.entryKey != "" && a.entryKey != a.runKey && a.runKey == "" {
		a.notice(a.entryKey, NotNeeded, "empty")
	}
	var runArgs []string
	if a.runKey != "" {
		runArgs = a.runCommand()
	}
	if a.binKey != "" {
		switch {
		case c.BuildCmd != "" && c.Bin == "":
			c.Bin = a.bin
			a.mapped(a.binKey, "bin = %q, the binary build_cmd writes", a.bin)
		case c.BuildCmd != "":
			a.notice(a.binKey, NotNeeded, fmt.Sprintf("the binary is %q, from %s", c.Bin, a.runKey))
		default:
			a.notice(a.binKey, NotNeeded, "ginhotd builds each version to a fresh path of its own")
		}
	}
	if c.BuildCmd != "" && c.Bin == "" {
		c.Bin = airDefaultBin
		a.notice(a.cmdKey, Warning, fmt.Sprintf("no bin is set; assuming air's default %q", airDefaultBin))
	}
	if len(runArgs) > 0 || a.argsKey != "" {
		c.Args = append(append(c.Args, runArgs...), a.argsBin...)
	}
	if a.argsKey != "" {
		if len(a.argsBin) == 0 {
			a.notice(a.argsKey, NotNeeded, "empty")
		} else {
			a.mapped(a.argsKey, "args = %s", tomlList(c.Args))
		}
	}
	if a.includeExtKey != "" {
		a.includeExts()
	}
	a.keepOutputsWatched()
	switch {
	case a.pollKey != "" && a.poll:
		iv := max(a.pollInterval, airMinPollInterval)
		c.Poll = iv.String()
		a.mapped(a.pollKey, "poll = %q", iv.String())
	case a.pollKey != "":
		a.notice(a.pollKey, NotNeeded, "ginhotd uses file system events, and polls by itself the mounts that deliver none")
	}
	if a.pollIntervalK != "" {
		switch {
		case a.poll && a.pollInterval < airMinPollInterval:
			a.notice(a.pollIntervalK, Mapped, fmt.Sprintf("became part of poll: air polls at least every %s, so %s is read as that", airMinPollInterval, a.pollInterval))
		case a.poll:
			a.notice(a.pollIntervalK, Mapped, "became part of poll")
		default:
			a.notice(a.pollIntervalK, NotNeeded, "air polls only with poll = true")
		}
	}
}

// keepOutputsWatched drops exclude globs that hide what a generator step
// writes. air users exclude generated files (_templ.go) to stop reload
// loops; ginhotd must see them to decide whether to build, and a step never
// re-runs for its own outputs.
func (a *air) keepOutputsWatched() {
	c := a.c
	var dropped []string
	c.Exclude = slices.DeleteFunc(c.Exclude, func(g string) bool {
		for _, step := range c.Generate {
			if slices.Contains(step.Outputs, g) {
				dropped = append(dropped, g)
				return true
			}
		}
		return false
	})
	for _, g := range dropped {
		for i, n := range c.Notices {
			if n.Kind == Mapped && strings.Contains(n.Message, strconv.Quote(g)) && strings.Contains(n.Message, "exclude globs") {
				c.Notices[i].Message += fmt.Sprintf("; %q is not excluded: it is what a [[generate]] step writes, and ginhotd decides on it (a step never re-runs for its own outputs)", g)
			}
		}
	}
}

func (a *air) includeExts() {
	c := a.c
	var added, covered []string
	for _, e := range a.includeExt {
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
		a.notice(a.includeExtKey, Mapped, "became "+msg)
	} else {
		a.notice(a.includeExtKey, NotNeeded, whyEmpty(a.includeExt, msg))
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
		if len(a.c.Generate[i].Inputs) > 0 && len(a.includeDir) > 0 {
			a.notice(a.includeDirKey, Mapped, "became the directories of the inputs of "+strconv.Quote(a.c.Generate[i].Run)+"; for the build, "+why)
			return
		}
	}
	a.notice(a.includeDirKey, NotNeeded, whyEmpty(a.includeDir, why))
}

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
	p := a.cmdKey
	parts, ok := splitCommands(a.cmd)
	if !ok {
		if strings.TrimSpace(a.cmd) == "" {
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
	for _, run := range a.preCmd {
		said = append(said, a.step(run))
	}
	a.notice(a.preCmdKey, Mapped, "became "+strings.Join(said, "; "))
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
	if a.includeExtKey != "" {
		exts = a.includeExt
	}
	dirs := []string{""}
	if len(a.includeDir) > 0 {
		dirs = nil
		for _, d := range a.includeDir {
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
	for _, f := range a.includeFile {
		if f = a.rebase(strings.TrimPrefix(filepath.ToSlash(f), "./")); f != "" && !strings.HasSuffix(f, ".go") {
			add(f)
		}
	}
	return globs
}

// custom makes the whole cmd the build command.
func (a *air) custom(needsShell bool) {
	c := a.c
	c.BuildCmd = a.cmd
	if needsShell {
		c.BuildCmd = "sh -c " + shellQuote(a.cmd)
	}
	a.mapped(a.cmdKey, "build_cmd = %q (ginhotd cannot take it apart; the import graph still decides when it runs)", c.BuildCmd)
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

// runCommand maps full_bin or entrypoint: leading NAME=value words become
// app env, the words after the binary app args. It returns the args.
func (a *air) runCommand() []string {
	c := a.c
	p := a.runKey
	words, err := SplitWords(a.run)
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

// tomlList writes ss as a TOML array of strings.
func tomlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// joinWords joins words into a command line that SplitWords splits back.
func joinWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (d *doc) strings(path string, v any) ([]string, bool) {
	ss, ok := stringList(v)
	if !ok {
		d.problem(path, "want an array of strings, found %s", describe(v))
	}
	return ss, ok
}

func (d *doc) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.problem(path, "want a string, found %s", describe(v))
	}
	return s, ok
}

func (d *doc) boolean(path string, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		d.problem(path, "want a boolean (true or false), found %s", describe(v))
	}
	return b, ok
}

func (d *doc) table(path string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.problem(path, "want a table ([%s]), found %s", path, describe(v))
	}
	return m, ok
}
