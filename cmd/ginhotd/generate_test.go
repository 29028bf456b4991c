//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests run `ginhotd run` on copies of examples/templ and
// examples/swag: a generator input is edited, broken and fixed, as a user
// would. They need templ and swag on PATH (.ci/test installs them).

// needTool skips the test when name is not installed, unless CI is set.
func needTool(t *testing.T, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not on PATH (CI is set): %s", name, install)
		}
		t.Skipf("%s is not on PATH; install it with %s", name, install)
	}
}

// copyExample copies examples/NAME into a temp dir and returns it.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "examples", name)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			if rel == "docs" {
				return filepath.SkipDir // swag's output, if a run left it
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(p, "_templ.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// getRaw returns the status and body of GET path, failing on transport
// errors only.
func (d *daemon) getRaw(path string) (int, string) {
	d.t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(d.url + path)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// served polls path until its body contains want and returns how long that
// took since start.
func (d *daemon) served(path, want string, start time.Time, timeout time.Duration) time.Duration {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body := d.getRaw(path)
		if code == 200 && strings.Contains(body, want) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("GET %s never served %q within %s; last %d %q; events: %+v", path, want, timeout, code, body, d.since(0))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count returns the events of kind among evs.
func count(evs []event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Event == kind {
			n++
		}
	}
	return n
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// generatorEdits runs the scenario on one example: edits served, an edit
// whose generated output is identical builds nothing, a broken input is a
// diagnostic at its line while the old version serves, and the fix serves.
func generatorEdits(t *testing.T, d *daemon, input, path string, edit func(i int) (src, want string), broken string, brokenLine int, same func() string, wantSameBuilds int) {
	var took []time.Duration
	for i := range 5 {
		src, want := edit(i)
		start := time.Now()
		d.write(input, src)
		took = append(took, d.served(path, want, start, 120*time.Second))
	}
	t.Logf("%s save → new version served: median %s of %v", input, median(took), took)

	// Output the generator writes unchanged.
	m := d.mark()
	d.write(input, same())
	d.awaitAfter(m, "generate_ok", 60*time.Second, func(e event) bool { return e.Event == "generate_ok" })
	m2 := d.mark()
	d.write("README.md", "a change that needs nothing\n")
	d.awaitAfter(m2, "skip for README.md", 30*time.Second, func(e event) bool { return e.Event == "skip" })
	if wantSameBuilds > 0 {
		d.awaitAfter(m, "ready after the Go edit", 120*time.Second, func(e event) bool { return e.Event == "ready" })
	}
	builds := count(d.since(m), "build_start")
	t.Logf("builds after a generator run with identical output: %d", builds)
	if builds != wantSameBuilds {
		t.Fatalf("identical generated output: %d builds, want %d; events: %+v", builds, wantSameBuilds, d.since(m))
	}

	// Broken input: a diagnostic at its line, the old version serving.
	_, before := d.getRaw(path)
	m = d.mark()
	d.write(input, broken)
	e := d.awaitAfter(m, "generate_fail", 60*time.Second, func(e event) bool { return e.Event == "generate_fail" })
	if len(e.Diagnostics) == 0 || e.Diagnostics[0].File != filepath.Join(d.dir, input) || e.Diagnostics[0].Line != brokenLine {
		t.Fatalf("generate_fail diagnostics = %+v, want %s:%d", e.Diagnostics, input, brokenLine)
	}
	if code, now := d.getRaw(path); code != 200 || now != before {
		t.Fatalf("after the broken edit GET %s = %d %q, want the old version's %q", path, code, now, before)
	}

	// Fixed.
	src, want := edit(9)
	start := time.Now()
	d.write(input, src)
	d.served(path, want, start, 120*time.Second)
}

func TestExampleTempl(t *testing.T) {
	needTool(t, "templ", "go install github.com/a-h/templ/cmd/templ@v0.3.1100")
	dir := copyExample(t, "templ")
	d := startDaemonIn(t, dir)
	if body := d.get("/"); !strings.Contains(body, "Hello from templ, ginhotd") {
		t.Fatalf("GET / = %q, want the templ component", body)
	}
	page := func(greeting string) string {
		return "package views\n\ntempl Index(name string) {\n\t<!DOCTYPE html>\n\t<html>\n\t\t<body>\n\t\t\t<h1>" + greeting + " from templ, { name }</h1>\n\t\t</body>\n\t</html>\n}\n"
	}
	last := ""
	edit := func(i int) (string, string) {
		g := "Hello" + strings.Repeat("o", i+1)
		last = page(g)
		return last, g + " from templ"
	}
	broken := strings.Replace(page("Broken"), "{ name }", "{ name ", 1)
	generatorEdits(t, d, "views/index.templ", "/", edit, broken, 7,
		func() string { return last + "\n" }, 0)
}

func TestExampleSwag(t *testing.T) {
	needTool(t, "swag", "go install github.com/swaggo/swag/cmd/swag@v1.16.6")
	dir := copyExample(t, "swag")
	d := startDaemonIn(t, dir)
	if body := d.get("/swagger.json"); !strings.Contains(body, `"summary": "Say hello"`) {
		t.Fatalf("GET /swagger.json = %q, want the spec swag generated", body)
	}
	handler := func(summary, router string) string {
		return "package main\n\nimport (\n\t\"net/http\"\n\n\t\"github.com/gin-gonic/gin\"\n)\n\n// hello greets the caller.\n//\n// @Summary " + summary +
			"\n// @Produce plain\n// @Success 200 {string} string \"a greeting\"\n// @Router " + router + "\nfunc hello(c *gin.Context) {\n\tc.String(http.StatusOK, \"hello\")\n}\n"
	}
	last := ""
	edit := func(i int) (string, string) {
		s := "Say hello" + strings.Repeat(" again", i+1)
		last = handler(s, "/hello [get]")
		return last, `"summary": "` + s + `"`
	}
	// A comment that is not an annotation: the Go file changed (one
	// build), the spec did not (no second build).
	same := func() string {
		return strings.Replace(last, "// hello greets the caller.", "// hello greets whoever calls.", 1)
	}
	generatorEdits(t, d, "handlers.go", "/swagger.json", edit, handler("Say hello", "/hello [gett"), 14, same, 1)
}
