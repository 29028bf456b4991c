package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/proxy"
	"github.com/ginhotd/ginhotd/daemon/run"
	"github.com/ginhotd/ginhotd/daemon/watch"

	"github.com/bmatcuk/doublestar/v4"
)

// FileName is the name of the config file looked up at the workspace root.
const FileName = "ginhot.toml"

// Config holds every setting of one session. The zero value is not useful:
// start from [Default].
type Config struct {
	// Dir is the workspace root (the directory holding go.mod or go.work),
	// absolute and with symbolic links resolved: the go command, the file
	// watcher and the build all see the real path.
	Dir string `toml:"-"`
	// Named is the workspace root as the user named it, when that differs
	// from Dir by symbolic links (`ginhotd run link` with link → real);
	// "" otherwise. See [Config.Real].
	Named string `toml:"-"`
	// File is the config file that was read, if any.
	File string `toml:"-"`

	// AddrAuto is set by [Load] when Addr is ginhotd's default, not chosen
	// by the user in the config file or an override: the session may then
	// serve on the next free port when the default one is taken. An
	// address the user chose is used as it is, or not at all.
	AddrAuto bool `toml:"-"`

	// Addr is the public address of the app: the proxy's, or the app's
	// own with proxy = false. With several targets, each further target
	// gets the next free port and keeps it for the session. Port 0 lets the
	// kernel choose; the URL appears in ginhot/status. The default moves
	// to the next free port when it is taken (announced); an address you
	// give never moves.
	Addr string `toml:"addr" flag:"addr" trust:"safe"`
	// Targets are the main packages to run, as import paths or ./dir.
	Targets []string `toml:"targets" flag:"target" trust:"safe" default:"every main that imports Gin, else the only net/http main"`
	// Debounce is the quiet window that coalesces file events into one
	// change set.
	Debounce Duration `toml:"debounce" flag:"debounce" trust:"safe"`
	// Poll chooses how the watcher polls: "auto" polls, in addition to
	// inotify, only the subtrees on file systems that deliver no events for
	// changes made outside this machine (Docker Desktop and WSL mounts,
	// FUSE, NFS, SMB); a duration such as "500ms" polls the whole tree at
	// that interval instead of using inotify ("0s" means "auto"); "off"
	// never polls.
	Poll string `toml:"poll" flag:"poll" trust:"safe"`
	// Proxy serves the app through ginhotd's reverse proxy, for swaps that
	// drop no request. With false (--no-proxy) the app listens on addr
	// itself, and a reload is stop, port free, start.
	Proxy bool `toml:"proxy" flag:"no-proxy" trust:"safe"`
	// LiveReload refreshes browsers after each swap and shows an error
	// overlay on a failed build, in proxy mode. The proxy injects a
	// reload script into HTML responses.
	LiveReload bool `toml:"live_reload" flag:"live-reload" trust:"safe"`
	// SocketActivation has ginhotd own the listening socket and pass it to
	// the app as fd 3 (LISTEN_FDS).
	SocketActivation bool `toml:"socket_activation" flag:"socket-activation" trust:"safe"`

	// BuildFlags are extra go build flags.
	BuildFlags []string `toml:"build_flags" trust:"program"`
	// Tags are the build tags (go build -tags).
	Tags []string `toml:"tags" trust:"safe"`
	// LDFlags are the flags of go build -ldflags.
	LDFlags string `toml:"ldflags" trust:"program"`
	// Strip links dev builds with -s -w, for faster links; false for
	// debuggers.
	Strip bool `toml:"strip" flag:"strip" trust:"safe"`
	// Cgo keeps cgo on even when no package in a target's graph uses it.
	// By default a dev build skips cgo when nothing needs it.
	Cgo bool `toml:"cgo" trust:"safe"`
	// Speculate is the pause in typing after which an editor's unsaved
	// buffers are built, ahead of the save; "off" turns it off. The pause
	// is counted from the last LSP didChange; the build (go build
	// -overlay, nice 19) never starts the app, is never reported as a
	// failure, and waits while a Go buffer does not parse.
	Speculate string `toml:"speculate" flag:"speculate" trust:"safe"`
	// BuildEnv is the environment of go build, as NAME=value entries.
	BuildEnv []string `toml:"build_env" trust:"program"`

	// Args are the app's arguments.
	Args []string `toml:"args" trust:"safe"`
	// Env is the app's environment, as NAME=value entries; it wins over
	// env_files.
	Env []string `toml:"env" trust:"program"`
	// Exclude are globs of paths never watched. They add to .gitignore
	// files (up to the repository's top) and .git/info/exclude.
	Exclude []string `toml:"exclude" trust:"safe"`
	// Restart are globs of files the app reads at run time: a change
	// restarts it without a build.
	Restart []string `toml:"restart" trust:"safe"`
	// StopSignal is the signal that asks the app to stop: SIGTERM, SIGINT,
	// SIGQUIT, SIGHUP or SIGKILL.
	StopSignal string `toml:"stop_signal" flag:"stop-signal" trust:"safe"`
	// KillTimeout is how long a stopping app may take before SIGKILL of
	// its process group.
	KillTimeout Duration `toml:"kill_timeout" flag:"kill-timeout" trust:"safe"`
	// StartTimeout is how long a new version may take to listen.
	StartTimeout Duration `toml:"start_timeout" flag:"start-timeout" trust:"safe"`
	// HoldTimeout is how long the proxy holds requests while no version
	// is ready.
	HoldTimeout Duration `toml:"hold_timeout" trust:"safe"`
	// DrainTimeout is how long an old version may finish its in-flight
	// requests.
	DrainTimeout Duration `toml:"drain_timeout" trust:"safe"`

	// Diagnostics chooses which build errors become LSP diagnostics: "all"
	// or "complement". With "complement", only what gopls cannot see is
	// reported: link errors, start-up panics, errors in other modules.
	Diagnostics string `toml:"diagnostics" flag:"diagnostics" trust:"safe"`
	// LogFormat is the output of ginhotd run: "text" or "json". JSON is one
	// event per line on stdout; it has no effect over LSP.
	LogFormat string `toml:"log_format" flag:"log-format" trust:"safe"`

	// PathMap maps the editor's paths to the daemon's, for an editor
	// outside a container talking to ginhotd inside it
	// ({ "/Users/me/app" = "/app" }). It is a setting of the LSP
	// connection: it comes from initializationOptions or --path-map, never
	// from a config file, which the daemon finds only through the mapped
	// path.
	PathMap map[string]string `toml:"path_map" flag:"path-map" trust:"program"`

	// Debug builds each version for a debugger and runs it under Delve
	// (dlv exec --headless); the session announces each version's
	// address. It runs the dlv found on PATH or in GOBIN, not a program
	// the settings name.
	Debug bool `toml:"debug" flag:"debug" trust:"safe"`
	// DebugWait starts each debug version halted before main (no
	// --continue), until a debugger client attaches and continues.
	DebugWait bool `toml:"debug_wait" flag:"debug-wait" trust:"safe"`

	// Generate are the generator steps ([[generate]]), run in the module
	// root before the first build and when one of their inputs changes.
	Generate []Generate `toml:"generate" trust:"program"`
	// GoGenerate runs a package's //go:generate lines when one of its
	// files changes.
	GoGenerate bool `toml:"go_generate" trust:"program"`
	// EnvFiles are .env files loaded into the app's environment at each
	// version start, later files winning; a file that does not exist is
	// skipped.
	EnvFiles []string `toml:"env_files" trust:"program"`
	// BuildCmd replaces go build with a command ginhotd cannot take apart
	// ("make build"); it must write bin.
	BuildCmd string `toml:"build_cmd" trust:"program"`
	// Bin is the binary build_cmd writes, relative to the module root.
	Bin string `toml:"bin" trust:"program"`

	// Notices say what became of each key of an .air.toml that was read;
	// the caller prints them.
	Notices []Notice `toml:"-"`

	// AddrSet reports that the config file or the overrides chose Addr;
	// otherwise it is the default, which [Config.ForContainer] may change.
	AddrSet bool `toml:"-"`
}

// DefaultGenerateTimeout is how long a generator step may run when its
// timeout is not set.
const DefaultGenerateTimeout = 60 * time.Second

// Generate is one generator step. A step with inputs runs when one of them
// changes; a step without inputs runs before every build. Every step runs
// once before the first build.
type Generate struct {
	// Run is the command, run in the module root: split into words like
	// a shell does (quotes, backslashes) but not run by one.
	Run string `toml:"run" trust:"program"`
	// Inputs are globs relative to the module root (doublestar syntax): a
	// change to one runs the step. A step without inputs runs before
	// every build.
	Inputs []string `toml:"inputs" trust:"safe"`
	// Outputs are globs of what the step writes; a change to them never
	// runs the step again.
	Outputs []string `toml:"outputs" trust:"safe"`
	// Timeout is how long the step may run before its process group is
	// killed.
	Timeout Duration `toml:"timeout" trust:"safe"`
}

// Default returns the settings that work for a standard Gin layout.
func Default() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		Debounce:     Duration(watch.DefaultDebounce),
		Poll:         "auto",
		Proxy:        true,
		LiveReload:   true,
		Strip:        true,
		Restart:      analysis.DefaultRestartGlobs(),
		StopSignal:   "SIGTERM",
		Speculate:    "200ms",
		KillTimeout:  Duration(run.DefaultKillTimeout),
		StartTimeout: Duration(15 * time.Second),
		HoldTimeout:  Duration(proxy.DefaultHoldTimeout),
		DrainTimeout: Duration(10 * time.Second),
		Diagnostics:  "all",
		LogFormat:    "text",
	}
}

// Load reads the configuration for the workspace at dir: defaults, then the
// config file (file if non-empty, else dir/ginhot.toml, else air's
// .air.toml or .config/air.toml in dir or above it, see [FindAirFile]),
// then overrides (flags or initializationOptions, keyed by TOML name). A
// fault is an [*Error].
func Load(dir, file string, overrides map[string]any) (Config, error) {
	c := Default()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	c.Dir = abs
	// The root is resolved once, here, where the workspace is opened: a
	// walk does not descend into a symbolic link, and the go command
	// reports real paths.
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		c.Dir, c.Named = real, abs
	}
	c.Addr = "" // the default unless the file or an override sets one
	if err := c.readFile(file); err != nil {
		return c, err
	}
	if c.PathMap != nil {
		return c, fmt.Errorf("config: %s: path_map belongs in the editor's initializationOptions or in --path-map: the daemon finds this file only through the mapped path", c.File)
	}
	if _, ok := overrides["addr"]; ok {
		c.AddrSet = true
	}
	if len(overrides) > 0 {
		d := settingsDoc(overrides)
		d.decodeStruct("", d.root, reflect.ValueOf(&c).Elem())
		if err := d.err(); err != nil {
			return c, err
		}
	}
	if c.AddrAuto = c.Addr == ""; c.AddrAuto {
		c.Addr = Default().Addr
	}
	for i := range c.Generate {
		if c.Generate[i].Timeout == 0 {
			c.Generate[i].Timeout = Duration(DefaultGenerateTimeout)
		}
	}
	return c, c.validate()
}

func (c *Config) readFile(file string) error {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(c.Dir, FileName)
	}
	b, err := os.ReadFile(file)
	switch {
	case err == nil && isAirFile(file):
		c.File = file
		return c.applyAir(b, file)
	case err == nil:
		c.File = file
		return c.decode(b, file)
	case !errors.Is(err, os.ErrNotExist) || explicit:
		return fmt.Errorf("config: %w", err)
	}
	root := c.Dir
	if c.Named != "" {
		root = c.Named
	}
	air, b, err := findAirFile(root)
	if err != nil || air == "" {
		return err
	}
	c.File = air
	return c.applyAir(b, air)
}

// Real returns the absolute path in terms of Dir: a path under Named is
// moved under Dir, and a path that reaches Dir through another symbolic
// link is resolved (its directory, when the file itself is gone). Other
// paths are returned unchanged.
func (c Config) Real(path string) string {
	if p := movePath(path, c.Named, c.Dir); p != path {
		return p
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		dir, derr := filepath.EvalSymlinks(filepath.Dir(path))
		if derr != nil {
			return path
		}
		real = filepath.Join(dir, filepath.Base(path))
	}
	if _, ok := relUnder(c.Dir, real); ok {
		return real
	}
	return path
}

// movePath moves path from under dir to under to; it returns path when
// either is empty or path is not under dir.
func movePath(path, dir, to string) string {
	if dir == "" || to == "" {
		return path
	}
	rel, ok := relUnder(dir, path)
	if !ok {
		return path
	}
	return filepath.Join(to, rel)
}

// relUnder returns path relative to dir when path is dir or lies below it.
func relUnder(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// FindAirFile returns the air config for the module at dir: the first of
// [AirFiles] in dir, else in the directories above it up to the repository
// root (the nearest directory holding .git), where a monorepo keeps the
// .air.toml for a module in a subdirectory; "" when there is none. Without
// a repository root above dir, only dir is looked at. A file that exists
// but cannot be read is an error; the path is returned with it.
func FindAirFile(dir string) (string, error) {
	air, _, err := findAirFile(dir)
	return air, err
}

// findAirFile is [FindAirFile], also returning the file's content.
func findAirFile(dir string) (string, []byte, error) {
	repo := repoRoot(dir)
	for d := dir; ; d = filepath.Dir(d) {
		if air, b, err := readAirFile(d); air != "" || err != nil {
			return air, b, err
		}
		if repo == "" || d == repo {
			return "", nil, nil
		}
	}
}

// repoRoot returns dir or the nearest directory above it that holds .git,
// or "" when there is none.
func repoRoot(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// readAirFile reads the first of [AirFiles] in dir. A name that does not
// exist, or whose directory is a file, is skipped; it returns "" when none is
// left.
func readAirFile(dir string) (string, []byte, error) {
	for _, name := range AirFiles {
		air := filepath.Join(dir, name)
		b, err := os.ReadFile(air)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return air, nil, fmt.Errorf("config: %w", err)
		}
		return air, b, nil
	}
	return "", nil, nil
}

// decode decodes a ginhot.toml strictly onto c: an unknown key or a value of
// the wrong type is an error naming the file, line and key.
func (c *Config) decode(b []byte, name string) error {
	d, err := parseDoc(b, name)
	if err != nil {
		return err
	}
	_, c.AddrSet = d.root["addr"]
	d.decodeStruct("", d.root, reflect.ValueOf(c).Elem())
	return d.err()
}

func (c *Config) validate() error {
	if c.Diagnostics != "all" && c.Diagnostics != "complement" {
		return fmt.Errorf("config: diagnostics must be \"all\" or \"complement\", not %q", c.Diagnostics)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log_format must be \"text\" or \"json\", not %q", c.LogFormat)
	}
	if _, err := c.Signal(); err != nil {
		return err
	}
	if _, err := c.SpeculateDelay(); err != nil {
		return err
	}
	if c.Poll != "auto" && c.Poll != "off" {
		if _, err := parseDuration(c.Poll); err != nil {
			return fmt.Errorf("config: poll: %w (or \"auto\" or \"off\")", err)
		}
	}
	for i, g := range c.Generate {
		where := fmt.Sprintf("[[generate]] #%d", i+1)
		if strings.TrimSpace(g.Run) == "" {
			return fmt.Errorf("config: %s: run is empty: give the command to run", where)
		}
		if _, err := SplitWords(g.Run); err != nil {
			return fmt.Errorf("config: %s: run %q: %w", where, g.Run, err)
		}
		for _, key := range []struct {
			name  string
			globs []string
		}{{"inputs", g.Inputs}, {"outputs", g.Outputs}} {
			for _, glob := range key.globs {
				if err := checkGlob(glob); err != nil {
					return fmt.Errorf("config: %s: %s: %w", where, key.name, err)
				}
			}
		}
	}
	for _, f := range c.EnvFiles {
		if strings.TrimSpace(f) == "" {
			return errors.New("config: env_files: an empty file name")
		}
	}
	switch {
	case c.BuildCmd != "" && c.Bin == "":
		return errors.New("config: build_cmd needs bin, the path of the binary it writes")
	case c.Bin != "" && c.BuildCmd == "":
		return errors.New("config: bin is the binary build_cmd writes: set build_cmd too, or drop bin")
	}
	if c.BuildCmd != "" {
		if _, err := SplitWords(c.BuildCmd); err != nil {
			return fmt.Errorf("config: build_cmd %q: %w", c.BuildCmd, err)
		}
	}
	return nil
}

// checkGlob accepts a doublestar glob that stays inside the module.
func checkGlob(glob string) error {
	switch {
	case glob == "":
		return errors.New("an empty glob")
	case filepath.IsAbs(glob) || strings.HasPrefix(glob, "/"):
		return fmt.Errorf("%q: must be relative to the module root", glob)
	case slices.Contains(strings.Split(filepath.ToSlash(glob), "/"), ".."):
		return fmt.Errorf("%q: must stay inside the module (no \"..\")", glob)
	case !doublestar.ValidatePattern(glob):
		return fmt.Errorf("%q: not a valid glob", glob)
	}
	return nil
}

// Signal returns the stop signal named by StopSignal.
func (c *Config) Signal() (syscall.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(c.StopSignal), "SIG") {
	case "TERM":
		return syscall.SIGTERM, nil
	case "INT":
		return syscall.SIGINT, nil
	case "QUIT":
		return syscall.SIGQUIT, nil
	case "HUP":
		return syscall.SIGHUP, nil
	case "KILL":
		return syscall.SIGKILL, nil
	}
	return 0, fmt.Errorf("config: stop_signal %q: want SIGTERM, SIGINT, SIGQUIT, SIGHUP or SIGKILL", c.StopSignal)
}

// Duration is a time.Duration written as a Go duration string ("50ms"). A
// bare number is rejected: it has no unit.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats d as a Go duration string, in whole minutes or
// seconds when it is one ("1m", "90s").
func (d Duration) MarshalText() ([]byte, error) {
	v := time.Duration(d)
	switch {
	case v != 0 && v%time.Minute == 0:
		return fmt.Appendf(nil, "%dm", v/time.Minute), nil
	case v != 0 && v%time.Second == 0:
		return fmt.Appendf(nil, "%ds", v/time.Second), nil
	}
	return []byte(v.String()), nil
}

// SpeculateDelay returns the quiet window of speculative builds, 0 when
// they are off.
func (c Config) SpeculateDelay() (time.Duration, error) {
	if c.Speculate == "off" {
		return 0, nil
	}
	d, err := parseDuration(c.Speculate)
	if err == nil && d == 0 {
		err = errors.New(`0 is not a quiet window; write "off" to turn speculative builds off`)
	}
	if err != nil {
		return 0, fmt.Errorf("config: speculate: %w (or \"off\")", err)
	}
	return d, nil
}

// PollInterval returns the interval at which the watcher polls the whole
// tree instead of using inotify: 0 unless Poll is a duration.
func (c Config) PollInterval() time.Duration {
	d, _ := parseDuration(c.Poll)
	return d
}

// PollOff reports whether Poll turns every polling off, including that of
// mounts that deliver no events.
func (c Config) PollOff() bool { return c.Poll == "off" }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
