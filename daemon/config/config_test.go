package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Dir = dir
	want.AddrAuto = true // no file or override chose the address
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("Load without a file (-want +got):\n%s", diff)
	}
}

// Only the default address may move to the next free port: an address
// the user wrote, even the default one, is strict.
func TestAddrAuto(t *testing.T) {
	tests := []struct {
		name, file string
		overrides  map[string]any
		want       bool
	}{
		{"default", "", nil, true},
		{"in the file", `addr = "127.0.0.1:8080"` + "\n", nil, false},
		{"a flag", "", map[string]any{"addr": "127.0.0.1:8080"}, false},
		{"another setting", "debounce = \"20ms\"\n", map[string]any{"live_reload": false}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				write(t, dir, FileName, tt.file)
			}
			c, err := Load(dir, "", tt.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if c.AddrAuto != tt.want || c.Addr != "127.0.0.1:8080" {
				t.Errorf("Addr %q AddrAuto %v, want 127.0.0.1:8080 and %v", c.Addr, c.AddrAuto, tt.want)
			}
		})
	}
}

func TestFileThenOverrides(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, FileName, `addr = "127.0.0.1:9000"
targets = ["./cmd/api"]
debounce = "20ms"
debug_wait = true
proxy = false
tags = ["dev"]
kill_timeout = "2s"
`)
	c, err := Load(dir, "", map[string]any{"addr": "127.0.0.1:9100", "live_reload": false, "debounce": "5ms", "debug": true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9100" || c.LiveReload || c.Debounce.D() != 5*time.Millisecond || !c.Debug {
		t.Errorf("overrides not applied: %+v", c)
	}
	if c.Proxy || c.KillTimeout.D() != 2*time.Second || c.Targets[0] != "./cmd/api" || c.Tags[0] != "dev" || !c.DebugWait {
		t.Errorf("file not applied: %+v", c)
	}
	if c.File != filepath.Join(dir, FileName) {
		t.Errorf("File = %q", c.File)
	}
}

func TestStrictErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name, file string
		overrides  map[string]any
		want       string
	}{
		{"unknown key", "addr = \"x:1\"\n\nadr = \"y\"\n", nil, `ginhot.toml:3: unknown key "adr"`},
		{"wrong type", "addr = \"x:1\"\nproxy = \"yes\"\n", nil, `ginhot.toml:2: key "proxy"`},
		{"bad duration", "debounce = \"soon\"\n", nil, `ginhot.toml:1`},
		{"syntax", "addr = \n", nil, `ginhot.toml:1`},
		{"unknown override", "", map[string]any{"bogus": 1}, `unknown key "bogus"`},
		{"bad diagnostics", "diagnostics = \"some\"\n", nil, `diagnostics must be "all" or "complement"`},
		{"bad signal", "stop_signal = \"SIGFOO\"\n", nil, `stop_signal "SIGFOO"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, FileName, tc.file)
			_, err := Load(dir, "", tc.overrides)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestExplicitMissingFileIsAnError(t *testing.T) {
	if _, err := Load(t.TempDir(), "/nonexistent/ginhot.toml", nil); err == nil {
		t.Fatal("a missing --config file must be an error")
	}
}

func TestAirFallback(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".air.toml", `root = "."
tmp_dir = "tmp"

[build]
cmd = "go build -o ./tmp/main ."
bin = "./tmp/main"
args_bin = ["-v"]
exclude_dir = ["assets", "tmp/"]
delay = 1000
kill_delay = "500ms"

[color]
main = "magenta"
`)
	c, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != filepath.Join(dir, ".air.toml") {
		t.Fatalf("File = %q, want .air.toml", c.File)
	}
	if diff := cmp.Diff([]string{"assets/**", "tmp/**"}, c.Exclude); diff != "" {
		t.Errorf("Exclude (-want +got):\n%s", diff)
	}
	// delay = 1000 is air's default, not the user's choice: ginhotd keeps
	// its own debounce.
	if c.Debounce.D() != Default().Debounce.D() || c.KillTimeout.D() != 500*time.Millisecond || c.Args[0] != "-v" {
		t.Errorf("air keys not mapped: %+v", c)
	}
}

func TestGinhotTomlWinsOverAir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".air.toml", "[build]\ndelay = 900\n")
	write(t, dir, FileName, "debounce = \"10ms\"\n")
	c, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Debounce.D() != 10*time.Millisecond {
		t.Fatalf("Debounce = %v, want ginhot.toml's 10ms", c.Debounce.D())
	}
}

// durationKeys lists every duration key of Config, found by type so that a
// new one is covered without editing the test.
func durationKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		if f := ct.Field(i); f.Type == reflect.TypeFor[Duration]() {
			keys = append(keys, f.Tag.Get("toml"))
		}
	}
	if len(keys) < 5 {
		t.Fatalf("found only duration keys %v", keys)
	}
	return keys
}

func TestBareNumberDurationIsRejected(t *testing.T) {
	for _, key := range durationKeys(t) {
		t.Run(key, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, FileName, "addr = \"127.0.0.1:1\"\n"+key+" = 5\n")
			_, err := Load(dir, "", nil)
			want := fmt.Sprintf(`ginhot.toml:2: key %q: a bare number has no unit: write a duration string like "5s"`, key)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("file: err = %v, want it to contain %q", err, want)
			}
			// initializationOptions arrive as JSON: numbers are float64.
			_, err = Load(t.TempDir(), "", map[string]any{key: float64(5)})
			want = fmt.Sprintf(`settings: key %q: a bare number has no unit`, key)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("settings: err = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestDurationStringsAreRead(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, FileName, "kill_timeout = \"1500ms\"\n")
	c, err := Load(dir, "", map[string]any{"start_timeout": "2m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.KillTimeout.D() != 1500*time.Millisecond || c.StartTimeout.D() != 2*time.Minute {
		t.Fatalf("kill_timeout = %v, start_timeout = %v", c.KillTimeout.D(), c.StartTimeout.D())
	}
	write(t, dir, FileName, "kill_timeout = \"-1s\"\n")
	if _, err := Load(dir, "", nil); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Fatalf("negative duration: err = %v", err)
	}
}

func TestAirMillisecondIntegers(t *testing.T) {
	tests := []struct {
		name, air      string
		debounce, kill time.Duration
		wantErr        string
	}{
		{"integers are milliseconds", "[build]\ndelay = 250\nkill_delay = 500\n", 250 * time.Millisecond, 500 * time.Millisecond, ""},
		{"kill_delay as a duration string", "[build]\nkill_delay = \"2s\"\n", 50 * time.Millisecond, 2 * time.Second, ""},
		{"delay as a string", "[build]\n\ndelay = \"1s\"\n", 0, 0, `.air.toml:3: key "build.delay": want an integer number of milliseconds, found string "1s"`},
		{"bad kill_delay string", "[build]\nkill_delay = \"soon\"\n", 0, 0, `.air.toml:2: key "build.kill_delay": want a duration string like "5s" or "500ms", found string "soon"`},
		{"a negative delay waits no time", "[build]\ndelay = -3\n", 50 * time.Millisecond, 5 * time.Second, ""},
		{"delay as a float", "[build]\ndelay = 1.5\n", 0, 0, `key "build.delay": want an integer number of milliseconds, found number 1.5`},
		// air's killDelay(): an integer below 1000000 is milliseconds,
		// any other nanoseconds cut to whole milliseconds.
		{"kill_delay in nanoseconds", "[build]\nkill_delay = 500_000_000\n", 50 * time.Millisecond, 500 * time.Millisecond, ""},
		{"kill_delay at one millisecond", "[build]\nkill_delay = 1_000_000\n", 50 * time.Millisecond, time.Millisecond, ""},
		{"kill_delay just below", "[build]\nkill_delay = 999_999\n", 50 * time.Millisecond, 999999 * time.Millisecond, ""},
		{"kill_delay cut to milliseconds", "[build]\nkill_delay = 1_500_700_000\n", 50 * time.Millisecond, 1500 * time.Millisecond, ""},
		{"kill_delay string under a millisecond", "[build]\nkill_delay = \"500us\"\n", 50 * time.Millisecond, 500 * time.Second, ""},
		{"kill_delay 0 keeps kill_timeout", "[build]\nkill_delay = 0\n", 50 * time.Millisecond, 5 * time.Second, ""},
		{"a negative kill_delay waits no time", "[build]\nkill_delay = \"-2s\"\n", 50 * time.Millisecond, 5 * time.Second, ""},
		{"kill_delay as a float", "[build]\nkill_delay = 0.5\n", 0, 0, `key "build.kill_delay": want an integer (milliseconds below 1000000, else nanoseconds, as air reads it) or a duration string like "500ms", found number 0.5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, ".air.toml", tc.air)
			c, err := Load(dir, "", nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Debounce.D() != tc.debounce || c.KillTimeout.D() != tc.kill {
				t.Fatalf("debounce = %v, kill_timeout = %v; want %v, %v", c.Debounce.D(), c.KillTimeout.D(), tc.debounce, tc.kill)
			}
		})
	}
}

// goInternals are words of Go's reflection that must never reach a user.
var goInternals = []string{"struct", "config.", "of type", "interface {", "map[", "[]string", "int64", "float64", "reflect"}

func assertUserWorded(t *testing.T, msg string) {
	t.Helper()
	for _, w := range goInternals {
		if strings.Contains(msg, w) {
			t.Errorf("error %q leaks Go internals (%q)", msg, w)
		}
	}
}

func TestWrongTypesAreSaidInTOMLWords(t *testing.T) {
	tests := []struct{ file, air, want string }{
		{file: "addr = \"x:1\"\nproxy = \"yes\"\n", want: `ginhot.toml:2: key "proxy": want a boolean (true or false), found string "yes"`},
		{file: "addr = 8080\n", want: `ginhot.toml:1: key "addr": want a string, found integer 8080`},
		{file: "\ntargets = \"./cmd/api\"\n", want: `ginhot.toml:2: key "targets": want an array of strings, found string "./cmd/api"`},
		{file: "tags = [\"dev\", 2]\n", want: `ginhot.toml:1: key "tags": want an array of strings, found an array holding integer 2`},
		{file: "[proxy]\non = true\n", want: `ginhot.toml:1: key "proxy": want a boolean (true or false), found a table`},
		{file: "debounce = 1979-05-27\n", want: `ginhot.toml:1: key "debounce": want a duration string like "5s", found date-time 1979-05-27`},
		{file: "debounce = \"soon\"\n", want: `ginhot.toml:1: key "debounce": want a duration string like "5s" or "500ms", found string "soon"`},
		{file: "addr = \"a\"\naddr = \"b\"\n", want: `ginhot.toml:2: not valid TOML: key addr is already defined`},
		{air: "root = \".\"\n[build]\nargs_bin = \"-v\"\n", want: `.air.toml:3: key "build.args_bin": want an array of strings, found string "-v"`},
		{air: "[build]\nexclude_dir = [\"tmp\", 3]\n", want: `.air.toml:2: key "build.exclude_dir": want an array of strings, found an array holding integer 3`},
		{air: "[build\n", want: `.air.toml:1: not valid TOML`},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		if tc.air != "" {
			write(t, dir, ".air.toml", tc.air)
		} else {
			write(t, dir, FileName, tc.file)
		}
		_, err := Load(dir, "", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant it to contain %s", err, tc.want)
			continue
		}
		assertUserWorded(t, err.Error())
		var ce *Error
		if !errors.As(err, &ce) || ce.Problems[0].Line == 0 {
			t.Errorf("err = %#v, want an *Error with a line", err)
		}
	}
}

func TestSettingsWrongTypesAreSaidInTOMLWords(t *testing.T) {
	_, err := Load(t.TempDir(), "", map[string]any{"proxy": "yes", "args": []any{"-v", 1.5}, "debug": "on"})
	for _, want := range []string{`settings: key "args": want an array of strings, found an array holding number 1.5`, `settings: key "proxy": want a boolean (true or false), found string "yes"`, `settings: key "debug": want a boolean (true or false), found string "on"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %s", err, want)
		}
	}
	if err != nil {
		assertUserWorded(t, err.Error())
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSpeculate(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"300ms", 300 * time.Millisecond, ""},
		{"off", 0, ""},
		{"0s", 0, `write "off"`},
		{"soon", 0, `speculate: want a duration string`},
	} {
		c := Default()
		c.Speculate = tc.value
		got, err := c.SpeculateDelay()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("speculate = %q: err = %v, want it to contain %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("speculate = %q: got %v, %v; want %v", tc.value, got, err, tc.want)
		}
	}
}

// TestPollSetting checks the values poll takes: auto (the default), off,
// and a duration that polls the whole tree; "0s", which older ginhot.toml
// files hold, means auto.
func TestPollSetting(t *testing.T) {
	for _, tt := range []struct {
		value    string
		interval time.Duration
		off      bool
	}{{"auto", 0, false}, {"off", 0, true}, {"500ms", 500 * time.Millisecond, false}, {"0s", 0, false}} {
		c, err := Load(t.TempDir(), "", map[string]any{"poll": tt.value})
		if err != nil {
			t.Fatalf("poll = %q: %v", tt.value, err)
		}
		if c.PollInterval() != tt.interval || c.PollOff() != tt.off {
			t.Errorf("poll = %q: PollInterval() = %v, PollOff() = %v; want %v, %v", tt.value, c.PollInterval(), c.PollOff(), tt.interval, tt.off)
		}
	}
	if c, _ := Load(t.TempDir(), "", nil); c.Poll != "auto" {
		t.Errorf("default poll = %q, want auto", c.Poll)
	}
	_, err := Load(t.TempDir(), "", map[string]any{"poll": "sometimes"})
	if err == nil || !strings.Contains(err.Error(), `poll: want a duration string`) || !strings.Contains(err.Error(), `"off"`) {
		t.Errorf("poll = \"sometimes\": error %v, want one naming poll and its values", err)
	}
}

// TestContainerAddr checks the container evidence, on a fake root, and
// that the container's address is the default only: a config file or a
// flag that names addr wins.
func TestContainerAddr(t *testing.T) {
	root := t.TempDir()
	if why := detectContainer(root); why != "" {
		t.Fatalf("an empty root is a container: %s", why)
	}
	if err := os.MkdirAll(filepath.Join(root, "proc", "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "proc/1/cgroup", "0::/\n")
	if why := detectContainer(root); why != "" {
		t.Fatalf("a plain cgroup is a container: %s", why)
	}
	write(t, root, "proc/1/cgroup", "12:pids:/docker/3f2a9c1e0b7d\n")
	if why := detectContainer(root); why != "the cgroup of pid 1 (docker)" {
		t.Fatalf("docker cgroup: %q", why)
	}
	write(t, root, "run/.containerenv", "")
	if why := detectContainer(root); why != "/run/.containerenv" {
		t.Fatalf("podman: %q", why)
	}

	for _, tt := range []struct {
		name, file string
		overrides  map[string]any
		want       string
	}{
		{"default", "", nil, ContainerAddr},
		{"config file", "addr = \"127.0.0.1:8080\"\n", nil, "127.0.0.1:8080"},
		{"flag", "", map[string]any{"addr": "127.0.0.1:9000"}, "127.0.0.1:9000"},
	} {
		dir := t.TempDir()
		if tt.file != "" {
			write(t, dir, FileName, tt.file)
		}
		c, err := Load(dir, "", tt.overrides)
		if err != nil {
			t.Fatal(err)
		}
		c.ForContainer("/.dockerenv")
		if c.Addr != tt.want {
			t.Errorf("%s: Addr = %q, want %q", tt.name, c.Addr, tt.want)
		}
	}
}
