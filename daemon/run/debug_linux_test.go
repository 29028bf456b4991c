package run

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/internal/dap"
	"github.com/ginhotd/ginhotd/internal/testkit"
)

// needDlv returns Delve's path, or skips the test when it is not installed;
// under CI (the CI variable set) a missing Delve fails the test.
func needDlv(t *testing.T) string {
	t.Helper()
	dlv, err := FindDlv(t.Context())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return dlv
}

// debugApp copies testdata/debugapp to a temporary directory and returns
// the copy's main.go and the line of its breakpoint comment.
func debugApp(t *testing.T) (mainGo string, line int) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "main.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", "debugapp", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mainGo = filepath.Join(dir, "main.go")
	b, _ := os.ReadFile(mainGo)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(l, "// breakpoint") {
			return mainGo, i + 1
		}
	}
	t.Fatal("no breakpoint line in testdata/debugapp/main.go")
	return "", 0
}

// buildDebug builds the app in dir for the debugger.
func buildDebug(t *testing.T, dir string) string {
	t.Helper()
	res, err := build.Run(t.Context(), build.Options{
		Dir: dir, OutDir: filepath.Join(dir, "bin"), Debug: true, Modules: []string{"example.com/debugapp"},
		Env: []string{"GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local"},
	}, ".")
	if err != nil || !res.OK {
		t.Fatalf("debug build: %v %s", err, res.Output)
	}
	t.Logf("debug build took %v", res.Duration)
	return res.Binary
}

// startDebug starts bin under Delve, waits until the app serves, and at
// the end of the test stops it and checks that neither Delve nor the app
// is left. It returns the app's address.
func startDebug(t *testing.T, dlv, bin string) (*Process, string) {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	c := &collector{}
	p, err := Start(Spec{Name: "debugapp", Path: bin, Env: []string{"PORT=" + port}, Output: c.output, Debug: &DebugSpec{Dlv: dlv}})
	if err != nil {
		t.Fatal(err)
	}
	dlvPID, appPID := p.PID(), p.AppPID()
	t.Cleanup(func() {
		p.Stop()
		assertGone(t, dlvPID, appPID)
	})
	if appPID == 0 || appPID == dlvPID {
		t.Fatalf("AppPID = %d, dlv %d: want Delve's child", appPID, dlvPID)
	}
	if !strings.HasPrefix(p.DebugAddr(), "127.0.0.1:") {
		t.Fatalf("DebugAddr = %q", p.DebugAddr())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := WaitListening(ctx, addr); err != nil {
		t.Fatalf("%v; output %+v", err, c.all())
	}
	return p, addr
}

// assertGone fails unless the processes end within a few seconds.
func assertGone(t *testing.T, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		testkit.Eventually(t, 5*time.Second, "process to end", func() bool { return gone(pid) })
	}
}

// fetch GETs http://addr+path in the background; the body or error
// arrives on the channel.
func fetch(addr, path string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			ch <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- string(b)
	}()
	return ch
}

// attach attaches a DAP client to p with a breakpoint at file:line, as an
// editor does, and checks that Delve counts it while the app runs on.
func attach(t *testing.T, ctx context.Context, p *Process, file string, line int) *dap.Client {
	t.Helper()
	c, err := dap.AttachWithBreakpoint(ctx, p.DebugAddr(), file, line)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	testkit.Eventually(t, 5*time.Second, "an attached client, app running", func() bool {
		st, err := p.DebugState(ctx)
		return err == nil && st.Clients == 1 && !st.Stopped
	})
	return c
}

// hit sends a request to the app at addr, checks that it stops at
// file:line and that p is busy meanwhile, continues, and checks the body.
func hit(t *testing.T, ctx context.Context, c *dap.Client, p *Process, addr, file string, line int, want string) {
	t.Helper()
	body := fetch(addr, "/")
	st, err := c.WaitStopped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.TopFrame(ctx, st.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reason != "breakpoint" || f.Source.Path != file || f.Line != line {
		t.Fatalf("stopped (%s) at %s:%d; want a breakpoint at %s:%d", st.Reason, f.Source.Path, f.Line, file, line)
	}
	if st, err := p.DebugState(ctx); err != nil || !st.Busy() {
		t.Fatalf("DebugState at a breakpoint = %+v, %v; want busy", st, err)
	}
	select {
	case b := <-body:
		t.Fatalf("response %q while the app is halted", b)
	default:
	}
	if err := c.Continue(ctx, st.ThreadID); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-body:
		if b != want {
			t.Fatalf("body %q; want %q", b, want)
		}
	case <-ctx.Done():
		t.Fatal("no response after continue")
	}
}

// TestDebugAcrossVersions is what an editor does across a reload: attach
// to version 1, stop at a breakpoint in a handler, then attach to version 2
// (an edited handler, running next to version 1 on a port of its own) and
// stop at the same line there.
func TestDebugAcrossVersions(t *testing.T) {
	dlv := needDlv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	mainGo, line := debugApp(t)
	dir := filepath.Dir(mainGo)

	p1, addr1 := startDebug(t, dlv, buildDebug(t, dir))
	c1 := attach(t, ctx, p1, mainGo, line)
	hit(t, ctx, c1, p1, addr1, mainGo, line, "v1")

	src, _ := os.ReadFile(mainGo)
	if err := os.WriteFile(mainGo, []byte(strings.Replace(string(src), `"v1"`, `"v2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p2, addr2 := startDebug(t, dlv, buildDebug(t, dir))
	if p2.DebugAddr() == p1.DebugAddr() {
		t.Fatalf("both versions debug on %s", p1.DebugAddr())
	}
	c2 := attach(t, ctx, p2, mainGo, line)
	hit(t, ctx, c2, p2, addr2, mainGo, line, "v2")

	// Version 1 is retired with the editor still attached and the app
	// running: Delve ignores SIGTERM then, so Stop must not rely on it.
	start := time.Now()
	if err := p1.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop with a client attached, app running: %v", time.Since(start))
	assertGone(t, p1.PID(), p1.AppPID())

	// Version 2 is stopped while halted at the breakpoint, a request held.
	body := fetch(addr2, "/")
	if _, err := c2.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := p2.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop at a breakpoint: %v", time.Since(start))
	assertGone(t, p2.PID(), p2.AppPID())
	if b := <-body; !strings.HasPrefix(b, "error: ") {
		t.Errorf("held request got %q; want an error once the version is stopped", b)
	}
}

// TestDebugDlvKilled: Delve killed from outside (as by the OOM killer)
// leaves its child in a group of its own; the app must not survive it.
func TestDebugDlvKilled(t *testing.T) {
	dlv := needDlv(t)
	mainGo, line := debugApp(t)
	p, _ := startDebug(t, dlv, buildDebug(t, filepath.Dir(mainGo)))
	attach(t, t.Context(), p, mainGo, line)
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, p)
	assertGone(t, p.AppPID())
}

// TestDebugAppExits: an app that exits under Delve ends the Process, with
// its exit status, although Delve would wait for clients.
func TestDebugAppExits(t *testing.T) {
	dlv := needDlv(t)
	mainGo, _ := debugApp(t)
	p, addr := startDebug(t, dlv, buildDebug(t, filepath.Dir(mainGo)))
	<-fetch(addr, "/exit")
	waitExited(t, p)
	if err := p.ExitErr(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("ExitErr = %v; want exit status 3", err)
	}
}

// TestDebugStartErrors: a taken port is a start error that names Delve's
// complaint; sockets cannot be passed through Delve.
func TestDebugStartErrors(t *testing.T) {
	dlv := needDlv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mainGo, _ := debugApp(t)
	bin := buildDebug(t, filepath.Dir(mainGo))
	_, err = Start(Spec{Name: "debugapp", Path: bin, Debug: &DebugSpec{Dlv: dlv, Addr: l.Addr().String()}})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Start on a taken port: %v; want Delve's \"address already in use\"", err)
	}
	_, err = Start(Spec{Name: "debugapp", Path: bin, ExtraFiles: []*os.File{os.Stdin}, Debug: &DebugSpec{Dlv: dlv}})
	if !errors.Is(err, errNoSocketActivationUnderDlv) {
		t.Errorf("Start with sockets under Delve: %v", err)
	}
}

func TestFindDlv(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv("GOBIN", "")
	t.Setenv("GOPATH", empty)
	t.Setenv("HOME", empty)
	_, err := FindDlv(t.Context())
	if !errors.Is(err, ErrDlvNotFound) || !strings.Contains(err.Error(), DlvInstall) {
		t.Errorf("FindDlv with no dlv: %v; want ErrDlvNotFound with %q", err, DlvInstall)
	}

	bin := filepath.Join(empty, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(version string) {
		script := "#!/bin/sh\nprintf 'Delve Debugger\\nVersion: " + version + "\\nBuild: x\\n'\n"
		if err := os.WriteFile(filepath.Join(bin, "dlv"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("1.20.1")
	_, err = FindDlv(t.Context())
	if err == nil || !strings.Contains(err.Error(), "1.20.1") || !strings.Contains(err.Error(), DlvInstall) {
		t.Errorf("FindDlv with dlv 1.20.1 in GOPATH/bin: %v; want a too-old error with %q", err, DlvInstall)
	}
	write("1.27.2")
	if got, err := FindDlv(t.Context()); err != nil || got != filepath.Join(bin, "dlv") {
		t.Errorf("FindDlv = %q, %v; want %s", got, err, filepath.Join(bin, "dlv"))
	}
}

// TestDebugWait: with Wait the app is held at its entry point, not
// serving, until a client attaches and lets it go.
func TestDebugWait(t *testing.T) {
	dlv := needDlv(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	mainGo, _ := debugApp(t)
	bin := buildDebug(t, filepath.Dir(mainGo))
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p, err := Start(Spec{Name: "debugapp", Path: bin, Env: []string{"PORT=" + port}, Debug: &DebugSpec{Dlv: dlv, Wait: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		assertGone(t, p.PID(), p.AppPID())
	})
	st, err := p.DebugState(ctx)
	if err != nil || st != (DebugState{Stopped: true}) {
		t.Fatalf("DebugState before any client = %+v, %v; want stopped, no clients", st, err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the app serves before a client let it run")
	}
	c, err := dap.Dial(ctx, p.DebugAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Attach(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigurationDone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitListening(ctx, addr); err != nil {
		t.Fatal(err)
	}
}
