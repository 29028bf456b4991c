package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// airSchema mirrors the config structs of air (runner/config.go of
// github.com/air-verse/air, v1.67.4 and the keys added since: Config,
// cfgBuild with CfgBuildCommon inlined, cfgRule, cfgLog, cfgColor,
// cfgMisc, cfgScreen, cfgProxy). Only the toml names and Go types matter:
// airSchemaKeys walks it, and a key added to air is added here, where
// TestAirSchemaKeysHaveAnAnswer fails until ginhotd answers it.
type airSchema struct {
	Root        string   `toml:"root"`
	TmpDir      string   `toml:"tmp_dir"`
	TestDataDir string   `toml:"testdata_dir"`
	EnvFiles    []string `toml:"env_files"`
	Build       struct {
		airBuildCommon
		Log                    string        `toml:"log"`
		IncludeExt             []string      `toml:"include_ext"`
		ExcludeDir             []string      `toml:"exclude_dir"`
		IncludeDir             []string      `toml:"include_dir"`
		ExcludeFile            []string      `toml:"exclude_file"`
		IncludeFile            []string      `toml:"include_file"`
		ExcludeRegex           []string      `toml:"exclude_regex"`
		ExcludeUnchanged       bool          `toml:"exclude_unchanged"`
		IgnoreDangerousRootDir bool          `toml:"ignore_dangerous_root_dir"`
		FollowSymlink          bool          `toml:"follow_symlink"`
		Poll                   bool          `toml:"poll"`
		PollInterval           int           `toml:"poll_interval"`
		Delay                  int           `toml:"delay"`
		StopOnError            bool          `toml:"stop_on_error"`
		SendInterrupt          bool          `toml:"send_interrupt"`
		KillDelay              time.Duration `toml:"kill_delay"`
		Rerun                  bool          `toml:"rerun"`
		RerunDelay             int           `toml:"rerun_delay"`
		Rules                  []struct {
			Name         string   `toml:"name"`
			Cmd          string   `toml:"cmd"`
			IncludeDir   []string `toml:"include_dir"`
			IncludeExt   []string `toml:"include_ext"`
			IncludeFile  []string `toml:"include_file"`
			ExcludeRegex []string `toml:"exclude_regex"`
			Delay        int      `toml:"delay"`
		} `toml:"rules"`
		Windows airBuildCommon `toml:"windows"`
		Darwin  airBuildCommon `toml:"darwin"`
		Linux   airBuildCommon `toml:"linux"`
	} `toml:"build"`
	Color struct {
		Main    string `toml:"main"`
		Watcher string `toml:"watcher"`
		Build   string `toml:"build"`
		Runner  string `toml:"runner"`
		Mode    string `toml:"mode"`
		App     string `toml:"app"`
	} `toml:"color"`
	Log struct {
		AddTime  bool `toml:"time"`
		MainOnly bool `toml:"main_only"`
		Silent   bool `toml:"silent"`
	} `toml:"log"`
	Misc struct {
		CleanOnExit   bool    `toml:"clean_on_exit"`
		StartupBanner *string `toml:"startup_banner"`
	} `toml:"misc"`
	Screen struct {
		ClearOnRebuild bool `toml:"clear_on_rebuild"`
		KeepScroll     bool `toml:"keep_scroll"`
	} `toml:"screen"`
	Proxy struct {
		Enabled         bool `toml:"enabled"`
		ProxyPort       int  `toml:"proxy_port"`
		AppPort         int  `toml:"app_port"`
		AppStartTimeout int  `toml:"app_start_timeout"`
	} `toml:"proxy"`
}

// airBuildCommon mirrors air's CfgBuildCommon, the keys [build] shares
// with its per-OS tables.
type airBuildCommon struct {
	PreCmd     []string `toml:"pre_cmd"`
	Cmd        string   `toml:"cmd"`
	PostCmd    []string `toml:"post_cmd"`
	Bin        string   `toml:"bin"`
	Entrypoint []string `toml:"entrypoint"`
	FullBin    string   `toml:"full_bin"`
	ArgsBin    []string `toml:"args_bin"`
}

// airKey is one leaf key of airSchema: its dotted path (a rule's keys
// under "build.rules.0") and its Go type.
type airKey struct {
	path string
	typ  reflect.Type
}

// airSchemaKeys lists the leaf keys of airSchema, inlined structs flat.
func airSchemaKeys() []airKey {
	var keys []airKey
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(prefix, f.Type)
				continue
			}
			p := join(prefix, f.Tag.Get("toml"))
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(p, f.Type)
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				walk(p+".0", f.Type.Elem())
			default:
				keys = append(keys, airKey{p, f.Type})
			}
		}
	}
	walk("", reflect.TypeOf(airSchema{}))
	return keys
}

// airSample is a value of type t as an .air.toml writes it.
func airSample(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return `"500ms"`
	case t.Kind() == reflect.Bool:
		return "true"
	case t.Kind() == reflect.Int:
		return "800"
	case t.Kind() == reflect.Slice:
		return `["x"]`
	}
	return `"x"`
}

// airFileWith writes an .air.toml that sets key to value. A rule key
// comes with the keys every rule needs.
func airFileWith(key, value string) string {
	table, leaf := "", key
	if i := strings.LastIndex(key, "."); i >= 0 {
		table, leaf = key[:i], key[i+1:]
	}
	var b strings.Builder
	switch {
	case strings.HasPrefix(table, "build.rules."):
		b.WriteString("[[build.rules]]\n")
		if leaf != "cmd" {
			b.WriteString("cmd = \"npm run build\"\n")
		}
		if leaf != "include_ext" {
			b.WriteString("include_ext = [\"js\"]\n")
		}
	case table != "":
		fmt.Fprintf(&b, "[%s]\n", table)
	}
	fmt.Fprintf(&b, "%s = %s\n", leaf, value)
	return b.String()
}

// airKeyValues are the values tried for a key besides airSample's: an
// integer kill_delay, and what each string key needs to be valid.
var airKeyValues = map[string][]string{
	"build.kill_delay":          {"500", "500_000_000"},
	"build.rules.0.include_ext": {`["css"]`},
	"build.rules.0.cmd":         {`"npm run css"`},
	"color.mode":                {`"never"`},
}

// TestAirSchemaKeysHaveAnAnswer loads an .air.toml setting each key of
// air's config structs: it loads, and the key's notice is an answer
// (mapped, not needed, or what ginhotd cannot do), never "not an air key".
func TestAirSchemaKeysHaveAnAnswer(t *testing.T) {
	for _, k := range airSchemaKeys() {
		for _, v := range append([]string{airSample(k.typ)}, airKeyValues[k.path]...) {
			t.Run(k.path+"="+v, func(t *testing.T) {
				c := loadAir(t, airFileWith(k.path, v))
				// A key is answered by its own notice, or by its table's:
				// what a rule became, or a table for another OS.
				if !slices.ContainsFunc(c.Notices, func(n Notice) bool { return n.Key == k.path || strings.HasPrefix(k.path, n.Key+".") }) {
					t.Fatalf("no notice for %s: %v", k.path, c.Notices)
				}
				for _, n := range c.Notices {
					if n.Message == unknownKeyMessage {
						t.Errorf("%s has no answer: %v", n.Key, n)
					}
				}
			})
		}
	}
}

// TestRealAirFiles loads the .air.toml files of public projects in
// testdata/air: each loads, every key of air's schema in it is answered,
// and only the keys air does not have are reported as unknown.
func TestRealAirFiles(t *testing.T) {
	schema := map[string]bool{}
	for _, k := range airSchemaKeys() {
		schema[k.path] = true
	}
	files, err := filepath.Glob("testdata/air/*.air.toml")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least 5 real .air.toml files, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := loadAir(t, string(b))
			for _, n := range c.Notices {
				if n.Message == unknownKeyMessage && schemaKey(schema, n.Key) {
					t.Errorf("air key without an answer: %v", n)
				}
				if n.Message != unknownKeyMessage && !schemaKey(schema, n.Key) && !isTable(n.Key) {
					t.Errorf("answered as air's, but air has no such key: %v", n)
				}
			}
		})
	}
}

// schemaKey reports whether key, or the table it is in, is air's.
func schemaKey(schema map[string]bool, key string) bool {
	for k := range schema {
		if k == key || strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// isTable reports whether key names a table air answers as a whole (a
// per-OS table for another OS, or a rule).
func isTable(key string) bool {
	return key == "build.windows" || key == "build.darwin" || key == "build.linux" || strings.HasPrefix(key, "build.rules.")
}
