package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"

	"github.com/ginhotd/ginhotd/daemon/config"
)

// runInit runs `ginhotd init` in-process and returns its exit code and
// output.
func runInit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = realMain(append([]string{"init"}, args...), os.Stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

// leafKeys returns the dotted keys of the values in a TOML file, counting
// a table that holds no tables (a per-OS build table, a rule) as one key
// where ginhotd answers it as one.
func leafKeys(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok {
				walk(p, sub)
				continue
			}
			keys = append(keys, p)
		}
	}
	walk("", m)
	slices.Sort(keys)
	return keys
}

func TestInitConvertsAnAirProject(t *testing.T) {
	dir := copyFixture(t, "airproject")
	code, stdout, stderr := runInit(t, dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	// One line per air key present, saying what it became.
	for _, k := range leafKeys(t, filepath.Join(dir, ".air.toml")) {
		if n := strings.Count(stdout, "\n  "+k+" (line "); n != 1 {
			t.Errorf("%d lines for air key %s, want 1", n, k)
		}
	}
	for _, want := range []string{
		`build.cmd (line 8): became [[generate]] run = "templ generate", inputs = ["**/*.templ"]; -o ./tmp/main ignored`,
		`tmp_dir (line 3): not needed: ginhotd builds outside your tree`,
		`build.full_bin (line 15): became env = ["APP_ENV=dev"]`,
		"found Gin main ./cmd/api",
		`found swag annotations in cmd/api/main.go: suggested a "swag init -g cmd/api/main.go" step, commented out in ginhot.toml`,
		"found .env.local",
		"wrote " + filepath.Join(dir, "ginhot.toml"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, ".env.example") {
		t.Errorf(".env.example is a template, not an env file:\n%s", stdout)
	}
	written, err := os.ReadFile(filepath.Join(dir, "ginhot.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), "# the main packages to run, as import paths or ./dir\ntargets = ['./cmd/api']") {
		t.Errorf("ginhot.toml lacks a commented targets line:\n%s", written)
	}
	c, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatalf("the ginhot.toml written does not load: %v", err)
	}
	var runs []string
	for _, g := range c.Generate {
		runs = append(runs, g.Run)
	}
	// Only the generator air ran is a step; sqlc, swag and go generate,
	// found but never run by air, are suggestions (TestInitOnlySuggests).
	if diff := cmp.Diff([]string{"templ generate"}, runs); diff != "" {
		t.Errorf("generate steps (-want +got):\n%s", diff)
	}
	if c.GoGenerate || !cmp.Equal(c.EnvFiles, []string{".env", ".env.local"}) || !cmp.Equal(c.Env, []string{"APP_ENV=dev"}) ||
		!cmp.Equal(c.Targets, []string{"./cmd/api"}) || c.Debounce != config.Default().Debounce || !slices.Contains(c.Restart, "**/*.tpl") {
		t.Errorf("converted config: %+v", c)
	}
	if slices.Contains(c.Exclude, "**/*_templ.go") {
		t.Errorf("templ's output is excluded: %q", c.Exclude)
	}
}

func TestInitNeverOverwritesWithoutForce(t *testing.T) {
	dir := copyFixture(t, "airproject")
	mine := "# mine\naddr = \"127.0.0.1:9999\"\n"
	if err := os.WriteFile(filepath.Join(dir, "ginhot.toml"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runInit(t, dir)
	if code == 0 || !strings.Contains(stderr, "exists; rerun with --force") {
		t.Fatalf("init over an existing file: exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ginhot.toml")); string(b) != mine {
		t.Fatalf("ginhot.toml changed without --force:\n%s", b)
	}
	if code, _, stderr := runInit(t, "--force", dir); code != 0 {
		t.Fatalf("init --force exited %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ginhot.toml")); string(b) == mine {
		t.Fatal("init --force did not overwrite")
	}
}

func TestInitStopsOnAFileItCannotParse(t *testing.T) {
	tests := []struct{ air, want string }{
		{"[build\ncmd = \"go build\"\n", ".air.toml:1: not valid TOML"},
		{"[build]\n\ndelay = \"1s\"\n", `.air.toml:3: key "build.delay": want an integer number of milliseconds, found string "1s"`},
	}
	for _, tc := range tests {
		dir := copyFixture(t, "app")
		if err := os.WriteFile(filepath.Join(dir, ".air.toml"), []byte(tc.air), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runInit(t, dir)
		if code == 0 || !strings.Contains(stderr, "cannot convert") || !strings.Contains(stderr, tc.want) {
			t.Errorf("exit %d, stderr %q; want non-zero and %q", code, stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "ginhot.toml")); err == nil {
			t.Error("a ginhot.toml was written from a broken .air.toml")
		}
	}
}

func TestInitWithoutAirAndWithFrom(t *testing.T) {
	dir := copyFixture(t, "app")
	code, stdout, stderr := runInit(t, dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "converted") || !strings.Contains(stdout, "found Gin main .") || !strings.Contains(stdout, "found templates in templates/") {
		t.Errorf("output:\n%s", stdout)
	}
	c, err := config.Load(dir, "", nil)
	if err != nil || !cmp.Equal(c.Targets, []string{"."}) {
		t.Fatalf("Load: %v, targets %q", err, c.Targets)
	}

	other := filepath.Join(t.TempDir(), "air.toml")
	if err := os.WriteFile(other, []byte("[build]\ncmd = \"go build -tags dev -o tmp/app .\"\nkill_delay = 1500\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runInit(t, "--force", "--from", other, dir)
	if code != 0 {
		t.Fatalf("init --from exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, fmt.Sprintf("converted %s:", other)) || !strings.Contains(stdout, `build.kill_delay (line 3): became kill_timeout = "1.5s"`) {
		t.Errorf("output:\n%s", stdout)
	}
	c, err = config.Load(dir, "", nil)
	if err != nil || !cmp.Equal(c.Tags, []string{"dev"}) || c.KillTimeout.D().String() != "1.5s" {
		t.Fatalf("Load: %v, %+v", err, c)
	}
}

func TestInitOutsideAModule(t *testing.T) {
	code, _, stderr := runInit(t, t.TempDir())
	if code == 0 || !strings.Contains(stderr, "holds no go.mod") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestRunPrintsAirWarningsAndASummary(t *testing.T) {
	dir := t.TempDir()
	air := "tmp_dir = \"tmp\"\n[build]\ndelay = 100\npost_cmd = [\"docker compose down\"]\n"
	if err := os.WriteFile(filepath.Join(dir, ".air.toml"), []byte(air), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printNotices(&out, c)
	want := "ginhotd: warning: " + filepath.Join(dir, ".air.toml") + ":4: build.post_cmd: ginhotd runs no command when it stops; run it yourself after ginhotd exits\n" +
		"ginhotd: read .air.toml: keys: 1 mapped, 1 not needed (ginhotd init --from .air.toml shows each)\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Fatalf("printed (-want +got):\n%s", diff)
	}
}

// TestInitTellsEmbeddedTemplatesApart: templates a package embeds are part
// of the build (a change rebuilds), not files read at run time.
func TestInitTellsEmbeddedTemplatesApart(t *testing.T) {
	dir := copyFixture(t, "app")
	if err := os.MkdirAll(filepath.Join(dir, "web", "views"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"web/web.go":           "// Package web embeds its views.\npackage web\n\nimport \"embed\"\n\n// Views are the pages.\n//\n//go:embed views\nvar Views embed.FS\n",
		"web/views/index.html": "<p>hi</p>\n",
		"main.go":              strings.Replace(readFile(t, filepath.Join(dir, "main.go")), "\"example.com/app/msg\"", "\"example.com/app/msg\"\n\t_ \"example.com/app/web\"", 1),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runInit(t, dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "found embedded templates in web/views/ (//go:embed: a change rebuilds the app)") || strings.Contains(stdout, "found templates in web/views/") {
		t.Errorf("output:\n%s", stdout)
	}
	if !strings.Contains(stdout, "found templates in templates/ (a change restarts the app)") {
		t.Errorf("the run-time templates are no longer announced:\n%s", stdout)
	}
}

// readFile returns the content of path, failing the test on an error.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInitScriptStepTakesAirsWatchedFiles converts a cmd with a script
// before go build, the case of issue 23: the ginhot.toml written runs the
// script for the templates air watched, and says so.
func TestInitScriptStepTakesAirsWatchedFiles(t *testing.T) {
	dir := copyFixture(t, "app")
	air := "[build]\ncmd = \"yarn build:css:dev && go build -o ./tmp/main .\"\ninclude_ext = [\"go\", \"tpl\", \"tmpl\", \"html\"]\nkill_delay = 500_000_000\n"
	if err := os.WriteFile(filepath.Join(dir, ".air.toml"), []byte(air), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInit(t, dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `kill_timeout = "500ms"`) {
		t.Errorf("kill_delay = 500_000_000 is not half a second:\n%s", stdout)
	}
	c, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Generate{{Run: "yarn build:css:dev", Inputs: []string{"**/*.tpl", "**/*.tmpl", "**/*.html"}, Timeout: config.Duration(config.DefaultGenerateTimeout)}}
	if d := cmp.Diff(want, c.Generate); d != "" {
		t.Errorf("ginhot.toml's generate (-want +got):\n%s", d)
	}
	if c.KillTimeout.D() != 500*time.Millisecond {
		t.Errorf("kill_timeout = %v, want 500ms", c.KillTimeout.D())
	}
}
