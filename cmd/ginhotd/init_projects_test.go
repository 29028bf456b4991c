package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ginhotd/ginhotd/daemon/config"
)

// initFixture copies testdata/name, runs `ginhotd init` on the module at
// sub below it (args before the directory), and returns the copy, what
// init printed and the ginhot.toml it wrote.
func initFixture(t *testing.T, name, sub string, args ...string) (dir, stdout, written string) {
	t.Helper()
	dir = copyFixture(t, name)
	mod := filepath.Join(dir, sub)
	code, stdout, stderr := runInit(t, append(args, mod)...)
	if code != 0 {
		t.Fatalf("init %s exited %d: %s", name, code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(mod, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return dir, stdout, string(b)
}

func wantLines(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func generateRuns(t *testing.T, dir string) []string {
	t.Helper()
	c, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatalf("the ginhot.toml written does not load: %v", err)
	}
	var runs []string
	for _, g := range c.Generate {
		runs = append(runs, g.Run)
	}
	return runs
}

// TestInitOnlySuggestsGeneratorsAirDidNotRun: swag ran in air's cmd, so it
// is a step; sqlc was only found, so it is a commented suggestion that
// says how to enable it, and nothing else runs.
func TestInitOnlySuggestsGeneratorsAirDidNotRun(t *testing.T) {
	dir, stdout, written := initFixture(t, "initswag", "")
	if diff := cmp.Diff([]string{"swag init -g main.go"}, generateRuns(t, dir)); diff != "" {
		t.Errorf("generate steps (-want +got):\n%s", diff)
	}
	wantLines(t, "output", stdout,
		"found swag annotations in main.go: your air config runs swag\n",
		`found sqlc config: suggested a "sqlc generate" step, commented out in ginhot.toml (init enables only the generators your air config runs; uncomment it to enable)`)
	wantLines(t, "ginhot.toml", written,
		"[[generate]]\nrun = 'swag init -g main.go'\n",
		"# To enable it, remove the \"# \" in front of the 4 lines below.\n# [[generate]]\n# run = 'sqlc generate'\n# inputs = ['sqlc.yaml', 'sqlc.yml', 'sqlc.json', '**/*.sql']\n# timeout = '1m'\n")
	// Uncommented as the comment says, the suggestion is a step.
	enabled := strings.Replace(written, "# [[generate]]\n# run = 'sqlc generate'\n# inputs", "[[generate]]\nrun = 'sqlc generate'\ninputs", 1)
	enabled = strings.Replace(enabled, "# timeout = '1m'\n", "timeout = '1m'\n", 1)
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(enabled), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"swag init -g main.go", "sqlc generate"}, generateRuns(t, dir)); diff != "" {
		t.Errorf("after uncommenting (-want +got):\n%s", diff)
	}
}

// TestInitWithoutAirRunsNoGenerator: with no air config, the templ, sqlc,
// swag and //go:generate found are all suggestions.
func TestInitWithoutAirRunsNoGenerator(t *testing.T) {
	dir := copyFixture(t, "airproject")
	if err := os.Remove(filepath.Join(dir, ".air.toml")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInit(t, dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	if runs := generateRuns(t, dir); len(runs) != 0 {
		t.Errorf("generate steps %q, want none", runs)
	}
	c, _ := config.Load(dir, "", nil)
	if c.GoGenerate {
		t.Error("go_generate = true without an air config that runs go generate")
	}
	wantLines(t, "output", stdout, `found .templ files: suggested a "templ generate" step`, `found sqlc config: suggested a "sqlc generate" step`,
		`found swag annotations in cmd/api/main.go: suggested a "swag init -g cmd/api/main.go" step`,
		"found //go:generate lines: suggested go_generate = true, commented out")
	b, _ := os.ReadFile(filepath.Join(dir, config.FileName))
	wantLines(t, "ginhot.toml", string(b), "# go_generate = true\n", "# run = 'templ generate'\n", "rewriting\n# docs/**.\n")
}

// TestInitDelayAtAirsDefault: delay = 1000, as air init writes it, keeps
// ginhotd's debounce and says so; another value is carried over.
func TestInitDelayAtAirsDefault(t *testing.T) {
	dir, stdout, written := initFixture(t, "initdelay", "")
	c, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Debounce != config.Default().Debounce {
		t.Errorf("debounce %v, want ginhotd's %v", c.Debounce.D(), config.Default().Debounce.D())
	}
	wantLines(t, "output", stdout, `build.delay (line 8): not needed: 1000 is air's default (what air init writes), not a choice: ginhotd keeps debounce = "50ms"`)
	wantLines(t, "ginhot.toml", written, "# build.delay in .air.toml is not carried over: 1000 is air's default (what\n# air init writes)")
	if strings.Contains(written, "\ndebounce =") {
		t.Errorf("a debounce line was written:\n%s", written)
	}

	air := filepath.Join(dir, ".air.toml")
	b, _ := os.ReadFile(air)
	if err := os.WriteFile(air, []byte(strings.Replace(string(b), "delay = 1000", "delay = 250", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInit(t, "--force", dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	wantLines(t, "output", stdout, `build.delay (line 8): became debounce = "250ms" (not air's default 1000, so kept)`)
	written2, _ := os.ReadFile(filepath.Join(dir, config.FileName))
	wantLines(t, "ginhot.toml", string(written2), "# from build.delay: became debounce = \"250ms\" (not air's default 1000, so\n# kept)\ndebounce = '250ms'\n")
}

// TestInitChoosesTheMainBelowANamedDirectory: air builds ./cmd/..., which
// holds no package; the only main below it is written, never ./cmd/....
// With two mains below, both are listed with their targets lines and no
// target is written.
func TestInitChoosesTheMainBelowANamedDirectory(t *testing.T) {
	dir, stdout, written := initFixture(t, "initcmd", "")
	wantLines(t, "output", stdout, "found Gin main ./cmd/server\n",
		`target ./cmd/... holds no package: running ./cmd/server, the only main package below it; init writes targets = ["./cmd/server"]`)
	wantLines(t, "ginhot.toml", written, "targets = ['./cmd/server']\n")
	c, err := config.Load(dir, "", nil)
	if err != nil || !cmp.Equal(c.Targets, []string{"./cmd/server"}) {
		t.Fatalf("Load: %v, targets %q", err, c.Targets)
	}

	worker := filepath.Join(dir, "cmd", "worker")
	if err := os.MkdirAll(worker, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(worker, "main.go"), []byte("package main\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc main() { _ = gin.New().Run() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInit(t, "--force", dir)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	wantLines(t, "output", stdout, "target ./cmd/... holds no package, and 2 main packages lie below it; pick the one to run:\n"+
		`  ./cmd/server: --target ./cmd/server   or   targets = ["./cmd/server"] in ginhot.toml`+"\n"+
		`  ./cmd/worker: --target ./cmd/worker   or   targets = ["./cmd/worker"] in ginhot.toml`,
		"no target written: set targets in ginhot.toml")
	if strings.Contains(stdout, "found Gin main") {
		t.Errorf("a main was chosen:\n%s", stdout)
	}
	b, _ := os.ReadFile(filepath.Join(dir, config.FileName))
	if strings.Contains(string(b), "\ntargets =") {
		t.Errorf("a target was written:\n%s", b)
	}
	wantLines(t, "ginhot.toml", string(b), `#   ./cmd/worker: --target ./cmd/worker   or   targets = ["./cmd/worker"] in`)
}

// TestInitSaysWhatAMainIsBuiltOn: "found Gin main" only for Gin; an Echo
// app and a net/http app with a hard-coded :8080 are named as what they
// are, and each is the target.
func TestInitSaysWhatAMainIsBuiltOn(t *testing.T) {
	for _, tc := range []struct{ fixture, want string }{
		{"echoapp", "found Echo main . (labstack/echo)\n"},
		{"hardport", "found net/http main .\n"},
	} {
		dir, stdout, written := initFixture(t, tc.fixture, "")
		wantLines(t, tc.fixture+" output", stdout, tc.want, `no main package imports Gin: running ., the only one that imports net/http; init writes targets = ["."]`)
		if strings.Contains(stdout, "Gin main") {
			t.Errorf("%s: a Gin main was announced:\n%s", tc.fixture, stdout)
		}
		wantLines(t, tc.fixture+" ginhot.toml", written, "targets = ['.']\n")
		if runs := generateRuns(t, dir); len(runs) != 0 {
			t.Errorf("%s: generate steps %q", tc.fixture, runs)
		}
	}
}

// TestInitModuleInASubdirectory: the repository keeps its .air.toml at
// the root and the module in server/. init at the root says where the
// module is; init in server/ converts the repository's .air.toml.
func TestInitModuleInASubdirectory(t *testing.T) {
	repo := copyFixture(t, "monorepo")
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runInit(t, repo)
	if code == 0 || !strings.Contains(stderr, "holds no go.mod or go.work; the module is in server/: run `ginhotd init "+filepath.Join(repo, "server")+"` (it reads this directory's .air.toml)") {
		t.Fatalf("init at the repository root: exit %d, stderr %q", code, stderr)
	}
	server := filepath.Join(repo, "server")
	code, stdout, stderr := runInit(t, server)
	if code != 0 {
		t.Fatalf("init in server/ exited %d: %s", code, stderr)
	}
	wantLines(t, "output", stdout, "converted "+filepath.Join(repo, ".air.toml")+":\n",
		`build.cmd (line 5): became "cd server" not needed: ginhotd builds in the module root, which is that directory; -o ../tmp/main ignored`,
		`build.exclude_dir (line 8): became exclude globs ["tmp/**", "log/**", "web/node_modules/**"]`,
		"found Gin main .\n")
	c, err := config.Load(server, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Generate) != 0 || c.BuildCmd != "" || !cmp.Equal(c.Targets, []string{"."}) || !cmp.Equal(c.Exclude, []string{"tmp/**", "log/**", "web/node_modules/**"}) {
		t.Errorf("converted: generate %v, build_cmd %q, targets %q, exclude %q", c.Generate, c.BuildCmd, c.Targets, c.Exclude)
	}
	b, _ := os.ReadFile(filepath.Join(server, config.FileName))
	wantLines(t, "ginhot.toml", string(b), "# Written by `ginhotd init` from ../.air.toml.\n")

	// Without a repository root above it, init looks only at the module.
	if err := os.Remove(filepath.Join(repo, ".git")); err != nil {
		t.Fatal(err)
	}
	if _, stdout, _ = runInit(t, "--force", server); strings.Contains(stdout, "converted") {
		t.Errorf("an .air.toml outside the repository was read:\n%s", stdout)
	}
}
