package config

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loadAir reads an .air.toml and returns the config and the notice for key.
func loadAir(t *testing.T, content string) Config {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, ".air.toml", content)
	c, err := Load(dir, "", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func noticeFor(t *testing.T, c Config, key string) Notice {
	t.Helper()
	var found []Notice
	for _, n := range c.Notices {
		if n.Key == key {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d notices for %s, want exactly one; all: %v", len(found), key, c.Notices)
	}
	return found[0]
}

// TestEveryAirKeyHasAnAnswer checks each row of README's "Coming from air"
// table: the key's notice kind and what it did to the config.
func TestEveryAirKeyHasAnAnswer(t *testing.T) {
	tests := []struct {
		key, toml string
		kind      NoticeKind
		check     func(c Config) bool
	}{
		{"root", `root = "."`, NotNeeded, nil},
		{"root", `root = "app"`, Warning, nil},
		{"tmp_dir", `tmp_dir = "tmp"`, NotNeeded, nil},
		{"testdata_dir", `testdata_dir = "testdata"`, NotNeeded, nil},
		{"build.cmd", "[build]\ncmd = \"go build -tags dev -o ./tmp/main ./cmd/api\"", Mapped, func(c Config) bool {
			return cmp.Equal(c.Targets, []string{"./cmd/api"}) && cmp.Equal(c.Tags, []string{"dev"})
		}},
		{"build.bin", "[build]\nbin = \"./tmp/main\"", NotNeeded, nil},
		{"build.entrypoint", "[build]\nentrypoint = [\"./tmp/main\", \"serve\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Args, []string{"serve"}) }},
		{"build.full_bin", "[build]\nfull_bin = \"APP_ENV=dev ./tmp/main\"", Mapped, func(c Config) bool { return cmp.Equal(c.Env, []string{"APP_ENV=dev"}) }},
		{"build.args_bin", "[build]\nargs_bin = [\"-v\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Args, []string{"-v"}) }},
		{"build.pre_cmd", "[build]\npre_cmd = [\"npm run css\"]", Mapped, func(c Config) bool {
			return len(c.Generate) == 1 && c.Generate[0].Run == "npm run css" && cmp.Equal(c.Generate[0].Inputs, []string{"**/*.tpl", "**/*.tmpl", "**/*.html"}) && c.Generate[0].Timeout.D() == DefaultGenerateTimeout
		}},
		{"build.post_cmd", "[build]\npost_cmd = [\"docker compose down\"]", Warning, nil},
		{"build.include_ext", "[build]\ninclude_ext = [\"go\", \"tpl\", \"html\"]", Mapped, func(c Config) bool { return c.Restart[len(c.Restart)-1] == "**/*.tpl" && len(c.Restart) == 4 }},
		{"build.exclude_ext", "[build]\nexclude_ext = [\"log\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Exclude, []string{"**/*.log"}) }},
		{"build.include_dir", "[build]\ninclude_dir = [\"internal\"]", NotNeeded, nil},
		{"build.exclude_dir", "[build]\nexclude_dir = [\"assets/\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Exclude, []string{"assets/**"}) }},
		{"build.include_file", "[build]\ninclude_file = [\"config.yaml\"]", Mapped, func(c Config) bool { return c.Restart[len(c.Restart)-1] == "config.yaml" }},
		{"build.exclude_file", "[build]\nexclude_file = [\"dev.db\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Exclude, []string{"dev.db"}) }},
		{"build.exclude_regex", "[build]\nexclude_regex = [\"_test.go\", \"_templ\\\\.go$\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Exclude, []string{"**/*_templ.go"}) }},
		{"build.exclude_regex", "[build]\nexclude_regex = [\"^gen/(a|b)\"]", Warning, nil},
		{"build.exclude_regex", "[build]\nexclude_regex = [\".*_gen.go\"]", Mapped, func(c Config) bool { return cmp.Equal(c.Exclude, []string{"**/*_gen.go"}) }},
		{"build.exclude_unchanged", "[build]\nexclude_unchanged = true", NotNeeded, nil},
		{"build.follow_symlink", "[build]\nfollow_symlink = true", NotNeeded, nil},
		{"build.delay", "[build]\ndelay = 200", Mapped, func(c Config) bool { return c.Debounce.D() == 200*time.Millisecond }},
		{"build.delay", "[build]\ndelay = 1500", Mapped, func(c Config) bool { return c.Debounce.D() == 1500*time.Millisecond }},
		{"build.delay", "[build]\ndelay = 1000", NotNeeded, func(c Config) bool { return c.Debounce == Default().Debounce }},
		{"build.delay", "[build]\ndelay = 0", NotNeeded, func(c Config) bool { return c.Debounce == Default().Debounce }},
		{"build.kill_delay", "[build]\nkill_delay = 800", Mapped, func(c Config) bool { return c.KillTimeout.D() == 800*time.Millisecond }},
		{"build.kill_delay", "[build]\nkill_delay = \"2s\"", Mapped, func(c Config) bool { return c.KillTimeout.D() == 2*time.Second }},
		{"build.send_interrupt", "[build]\nsend_interrupt = true", Mapped, func(c Config) bool { return c.StopSignal == "SIGINT" }},
		{"build.stop_on_error", "[build]\nstop_on_error = true", NotNeeded, nil},
		{"build.rerun", "[build]\nrerun = true", NotNeeded, nil},
		{"build.rerun_delay", "[build]\nrerun_delay = 500", NotNeeded, nil},
		{"build.poll", "[build]\npoll = true\npoll_interval = 1000", Mapped, func(c Config) bool { return c.PollInterval() == time.Second }},
		{"build.poll", "[build]\npoll = true", Mapped, func(c Config) bool { return c.PollInterval() == 500*time.Millisecond }},
		{"build.poll_interval", "[build]\npoll_interval = 1000", NotNeeded, func(c Config) bool { return c.Poll == "auto" }},
		{"build.env_files", "[build]\nenv_files = [\".env\"]", Mapped, func(c Config) bool { return cmp.Equal(c.EnvFiles, []string{".env"}) }},
		{"build.log", "[build]\nlog = \"build-errors.log\"", NotNeeded, nil},
		{"build.rules.0", "[[build.rules]]\nname = \"assets\"\ninclude_dir = [\"web\"]\ninclude_ext = [\"js\"]\ncmd = \"npm run build\"", Mapped, func(c Config) bool {
			return len(c.Generate) == 1 && c.Generate[0].Run == "npm run build" && cmp.Equal(c.Generate[0].Inputs, []string{"web/**/*.js"})
		}},
		{"build.windows", "[build.windows]\nbin = \"tmp\\\\main.exe\"", NotNeeded, nil},
		{"build.linux.cmd", "[build]\ncmd = \"go build -o tmp/main .\"\n[build.linux]\ncmd = \"go build -o tmp/main ./cmd/linux\"", Mapped, func(c Config) bool { return cmp.Equal(c.Targets, []string{"./cmd/linux"}) }},
		{"proxy.enabled", "[proxy]\nenabled = true", Mapped, func(c Config) bool { return c.Proxy && c.LiveReload }},
		{"proxy.proxy_port", "[proxy]\nproxy_port = 8090", Mapped, func(c Config) bool { return c.Addr == "127.0.0.1:8090" }},
		{"proxy.app_port", "[proxy]\napp_port = 3000", NotNeeded, nil},
		{"proxy.proxy_port", "[proxy]\nenabled = false\nproxy_port = 0", NotNeeded, func(c Config) bool { return c.Addr == Default().Addr }},
		{"screen.clear_on_rebuild", "[screen]\nclear_on_rebuild = true", NotNeeded, nil},
		{"screen.keep_scroll", "[screen]\nkeep_scroll = true", NotNeeded, nil},
		{"misc.clean_on_exit", "[misc]\nclean_on_exit = true", NotNeeded, nil},
		{"log.time", "[log]\ntime = true", NotNeeded, nil},
		{"color.main", "[color]\nmain = \"magenta\"", NotNeeded, nil},
		{"build.speed", "[build]\nspeed = 9", Warning, nil},
		{"extra", "[extra]\nx = 1", Warning, nil},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			c := loadAir(t, tc.toml+"\n")
			n := noticeFor(t, c, tc.key)
			if n.Kind != tc.kind {
				t.Errorf("notice %v: kind %d, want %d", n, n.Kind, tc.kind)
			}
			if n.Line == 0 || !strings.HasSuffix(n.File, ".air.toml") {
				t.Errorf("notice %v: no line or file", n)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("config not mapped as documented: %+v", c)
			}
		})
	}
}

func TestAirCmdIsTakenApart(t *testing.T) {
	tests := []struct {
		name, cmd string
		want      func(c Config) string
	}{
		{"templ then go build", `templ generate && go build -o ./tmp/main ./cmd/api`, func(c Config) string {
			return cmp.Diff([]Generate{{Run: "templ generate", Inputs: []string{"**/*.templ"}, Outputs: []string{"**/*_templ.go"}, Timeout: Duration(DefaultGenerateTimeout)}}, c.Generate) +
				cmp.Diff([]string{"./cmd/api"}, c.Targets) + cmp.Diff("", c.BuildCmd)
		}},
		{"swag; sqlc; flags", `swag init -g cmd/api/main.go -o api/docs; sqlc generate && CGO_ENABLED=1 go build -race -trimpath -mod=vendor -gcflags "all=-N -l" -ldflags "-X main.v=dev" -tags=dev,pg -o tmp/main main.go`, func(c Config) string {
			return cmp.Diff([]string{"swag init -g cmd/api/main.go -o api/docs", "sqlc generate"}, []string{c.Generate[0].Run, c.Generate[1].Run}) +
				cmp.Diff([]string{"api/docs/**"}, c.Generate[0].Outputs) +
				cmp.Diff([]string{"-race", "-trimpath", "-mod=vendor", "-gcflags=all=-N -l"}, c.BuildFlags) +
				cmp.Diff("-X main.v=dev", c.LDFlags) + cmp.Diff([]string{"dev", "pg"}, c.Tags) +
				cmp.Diff([]string{"CGO_ENABLED=1"}, c.BuildEnv) + cmp.Diff([]string{"."}, c.Targets)
		}},
		{"go generate", `go generate ./... && go build -o ./tmp/main .`, func(c Config) string {
			return cmp.Diff(true, c.GoGenerate) + cmp.Diff(0, len(c.Generate))
		}},
		{"make", `make build`, func(c Config) string {
			return cmp.Diff("make build", c.BuildCmd) + cmp.Diff("./bin/app", c.Bin)
		}},
		{"script with a pipe", `./build.sh | tee build.log`, func(c Config) string {
			return cmp.Diff(`sh -c './build.sh | tee build.log'`, c.BuildCmd)
		}},
		{"two steps without go build", `templ generate && make`, func(c Config) string {
			return cmp.Diff(`sh -c 'templ generate && make'`, c.BuildCmd)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loadAir(t, "[build]\ncmd = '"+tc.cmd+"'\nbin = \"./bin/app\"\n")
			if d := tc.want(c); d != "" {
				t.Errorf("cmd %q (-want +got):\n%s", tc.cmd, d)
			}
			n := noticeFor(t, c, "build.cmd")
			if !strings.Contains(n.Message, "became") {
				t.Errorf("notice %v does not say what cmd became", n)
			}
		})
	}
}

func TestAirCmdNoticeSaysOIsIgnored(t *testing.T) {
	c := loadAir(t, "[build]\ncmd = \"go build -o ./tmp/main .\"\n")
	if n := noticeFor(t, c, "build.cmd"); !strings.Contains(n.Message, "-o ./tmp/main ignored") {
		t.Fatalf("notice = %v", n)
	}
}

func TestDlvEntrypointIsExplained(t *testing.T) {
	c := loadAir(t, "[build]\nfull_bin = \"dlv exec ./tmp/main --headless --listen=:2345 --continue -- --port 3000\"\n")
	n := noticeFor(t, c, "build.full_bin")
	if n.Kind != Warning || !strings.Contains(n.Message, "dlv") || !strings.Contains(n.Message, "--debug") {
		t.Errorf("notice = %v", n)
	}
	if diff := cmp.Diff([]string{"--port", "3000"}, c.Args); diff != "" {
		t.Errorf("args after -- (-want +got):\n%s", diff)
	}
}

func TestConfigDirAirFileAndExplicitAirFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".config", "")
	c, err := Load(dir, "", nil)
	if err != nil || c.File != "" {
		t.Fatalf("a file named .config is not air's dir: %v %q", err, c.File)
	}
	dir = t.TempDir()
	mkdir(t, filepath.Join(dir, ".config"))
	write(t, dir, ".config/air.toml", "[build]\ndelay = 300\n")
	c, err = Load(dir, "", nil)
	if err != nil || c.File != filepath.Join(dir, ".config/air.toml") || c.Debounce.D() != 300*time.Millisecond {
		t.Fatalf(".config/air.toml not read: %v %q %v", err, c.File, c.Debounce.D())
	}
	other := t.TempDir()
	write(t, other, ".air.toml", "[build]\ndelay = 400\n")
	c, err = Load(t.TempDir(), filepath.Join(other, ".air.toml"), nil)
	if err != nil || c.Debounce.D() != 400*time.Millisecond {
		t.Fatalf("--config .air.toml not read as air's: %v %v", err, c.Debounce.D())
	}
}

func TestGinhotTomlNewKeys(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, FileName, `go_generate = true
env_files = [".env", ".env.local"]
build_cmd = "make build"
bin = "./bin/app"

[[generate]]
run = "templ generate"
inputs = ["**/*.templ"]
outputs = ["**/*_templ.go"]
timeout = "2m"

[[generate]]
run = "npm run css"
`)
	c, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Generate{
		{Run: "templ generate", Inputs: []string{"**/*.templ"}, Outputs: []string{"**/*_templ.go"}, Timeout: Duration(2 * time.Minute)},
		{Run: "npm run css", Timeout: Duration(DefaultGenerateTimeout)},
	}
	if diff := cmp.Diff(want, c.Generate); diff != "" {
		t.Errorf("generate (-want +got):\n%s", diff)
	}
	if !c.GoGenerate || c.BuildCmd != "make build" || c.Bin != "./bin/app" || len(c.EnvFiles) != 2 {
		t.Errorf("new keys not read: %+v", c)
	}
}

func TestGenerateAndBuildCmdAreValidated(t *testing.T) {
	tests := []struct{ file, want string }{
		{"[[generate]]\ninputs = [\"*.x\"]\n", "[[generate]] #1: run is empty"},
		{"[[generate]]\nrun = \"x\"\ntimeout = 60\n", `ginhot.toml:3: key "generate.0.timeout": a bare number has no unit`},
		{"[[generate]]\nrun = \"x\"\nimputs = [\"a\"]\n", `ginhot.toml:3: unknown key "generate.0.imputs"`},
		{"[[generate]]\nrun = \"x\"\n[[generate]]\nrun = 'y'\ninputs = \"*.sql\"\n", `ginhot.toml:5: key "generate.1.inputs": want an array of strings, found string "*.sql"`},
		{"[[generate]]\nrun = \"x\"\noutputs = [\"../elsewhere/*.go\"]\n", `[[generate]] #1: outputs: "../elsewhere/*.go": must stay inside the module`},
		{"[[generate]]\nrun = \"x\"\ninputs = [\"/etc/*\"]\n", `must be relative to the module root`},
		{"[[generate]]\nrun = \"x\"\ninputs = [\"a/[b\"]\n", `not a valid glob`},
		{"[[generate]]\nrun = \"templ 'generate\"\n", `a single quote is not closed`},
		{"generate = \"templ generate\"\n", `key "generate": want an array of tables ([[generate]]), found string`},
		{"build_cmd = \"make\"\n", "build_cmd needs bin"},
		{"bin = \"./x\"\n", "set build_cmd too"},
		{"env_files = [\"\"]\n", "env_files: an empty file name"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		write(t, dir, FileName, tc.file)
		_, err := Load(dir, "", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.file, err, tc.want)
		}
		if err != nil {
			assertUserWorded(t, err.Error())
		}
	}
}

func TestAirWrongTypesAndBadRules(t *testing.T) {
	tests := []struct{ air, want string }{
		{"[build]\n\nsend_interrupt = \"yes\"\n", `.air.toml:3: key "build.send_interrupt": want a boolean (true or false), found string "yes"`},
		{"[proxy]\nproxy_port = \"8090\"\n", `.air.toml:2: key "proxy.proxy_port": want a port number from 1 to 65535 (0: unset), found string "8090"`},
		{"build = 3\n", `.air.toml:1: key "build": want a table ([build]), found integer 3`},
		{"[build]\nentrypoint = 5\n", `key "build.entrypoint": want a string or an array of strings, found integer 5`},
		{"[[build.rules]]\nname = \"x\"\ncmd = \"npm run build\"\n", `.air.toml:1: key "build.rules.0": a rule needs include_dir, include_ext or include_file`},
		{"[[build.rules]]\ninclude_ext = [\"js\"]\n", `key "build.rules.0": a rule needs cmd`},
		{"[build]\nfull_bin = \"./tmp/main 'x\"\n", `key "build.full_bin": a single quote is not closed`},
		{"[build]\nrerun_delay = 1.5\n", `key "build.rerun_delay": want an integer number of milliseconds, found number 1.5`},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		write(t, dir, ".air.toml", tc.air)
		_, err := Load(dir, "", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v\nwant it to contain %s", tc.air, err, tc.want)
		}
		if err != nil {
			assertUserWorded(t, err.Error())
		}
	}
}

func TestGeneratorOutputsStayWatched(t *testing.T) {
	c := loadAir(t, "[build]\ncmd = \"templ generate && go build -o ./tmp/main .\"\nexclude_regex = [\"_test.go\", \"_templ.go\"]\n")
	if len(c.Exclude) != 0 {
		t.Errorf("exclude = %q: templ's output must stay watched", c.Exclude)
	}
	if n := noticeFor(t, c, "build.exclude_regex"); !strings.Contains(n.Message, "is not excluded") {
		t.Errorf("notice = %v, want it to say why _templ.go is not excluded", n)
	}
}

func TestDurationMarshalsShort(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Minute: "1m", 90 * time.Second: "90s", 1500 * time.Millisecond: "1.5s", 0: "0s"} {
		if b, _ := Duration(d).MarshalText(); string(b) != want {
			t.Errorf("%v marshals as %q, want %q", d, b, want)
		}
	}
}

// TestAirDelayAtAirsDefaultIsNotCarriedOver checks that delay = 1000 (what
// air init writes) and 0 (which air reads as 1000) keep ginhotd's debounce,
// and that the notice says which happened and why.
func TestAirDelayAtAirsDefaultIsNotCarriedOver(t *testing.T) {
	tests := []struct {
		toml string
		want time.Duration
		msg  string
	}{
		{"[build]\ndelay = 1000\n", Default().Debounce.D(), `1000 is air's default (what air init writes), not a choice: ginhotd keeps debounce = "50ms", as it coalesces saves and cancels a build a newer save makes stale; set debounce to change it`},
		{"[build]\ndelay = 0\n", Default().Debounce.D(), `0 means air's default, 1000, not a choice: ginhotd keeps debounce = "50ms"`},
		{"[build]\ndelay = 300\n", 300 * time.Millisecond, `became debounce = "300ms" (not air's default 1000, so kept)`},
		{"[build." + runtime.GOOS + "]\ndelay = 1000\n", Default().Debounce.D(), "1000 is air's default"},
	}
	for _, tc := range tests {
		c := loadAir(t, tc.toml)
		if c.Debounce.D() != tc.want {
			t.Errorf("%q: debounce %v, want %v", tc.toml, c.Debounce.D(), tc.want)
		}
		var msgs []string
		for _, n := range c.Notices {
			msgs = append(msgs, n.Message)
		}
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], tc.msg) {
			t.Errorf("%q: notices %q, want one starting %q", tc.toml, msgs, tc.msg)
		}
	}
}

// TestRepositoryAirFileAboveTheModule checks an .air.toml at a
// repository's root read for the module in its server/ directory: `cd
// server` before go build is where ginhotd builds anyway, paths under
// server/ become relative to the module, and a cd elsewhere keeps the
// whole cmd as build_cmd.
func TestRepositoryAirFileAboveTheModule(t *testing.T) {
	repo := t.TempDir()
	write(t, repo, ".air.toml", "[build]\ncmd = \"cd server && go build -o ../tmp/main ./cmd/api\"\nexclude_dir = [\"server/log\", \"./server/tmp\", \"docs\"]\n")
	if err := os.Mkdir(filepath.Join(repo, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, repo, "server/go.mod", "module example.com/server\n\ngo 1.22\n")
	c, err := Load(filepath.Join(repo, "server"), filepath.Join(repo, ".air.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Generate) != 0 || c.BuildCmd != "" || !cmp.Equal(c.Targets, []string{"./cmd/api"}) {
		t.Errorf("cd server && go build: generate %v, build_cmd %q, targets %q", c.Generate, c.BuildCmd, c.Targets)
	}
	if n := noticeFor(t, c, "build.cmd"); !strings.Contains(n.Message, `"cd server" not needed: ginhotd builds in the module root`) {
		t.Errorf("build.cmd notice: %s", n)
	}
	if diff := cmp.Diff([]string{"log/**", "tmp/**", "docs/**"}, c.Exclude); diff != "" {
		t.Errorf("exclude (-want +got):\n%s", diff)
	}

	write(t, repo, ".air.toml", "[build]\ncmd = \"cd web && go build -o ../tmp/main .\"\n")
	c, err = Load(filepath.Join(repo, "server"), filepath.Join(repo, ".air.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Generate) != 0 || c.BuildCmd != `sh -c 'cd web && go build -o ../tmp/main .'` {
		t.Errorf("cd web && go build: generate %v, build_cmd %q", c.Generate, c.BuildCmd)
	}
}

// TestLoadFindsTheRepositoryAirFile: with no config file of its own, the
// module in server/ reads the .air.toml at the repository root (the
// directory holding .git), its paths rebased; without .git above the
// module, the .air.toml above it is not the module's.
func TestLoadFindsTheRepositoryAirFile(t *testing.T) {
	repo := t.TempDir()
	mkdir(t, filepath.Join(repo, ".git"))
	mkdir(t, filepath.Join(repo, "apps", "server"))
	write(t, repo, ".air.toml", "[build]\ncmd = \"cd apps/server && go build -o ../../tmp/main .\"\nexclude_dir = [\"apps/server/log\", \"web\"]\ndelay = 300\n")
	server := filepath.Join(repo, "apps", "server")
	write(t, server, "go.mod", "module example.com/server\n\ngo 1.22\n")
	c, err := Load(server, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != filepath.Join(repo, ".air.toml") || c.Debounce.D() != 300*time.Millisecond || c.BuildCmd != "" {
		t.Fatalf("file %q, debounce %v, build_cmd %q: the repository's .air.toml was not read", c.File, c.Debounce.D(), c.BuildCmd)
	}
	if diff := cmp.Diff([]string{"log/**", "web/**"}, c.Exclude); diff != "" {
		t.Errorf("exclude (-want +got):\n%s", diff)
	}

	// The module's own wins over the repository's.
	write(t, server, ".air.toml", "[build]\ndelay = 400\n")
	if c, err = Load(server, "", nil); err != nil || c.File != filepath.Join(server, ".air.toml") {
		t.Fatalf("the module's own .air.toml: %v, read %q", err, c.File)
	}
	if err := os.Remove(filepath.Join(server, ".air.toml")); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filepath.Join(repo, ".git")); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(server, "", nil); err != nil || c.File != "" {
		t.Fatalf("without .git: %v, read %q", err, c.File)
	}
}

// TestAirScriptStepsTakeAirsWatchedFiles checks that a command ginhotd
// knows nothing of, in cmd or pre_cmd, runs when a file air watched
// changes: its inputs are include_ext but go, under include_dir, plus
// include_file; and that a template still restarts the app, as air's
// rebuild did.
func TestAirScriptStepsTakeAirsWatchedFiles(t *testing.T) {
	tests := []struct {
		name, toml string
		want       []Generate
	}{
		{"yarn before go build", "[build]\ncmd = \"yarn build:css:dev && go build -o ./tmp/main .\"\ninclude_ext = [\"go\", \"tpl\", \"tmpl\", \"html\"]\n",
			[]Generate{{Run: "yarn build:css:dev", Inputs: []string{"**/*.tpl", "**/*.tmpl", "**/*.html"}}}},
		{"make before go build, air's default include_ext", "[build]\ncmd = \"make assets && go build -o ./tmp/main .\"\n",
			[]Generate{{Run: "make assets", Inputs: []string{"**/*.tpl", "**/*.tmpl", "**/*.html"}}}},
		{"include_dir and include_file", "[build]\npre_cmd = [\"npm run css\"]\ninclude_ext = [\".go\", \"css\"]\ninclude_dir = [\"./web\", \"views/\"]\ninclude_file = [\"main.go\", \"tailwind.config.js\"]\n",
			[]Generate{{Run: "npm run css", Inputs: []string{"web/**/*.css", "views/**/*.css", "tailwind.config.js"}}}},
		{"every extension", "[build]\npre_cmd = [\"./gen.sh\"]\ninclude_ext = [\"*\"]\n",
			[]Generate{{Run: "./gen.sh", Inputs: []string{"**"}}}},
		{"only go watched", "[build]\ncmd = \"./gen.sh && go build -o ./tmp/main .\"\ninclude_ext = [\"go\"]\n",
			[]Generate{{Run: "./gen.sh"}}},
		{"pre_cmd before cmd, templ keeps its own inputs", "[build]\npre_cmd = [\"npm run css\"]\ncmd = \"templ generate && go build -o ./tmp/main .\"\ninclude_ext = [\"go\", \"templ\", \"html\"]\n",
			[]Generate{{Run: "npm run css", Inputs: []string{"**/*.templ", "**/*.html"}}, {Run: "templ generate", Inputs: []string{"**/*.templ"}, Outputs: []string{"**/*_templ.go"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loadAir(t, tc.toml)
			for i := range tc.want {
				tc.want[i].Timeout = Duration(DefaultGenerateTimeout)
			}
			if d := cmp.Diff(tc.want, c.Generate); d != "" {
				t.Errorf("generate (-want +got):\n%s", d)
			}
			if strings.Contains(tc.toml, `"html"`) && !slices.Contains(c.Restart, "**/*.html") {
				t.Errorf("restart = %q: a template is a step input and still restarts the app, as air's rebuild did", c.Restart)
			}
		})
	}
}

// TestAirFileWithByteOrderMark checks an .air.toml that starts with a UTF-8
// byte order mark (as Windows editors save it): air reads it, so ginhotd
// must too, with the lines of its keys unchanged.
func TestAirFileWithByteOrderMark(t *testing.T) {
	c := loadAir(t, "\xef\xbb\xbfroot = \".\"\n[build]\ncmd = \"go build -o worker ./cmd/api\"\ndelay = 100\n")
	if len(c.Targets) != 1 || c.Targets[0] != "./cmd/api" {
		t.Errorf("targets %q, want [./cmd/api]", c.Targets)
	}
	if n := noticeFor(t, c, "build.delay"); n.Line != 4 {
		t.Errorf("build.delay notice on line %d, want 4", n.Line)
	}
}
