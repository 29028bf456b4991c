package config

import (
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

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
	// b is [build] with this OS's table over it: the keys that depend on
	// each other are mapped from it.
	b airBuildKeys
	// scripts are the indices in c.Generate of the steps made from
	// commands ginhotd knows nothing of ("yarn build:css", "make
	// assets"): they take air's watched files as their inputs.
	scripts []int
}

// applyAir maps air's config onto c. Every key present gets one [Notice]
// in c.Notices, in the order of the file; a wrong type is an error, an
// unknown key a warning.
func (c *Config) applyAir(b []byte, name string) error {
	d, err := parseDoc(b, name)
	if err != nil {
		return err
	}
	a := &air{doc: d, c: c}
	d.lenient = a.unknownKey
	var f airFile
	d.decodeStruct("", d.root, reflect.ValueOf(&f).Elem())
	a.resolve(&f)
	sort.SliceStable(c.Notices, func(i, j int) bool { return c.Notices[i].Line < c.Notices[j].Line })
	return d.err()
}

// resolve maps f onto the config. The keys of each of [build] and this
// OS's table map on their own; then the keys that depend on each other,
// from [build] with this OS's table over it: the steps of pre_cmd and cmd
// (which take the files air watched as inputs), the binary and its
// arguments, include_ext (which a step's inputs may cover), the excludes
// (which keep what a step writes watched), and polling.
func (a *air) resolve(f *airFile) {
	a.root(f.Root)
	a.envFiles(f.EnvFiles)
	tables := f.Build.tables()
	for _, t := range tables {
		a.envFiles(t.EnvFiles)
		a.timing(t)
		a.emptyOrWarn(t.Common.PostCmd, "ginhotd runs no command when it stops; run it yourself after ginhotd exits")
		a.emptyOrWarn(t.Common.PreCmd, "")
		a.includeFile(t.IncludeFile)
		a.rules(t.Rules)
	}
	for _, o := range f.Build.osTables() {
		if o.Path != "" && o.Keys == nil {
			a.notice(o.Path, NotNeeded, fmt.Sprintf("used on %s only; this is %s", path.Ext(o.Path)[1:], runtime.GOOS))
		}
	}
	a.proxy(f)
	airSetPaths(reflect.ValueOf(f).Elem(), a.notNeeded)

	a.b = f.Build.effective()
	if len(a.b.Common.PreCmd.V) > 0 {
		a.preCmds()
	}
	if a.b.Common.Cmd.set() {
		a.buildCmd()
	}
	if a.b.IncludeDir.set() {
		a.includeDirs()
	}
	a.binary()
	if a.b.IncludeExt.set() {
		a.includeExts()
	}
	for _, t := range tables {
		a.excludes(t)
	}
	a.poll()
}

func (a *air) notice(key string, kind NoticeKind, msg string) {
	a.c.Notices = append(a.c.Notices, Notice{File: a.name, Line: a.line(key), Key: key, Kind: kind, Message: msg})
}

func (a *air) mapped(key, format string, args ...any) {
	a.notice(key, Mapped, "became "+fmt.Sprintf(format, args...))
}

// unknownKeyMessage is the notice of a key that is not air's.
const unknownKeyMessage = "not an air key ginhotd knows; ignored"

// unknownKey answers a key that is not in [airFile]: as not needed when
// its table is (any key of [color]), else as unknown.
func (a *air) unknownKey(p string) {
	if why, ok := airAnswer(p); ok {
		a.notice(p, NotNeeded, why)
		return
	}
	a.notice(p, Warning, unknownKeyMessage)
}

// notNeeded answers the key at p when [airNotNeeded] does.
func (a *air) notNeeded(p string) {
	if why, ok := airAnswer(p); ok {
		a.notice(p, NotNeeded, why)
	}
}

// emptyOrWarn notes the list k as empty, or, when it is not and warning
// is not "", says with the warning what ginhotd cannot do.
func (a *air) emptyOrWarn(k airKey[[]string], warning string) {
	switch {
	case !k.set():
	case len(k.V) == 0:
		a.notice(k.Path, NotNeeded, "empty")
	case warning != "":
		a.notice(k.Path, Warning, warning)
	}
}

func (a *air) root(k airKey[string]) {
	switch {
	case !k.set():
	case path.Clean(filepath.ToSlash(k.V)) == ".":
		a.notice(k.Path, NotNeeded, "ginhotd watches the module root (the directory with go.mod or go.work)")
	default:
		a.notice(k.Path, Warning, fmt.Sprintf("ginhotd watches the module root, not %q: run ginhotd in the module you want served", k.V))
	}
}

// envFiles maps air's env_files: the .env files loaded before the app
// runs.
func (a *air) envFiles(k airKey[[]string]) {
	switch {
	case !k.set():
	case len(k.V) == 0:
		a.notice(k.Path, NotNeeded, "empty")
	default:
		a.c.EnvFiles = append(a.c.EnvFiles, k.V...)
		a.mapped(k.Path, "env_files = %s", tomlList(k.V))
	}
}

// timing maps one table's delay, kill_delay and send_interrupt.
func (a *air) timing(t *airBuildKeys) {
	c := a.c
	if t.Delay.set() {
		a.delay(t.Delay.Path, t.Delay.V.D())
	}
	if k := t.KillDelay; k.set() {
		unit := k.V.Unit
		if unit != "" {
			unit = " (" + unit + ")"
		}
		if k.V.D > 0 {
			c.KillTimeout = Duration(k.V.D)
			a.mapped(k.Path, "kill_timeout = %q%s", k.V.D.String(), unit)
		} else {
			a.notice(k.Path, NotNeeded, fmt.Sprintf("air waits no time; ginhotd keeps its kill_timeout = %q, the time an app gets to stop before SIGKILL", c.KillTimeout.D().String()))
		}
	}
	if k := t.SendInterrupt; k.set() && k.V {
		c.StopSignal = "SIGINT"
		a.mapped(k.Path, "stop_signal = \"SIGINT\"")
	} else if k.set() {
		a.notice(k.Path, NotNeeded, "ginhotd asks the app to stop with stop_signal (SIGTERM) and SIGKILLs it after kill_timeout")
	}
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

// proxy maps [proxy].
func (a *air) proxy(f *airFile) {
	p := &f.Proxy
	if k := p.Enabled; k.set() && k.V {
		a.c.Proxy, a.c.LiveReload = true, true
		a.mapped(k.Path, "proxy = true, live_reload = true (ginhotd's defaults; its proxy also swaps versions without dropping a request)")
	} else if k.set() {
		a.notice(k.Path, NotNeeded, "ginhotd proxies by default, so a reload drops no request; set proxy = false to let the app listen on addr itself")
	}
	if k := p.ProxyPort; k.set() && k.V == 0 {
		a.notice(k.Path, NotNeeded, "0 is unset")
	} else if k.set() {
		a.c.Addr = "127.0.0.1:" + strconv.FormatInt(int64(k.V), 10)
		a.c.AddrSet = true
		a.mapped(k.Path, "addr = %q", a.c.Addr)
	}
	if k := p.AppStartTimeout; k.set() {
		a.appStartTimeout(k.Path, k.V.D())
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

// binary maps what air runs: full_bin, which wins over entrypoint as in
// air, or entrypoint; bin; and args_bin after the command's own args.
func (a *air) binary() {
	c, b := a.c, &a.b.Common
	var run airKey[string]
	switch {
	case strings.TrimSpace(b.FullBin.V) != "":
		run = b.FullBin
		if b.Entrypoint.set() {
			a.notice(b.Entrypoint.Path, NotNeeded, "full_bin is set and wins, as in air")
		}
	case strings.TrimSpace(string(b.Entrypoint.V)) != "":
		run = airKey[string]{Path: b.Entrypoint.Path, V: string(b.Entrypoint.V)}
	}
	if b.FullBin.set() && b.FullBin.Path != run.Path {
		a.notice(b.FullBin.Path, NotNeeded, "empty")
	}
	if b.Entrypoint.set() && !run.set() {
		a.notice(b.Entrypoint.Path, NotNeeded, "empty")
	}
	var runArgs []string
	if run.set() {
		runArgs = a.runCommand(run.Path, run.V)
	}
	if b.Bin.set() {
		switch {
		case c.BuildCmd != "" && c.Bin == "":
			c.Bin = b.Bin.V
			a.mapped(b.Bin.Path, "bin = %q, the binary build_cmd writes", b.Bin.V)
		case c.BuildCmd != "":
			a.notice(b.Bin.Path, NotNeeded, fmt.Sprintf("the binary is %q, from %s", c.Bin, run.Path))
		default:
			a.notice(b.Bin.Path, NotNeeded, "ginhotd builds each version to a fresh path of its own")
		}
	}
	if c.BuildCmd != "" && c.Bin == "" {
		c.Bin = airDefaultBin
		a.notice(b.Cmd.Path, Warning, fmt.Sprintf("no bin is set; assuming air's default %q", airDefaultBin))
	}
	if len(runArgs) > 0 || b.ArgsBin.set() {
		c.Args = append(append(c.Args, runArgs...), b.ArgsBin.V...)
	}
	switch {
	case !b.ArgsBin.set():
	case len(b.ArgsBin.V) == 0:
		a.notice(b.ArgsBin.Path, NotNeeded, "empty")
	default:
		a.mapped(b.ArgsBin.Path, "args = %s", tomlList(c.Args))
	}
}

// poll maps poll and poll_interval: air polls at poll_interval, at least
// every airMinPollInterval, when poll is true.
func (a *air) poll() {
	poll, iv := a.b.Poll, a.b.PollInterval
	switch {
	case poll.set() && poll.V:
		every := max(iv.V.D(), airMinPollInterval)
		a.c.Poll = every.String()
		a.mapped(poll.Path, "poll = %q", every.String())
	case poll.set():
		a.notice(poll.Path, NotNeeded, "ginhotd uses file system events, and polls by itself the mounts that deliver none")
	}
	switch {
	case !iv.set():
	case poll.V && iv.V.D() < airMinPollInterval:
		a.notice(iv.Path, Mapped, fmt.Sprintf("became part of poll: air polls at least every %s, so %s is read as that", airMinPollInterval, iv.V.D()))
	case poll.V:
		a.notice(iv.Path, Mapped, "became part of poll")
	default:
		a.notice(iv.Path, NotNeeded, "air polls only with poll = true")
	}
}
