//go:build unix

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests run `ginhotd init`, then `ginhotd run` with no flag but a
// free --addr, on fixture modules shaped like the real projects of issue
// 19: each serves, reloads three edits under load with no request failed,
// and says the true cause of what it did.

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// initBinary runs `ginhotd init dir` and returns what it printed.
func initBinary(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(binary, "init", dir)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GOCACHE="+gocache)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ginhotd init %s: %v\n%s", dir, err, out)
	}
	return string(out)
}

// initAndRun runs init on dir, then run with --addr addr, and waits until
// the first version serves; d.url is where the proxy serves it.
func initAndRun(t *testing.T, dir, addr string) (d *daemon, initOut string) {
	t.Helper()
	initOut = initBinary(t, dir)
	d = launchAt(t, dir, "--addr", addr)
	d.await("first version ready", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	st := d.await("status with URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != ""
	})
	d.url = st.Status.Targets[0].URL
	return d, initOut
}

// setFile rewrites dir/rel, replacing old (which must be there) by new.
func setFile(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineOf returns the 1-based line of dir/rel that holds s.
func lineOf(t *testing.T, dir, rel, s string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s holds no %q", rel, s)
	return 0
}

// ownPortNotice waits for the warning about the app's own port and checks
// that it names the port, the fix for the framework and the listen call.
func ownPortNotice(t *testing.T, d *daemon, port, fix, at string) {
	t.Helper()
	w := d.await("the own-port notice", 5*time.Second, func(e event) bool { return e.Event == "warn" && strings.Contains(e.Message, "listens on :") })
	for _, want := range []string{"listens on :" + port + " itself", "the proxy at " + d.url + " forwards there", "requests held in between", fix, at} {
		if !strings.Contains(w.Message, want) {
			t.Errorf("notice %q lacks %q", w.Message, want)
		}
	}
}

// TestProjectPortFromConfigFile: a Gin app that reads its port from
// config.yaml is served through the proxy, told so at its r.Run line.
func TestProjectPortFromConfigFile(t *testing.T) {
	dir := copyFixture(t, "cfgport")
	port := freePort(t)
	setFile(t, dir, "config.yaml", "port: 8081", "port: "+port)
	d, out := initAndRun(t, dir, "127.0.0.1:"+freePort(t))
	wantLines(t, "init output", out, "found Gin main .\n")
	ownPortNotice(t, d, port, "r.Run() with no address (Gin reads PORT)", "at main.go:"+strconv.Itoa(lineOf(t, dir, "main.go", "r.Run(")))
	reloadUnderLoad(t, d)
}

// TestProjectPortFromEnvFile: a net/http app on $APP_PORT, set in .env,
// which init adds to env_files.
func TestProjectPortFromEnvFile(t *testing.T) {
	dir := copyFixture(t, "envport")
	port := freePort(t)
	setFile(t, dir, ".env", "APP_PORT=8082", "APP_PORT="+port)
	d, out := initAndRun(t, dir, "127.0.0.1:"+freePort(t))
	wantLines(t, "init output", out, "found net/http main .\n", ".env")
	ownPortNotice(t, d, port, `http.ListenAndServe(":"+os.Getenv("PORT"), …)`, "at main.go:"+strconv.Itoa(lineOf(t, dir, "main.go", "srv.ListenAndServe()")))
	reloadUnderLoad(t, d)
}

// TestProjectEcho: an Echo app on a port of its own.
func TestProjectEcho(t *testing.T) {
	dir := copyFixture(t, "echoapp")
	port := freePort(t)
	setFile(t, dir, "main.go", `":1323"`, `":`+port+`"`)
	d, out := initAndRun(t, dir, "127.0.0.1:"+freePort(t))
	wantLines(t, "init output", out, "found Echo main . (labstack/echo)\n")
	ownPortNotice(t, d, port, `e.Start(":" + os.Getenv("PORT"))`, "at main.go:"+strconv.Itoa(lineOf(t, dir, "main.go", "e.Start(")))
	reloadUnderLoad(t, d)
}

// TestProjectHardCodedProxyAddress: a net/http app hard-coded to the
// proxy's address (":8080" against the default 127.0.0.1:8080; here a
// free port, both in main.go and --addr) keeps it, and the proxy moves.
func TestProjectHardCodedProxyAddress(t *testing.T) {
	dir := copyFixture(t, "hardport")
	port := freePort(t)
	setFile(t, dir, "main.go", `":8080"`, `":`+port+`"`)
	addr := "127.0.0.1:" + port
	d, _ := initAndRun(t, dir, addr)
	w := d.await("the proxy moves", 5*time.Second, func(e event) bool { return e.Event == "warn" && strings.Contains(e.Message, "the proxy moved to") })
	st := d.await("status with the moved URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != "" && e.Status.Targets[0].URL != "http://"+addr
	})
	d.url = st.Status.Targets[0].URL
	for _, want := range []string{"listens on :" + port + ", the address ginhotd's proxy had", "the proxy moved to " + d.url,
		`http.ListenAndServe(":"+os.Getenv("PORT"), …) at main.go:` + strconv.Itoa(lineOf(t, dir, "main.go", "http.ListenAndServe("))} {
		if !strings.Contains(w.Message, want) {
			t.Errorf("notice %q lacks %q", w.Message, want)
		}
	}
	if got := fetch(t, "http://"+addr+"/"); got != "v1" {
		t.Fatalf("the app on its own address answers %q", got)
	}
	reloadUnderLoad(t, d)
}

// TestProjectTemplWithoutGeneratedFiles: a templ project whose *_templ.go
// are not committed; its air config runs templ generate, so init makes it
// a step. It builds once at start, and a .templ edit is served.
func TestProjectTemplWithoutGeneratedFiles(t *testing.T) {
	needTool(t, "templ", "go install github.com/a-h/templ/cmd/templ@v0.3.1100")
	dir := copyFixture(t, "templapp")
	d, out := initAndRun(t, dir, "127.0.0.1:"+freePort(t))
	wantLines(t, "init output", out, "your air config runs templ")
	if n := count(d.since(0), "build_start"); n != 1 {
		t.Errorf("%d builds before the first version served, want 1", n)
	}
	if got, _, _ := strings.Cut(d.get("/"), "<script>"); got != "<p>v1</p>" {
		t.Fatalf("GET / = %q", got)
	}
	reloadUnderLoadBy(t, d, func(v string) string {
		d.write("views/page.templ", "package views\n\ntempl Page() {\n\t<p>"+v+"</p>\n}\n")
		return "<p>" + v + "</p>"
	})
}

// TestProjectModuleInSubdirectory: the module is in server/, the
// .air.toml and the .gitignore at the repository root. The app logs each
// request into logs/, which only the repository's .gitignore ignores: no
// log write is reported as a change.
func TestProjectModuleInSubdirectory(t *testing.T) {
	repo := copyFixture(t, "monorepo")
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(repo, "server")
	d, out := initAndRun(t, server, "127.0.0.1:"+freePort(t))
	wantLines(t, "init output", out, "converted "+filepath.Join(repo, ".air.toml")+":\n", "found Gin main .\n")
	if got := d.get("/health"); got != "ok" {
		t.Fatalf("GET /health = %q", got)
	}
	reloadUnderLoad(t, d)
	if _, err := os.Stat(filepath.Join(server, "logs", "access.log")); err != nil {
		t.Fatalf("the app logged nothing: %v", err)
	}
	for _, e := range d.since(0) {
		if e.Event == "skip" && e.Reason != "" && !strings.HasPrefix(e.Reason, "package graph loaded") {
			t.Errorf("a change was reported: %+v", e)
		}
	}
}

// TestRunReadsTheRepositoryAirFile: with no ginhot.toml, `ginhotd run` in
// server/ reads the .air.toml at the repository root, as init does, and
// says so.
func TestRunReadsTheRepositoryAirFile(t *testing.T) {
	repo := copyFixture(t, "monorepo")
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := startDaemonIn(t, filepath.Join(repo, "server"))
	want := "ginhotd: read ../.air.toml: keys: "
	if got := d.stderr.String(); !strings.Contains(got, want) || !strings.Contains(got, "(ginhotd init --from "+filepath.Join(repo, ".air.toml")+" shows each)") {
		t.Fatalf("stderr lacks %q and the init hint:\n%s", want, got)
	}
	m := d.mark()
	d.write("msg/msg.go", msgSource("v2"))
	d.awaitAfter(m, "ready after edit", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	if got := d.get("/"); got != "v2" {
		t.Fatalf("after the edit GET / = %q, want v2", got)
	}
}
