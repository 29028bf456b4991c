package config

import (
	"path"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// airFile mirrors air's Config (runner/config.go of
// github.com/air-verse/air, v1.67.4, and the keys added since): the toml
// names and the types air reads them as. Each leaf is an [airKey], which
// records where the file set it. ginhotd's decoder reads it leniently: a
// key air does not have is a warning (see [air.unknownKey]).
type airFile struct {
	Root        airKey[string]   `toml:"root"`
	TmpDir      airKey[string]   `toml:"tmp_dir"`
	TestDataDir airKey[string]   `toml:"testdata_dir"`
	EnvFiles    airKey[[]string] `toml:"env_files"`
	Build       airBuild         `toml:"build"`
	Color       struct {
		Main    airKey[airAny] `toml:"main"`
		Watcher airKey[airAny] `toml:"watcher"`
		Build   airKey[airAny] `toml:"build"`
		Runner  airKey[airAny] `toml:"runner"`
		Mode    airKey[airAny] `toml:"mode"`
		App     airKey[airAny] `toml:"app"`
	} `toml:"color"`
	Log struct {
		AddTime  airKey[bool] `toml:"time"`
		MainOnly airKey[bool] `toml:"main_only"`
		Silent   airKey[bool] `toml:"silent"`
	} `toml:"log"`
	Misc struct {
		CleanOnExit   airKey[bool]   `toml:"clean_on_exit"`
		StartupBanner airKey[string] `toml:"startup_banner"`
	} `toml:"misc"`
	Screen struct {
		ClearOnRebuild airKey[bool] `toml:"clear_on_rebuild"`
		KeepScroll     airKey[bool] `toml:"keep_scroll"`
	} `toml:"screen"`
	Proxy struct {
		Enabled         airKey[bool]      `toml:"enabled"`
		ProxyPort       airKey[airPort]   `toml:"proxy_port"`
		AppPort         airKey[airPort]   `toml:"app_port"`
		AppStartTimeout airKey[airMillis] `toml:"app_start_timeout"`
	} `toml:"proxy"`
}

// airBuildCommon mirrors air's CfgBuildCommon, the keys [build] shares
// with its per-OS tables.
type airBuildCommon struct {
	PreCmd     airKey[[]string]      `toml:"pre_cmd"`
	Cmd        airKey[string]        `toml:"cmd"`
	PostCmd    airKey[[]string]      `toml:"post_cmd"`
	Bin        airKey[string]        `toml:"bin"`
	Entrypoint airKey[airEntrypoint] `toml:"entrypoint"`
	FullBin    airKey[string]        `toml:"full_bin"`
	ArgsBin    airKey[[]string]      `toml:"args_bin"`
}

// airBuildKeys mirrors air's cfgBuild without its per-OS tables. A per-OS
// table holds these keys too: air reads only airBuildCommon's there, and
// ginhotd reads any of them.
type airBuildKeys struct {
	Common                 airBuildCommon       `toml:",inline"`
	Log                    airKey[string]       `toml:"log"`
	IncludeExt             airKey[[]string]     `toml:"include_ext"`
	ExcludeExt             airKey[[]string]     `toml:"exclude_ext"`
	ExcludeDir             airKey[[]string]     `toml:"exclude_dir"`
	IncludeDir             airKey[[]string]     `toml:"include_dir"`
	ExcludeFile            airKey[[]string]     `toml:"exclude_file"`
	IncludeFile            airKey[[]string]     `toml:"include_file"`
	ExcludeRegex           airKey[[]string]     `toml:"exclude_regex"`
	ExcludeUnchanged       airKey[bool]         `toml:"exclude_unchanged"`
	IgnoreDangerousRootDir airKey[bool]         `toml:"ignore_dangerous_root_dir"`
	FollowSymlink          airKey[bool]         `toml:"follow_symlink"`
	Poll                   airKey[bool]         `toml:"poll"`
	PollInterval           airKey[airMillis]    `toml:"poll_interval"`
	Delay                  airKey[airMillis]    `toml:"delay"`
	StopOnError            airKey[bool]         `toml:"stop_on_error"`
	SendInterrupt          airKey[bool]         `toml:"send_interrupt"`
	KillDelay              airKey[airKillDelay] `toml:"kill_delay"`
	Rerun                  airKey[bool]         `toml:"rerun"`
	RerunDelay             airKey[airMillis]    `toml:"rerun_delay"`
	Rules                  airKey[[]airRule]    `toml:"rules"`
	// EnvFiles is not air's: air reads env_files at the top level, and
	// older ginhotd notes put it in [build]; both mean the same files.
	EnvFiles airKey[[]string] `toml:"env_files"`
}

// airBuild mirrors air's cfgBuild.
type airBuild struct {
	Keys    airBuildKeys `toml:",inline"`
	Windows airOSBuild   `toml:"windows"`
	Darwin  airOSBuild   `toml:"darwin"`
	Linux   airOSBuild   `toml:"linux"`
}

// airRule mirrors air's cfgRule, one [[build.rules]] entry.
type airRule struct {
	Name         airKey[string]    `toml:"name"`
	Cmd          airKey[string]    `toml:"cmd"`
	IncludeDir   airKey[[]string]  `toml:"include_dir"`
	IncludeExt   airKey[[]string]  `toml:"include_ext"`
	IncludeFile  airKey[[]string]  `toml:"include_file"`
	ExcludeRegex airKey[[]string]  `toml:"exclude_regex"`
	Delay        airKey[airMillis] `toml:"delay"`
}

// airKey is one key of an .air.toml: its value, and its dotted path in
// the file ("build.linux.cmd"), "" when the file does not set it or sets
// it to a value of the wrong type.
type airKey[T any] struct {
	Path string
	V    T
}

func (k *airKey[T]) decodeTOML(d *doc, path string, v any) {
	n := len(d.problems)
	d.decodeValue(path, v, reflect.ValueOf(&k.V).Elem())
	if len(d.problems) == n {
		k.Path = path
	}
}

func (k *airKey[T]) path() string { return k.Path }

// set reports whether the file sets the key.
func (k airKey[T]) set() bool { return k.Path != "" }

// or returns k when the file sets it, else under.
func (k airKey[T]) or(under airKey[T]) airKey[T] {
	if k.set() {
		return k
	}
	return under
}

// airPort is one of air's port numbers; 0 is unset.
type airPort int64

func (n *airPort) decodeTOML(d *doc, path string, v any) {
	i, ok := v.(int64)
	if !ok || i < 0 || i > 65535 {
		d.problem(path, "want a port number from 1 to 65535 (0: unset), found %s", describe(v))
		return
	}
	*n = airPort(i)
}

// airEntrypoint is air's entrypoint, a string or an array of words, as
// one command line.
type airEntrypoint string

func (e *airEntrypoint) decodeTOML(d *doc, path string, v any) {
	s, ok := v.(string)
	if !ok {
		ss, isList := stringList(v)
		if !isList {
			d.problem(path, "want a string or an array of strings, found %s", describe(v))
			return
		}
		s = joinWords(ss)
	}
	*e = airEntrypoint(s)
}

// airAny is a key whose value ginhotd does not read, of any type.
type airAny struct{}

func (*airAny) decodeTOML(*doc, string, any) {}

// airOSBuild is a per-OS [build.<GOOS>] table. air reads the table of the
// OS it runs on only, so only that one is decoded: Keys is nil for the
// others.
type airOSBuild struct {
	Path string
	Keys *airBuildKeys
}

func (o *airOSBuild) decodeTOML(d *doc, p string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		d.problem(p, "want a table ([%s]), found %s", p, describe(v))
		return
	}
	o.Path = p
	if path.Ext(p) == "."+runtime.GOOS {
		o.Keys = new(airBuildKeys)
		d.decodeStruct(p, m, reflect.ValueOf(o.Keys).Elem())
	}
}

// tables returns [build], then the table of this OS when there is one.
func (b *airBuild) tables() []*airBuildKeys {
	ts := []*airBuildKeys{&b.Keys}
	if os := b.thisOS(); os != nil {
		ts = append(ts, os)
	}
	return ts
}

func (b *airBuild) thisOS() *airBuildKeys {
	for _, o := range b.osTables() {
		if o.Keys != nil {
			return o.Keys
		}
	}
	return nil
}

func (b *airBuild) osTables() []airOSBuild { return []airOSBuild{b.Windows, b.Darwin, b.Linux} }

// effective returns [build] with the keys this OS's table sets in their
// place: air's CfgBuildCommon, as air does, and the watch and poll keys
// the commands depend on. The other keys of both tables map on their own.
func (b *airBuild) effective() airBuildKeys {
	e := b.Keys
	os := b.thisOS()
	if os == nil {
		return e
	}
	ec, oc := &e.Common, &os.Common
	if len(oc.PreCmd.V) > 0 { // an empty pre_cmd adds no step, so replaces none
		ec.PreCmd = oc.PreCmd
	}
	ec.Cmd, ec.Bin = oc.Cmd.or(ec.Cmd), oc.Bin.or(ec.Bin)
	ec.Entrypoint, ec.FullBin, ec.ArgsBin = oc.Entrypoint.or(ec.Entrypoint), oc.FullBin.or(ec.FullBin), oc.ArgsBin.or(ec.ArgsBin)
	e.IncludeExt, e.IncludeDir, e.IncludeFile = os.IncludeExt.or(e.IncludeExt), os.IncludeDir.or(e.IncludeDir), os.IncludeFile.or(e.IncludeFile)
	e.Poll, e.PollInterval = os.Poll.or(e.Poll), os.PollInterval.or(e.PollInterval)
	return e
}

// airNotNeeded answers the keys of air that ginhotd has no use for,
// whatever their value, keyed by their path in air's schema ("build.rerun"
// for build.linux.rerun too, "build.rules.delay" for every rule's). A
// table's answer covers every key in it.
var airNotNeeded = map[string]string{
	"tmp_dir":                         "ginhotd builds outside your tree, in the user cache, so there is no tmp dir to exclude",
	"testdata_dir":                    "testdata directories are never part of a Go build, so ginhotd never rebuilds for them",
	"build.log":                       "build errors go to the terminal, the JSON log, the browser and the editor; there is no build log file",
	"build.exclude_unchanged":         "ginhotd hashes file content: a save that changes nothing causes no build",
	"build.follow_symlink":            "ginhotd watches the package directories go list reports, symlinked or not",
	"build.stop_on_error":             "a failed build keeps the last good version serving; its errors go to the terminal, the browser and the editor",
	"build.rerun":                     "ginhotd starts an app that exits again, with backoff, and shows why it exited",
	"build.ignore_dangerous_root_dir": "ginhotd watches the packages of the module go.mod names, never a whole home or system directory, so there is no root to guard",
	"build.rerun_delay":               "ginhotd restarts an exited app with its own backoff",
	"build.rules.delay":               "a step runs after ginhotd's debounce",
	"proxy.app_port":                  "behind the proxy ginhotd gives each version a free port in PORT",
	"screen.clear_on_rebuild":         "ginhotd prints one line per reload and never clears the screen",
	"screen.keep_scroll":              "ginhotd never clears the screen",
	"misc.clean_on_exit":              "ginhotd builds in its own cache directory, never in your tree, so there is nothing to clean there",
	"misc.startup_banner":             "ginhotd prints one line when it starts: what it serves and where",
	"log.time":                        airLogAnswer,
	"log.main_only":                   airLogAnswer,
	"log.silent":                      airLogAnswer,
	"color":                           "ginhotd colours its output on a terminal; set NO_COLOR to turn colour off",
}

const airLogAnswer = "ginhotd prints one line per event; log_format = \"json\" gives one JSON event per line"

// airOSNames are the GOOS values air reads a [build.<GOOS>] table for.
var airOSNames = []string{"windows", "darwin", "linux"}

// airSchemaPath returns the path in air's schema of the key at p: without
// a per-OS table's name or an array index.
func airSchemaPath(p string) string {
	parts := strings.Split(p, ".")
	if len(parts) > 2 && parts[0] == "build" && slices.Contains(airOSNames, parts[1]) {
		parts = slices.Delete(parts, 1, 2)
	}
	parts = slices.DeleteFunc(parts, func(s string) bool {
		_, err := strconv.Atoi(s)
		return err == nil
	})
	return strings.Join(parts, ".")
}

// airAnswer returns the not-needed answer for the key at p, or its
// table's.
func airAnswer(p string) (string, bool) {
	k := airSchemaPath(p)
	for {
		if why, ok := airNotNeeded[k]; ok {
			return why, true
		}
		i := strings.LastIndex(k, ".")
		if i < 0 {
			return "", false
		}
		k = k[:i]
	}
}

// airSetPaths calls fn with the path of every key set in v, a value of
// airFile or a part of it, in the order of the struct's fields.
func airSetPaths(v reflect.Value, fn func(path string)) {
	if k, ok := v.Addr().Interface().(interface{ path() string }); ok {
		if p := k.path(); p != "" {
			fn(p)
			airSetPaths(v.FieldByName("V"), fn)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				airSetPaths(v.Field(i), fn)
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			airSetPaths(v.Elem(), fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			airSetPaths(v.Index(i), fn)
		}
	}
}
