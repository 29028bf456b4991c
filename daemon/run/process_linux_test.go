package run

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// gone reports whether process pid no longer runs: it does not exist or is
// a zombie nobody reaped yet.
func gone(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

func TestListeningPorts(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p, _ := startFake(t, "serve", Spec{Env: []string{"PORT=" + port}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := WaitListening(ctx, addr); err != nil {
		t.Fatal(err)
	}
	got, err := ListeningPorts(p.PID())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.Atoi(port)
	if !slices.Equal(got, []int{want}) {
		t.Errorf("ListeningPorts = %v; want [%d]", got, want)
	}
	if _, err := ListeningPorts(1 << 30); err == nil {
		t.Error("ListeningPorts of a missing pid: want an error")
	}
}

func TestStopKillsGrandchild(t *testing.T) {
	p, c := startFake(t, "spawn", Spec{KillTimeout: 10 * time.Second})
	grandchild, err := strconv.Atoi(c.waitFor(t, p, "grandchild "))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) })
	c.waitFor(t, p, "ready ") // the grandchild ignores SIGTERM from now on

	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v; the app itself exits on SIGTERM", d)
	}
	testkit.Eventually(t, 2*time.Second, "the grandchild to die with the group", func() bool { return gone(grandchild) })
}

// TestAppDiesWithSupervisor runs the test binary as a supervisor that starts
// an app, SIGKILLs the supervisor and expects the parent-death signal to
// take the app with it.
func TestAppDiesWithSupervisor(t *testing.T) {
	sup := exec.Command(os.Args[0])
	sup.Env = append(os.Environ(), fakeEnv+"=supervisor")
	sup.Stderr = os.Stderr
	out, err := sup.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sup.Process.Kill()
		sup.Wait()
	})
	app, err := strconv.Atoi(strings.TrimPrefix(readLine(t, out, 10*time.Second), "app "))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(app, syscall.SIGKILL) })
	if gone(app) {
		t.Fatal("app not running before the supervisor is killed")
	}
	if err := sup.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	sup.Wait()
	testkit.Eventually(t, 5*time.Second, "the app to die with its supervisor", func() bool { return gone(app) })
}

// TestThreadExitDoesNotKillApp ends many OS threads of the daemon (a
// goroutine that exits while locked to its thread ends the thread) and
// checks that the app, whose parent-death signal is tied to the forking
// thread, survives (golang/go#27505).
func TestThreadExitDoesNotKillApp(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p, _ := startFake(t, "serve", Spec{Env: []string{"PORT=" + port}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := WaitListening(ctx, addr); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			time.Sleep(time.Millisecond)
		})
	}
	wg.Wait()
	select {
	case <-p.Exited():
		t.Fatalf("app exited after daemon threads ended: %v", p.ExitErr())
	case <-time.After(200 * time.Millisecond):
	}
	if got := get(t, addr); got != strconv.Itoa(p.PID()) {
		t.Errorf("GET /pid = %q; want %d", got, p.PID())
	}
}

// TestHooksReportTheGroup: OnStart gets the app's group id; OnExit gets it
// once the group is dead but before the leader is reaped, so a watchdog
// told to forget the group can never be racing a reused id.
func TestHooksReportTheGroup(t *testing.T) {
	type call struct {
		pgid  int
		state string // /proc state of the leader during OnExit
	}
	started, exited := make(chan int, 1), make(chan call, 1)
	p, c := startFake(t, "spawn", Spec{
		OnStart: func(pgid int) { started <- pgid },
		OnExit: func(pgid int) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pgid))
			s := string(b)
			exited <- call{pgid, strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]}
		},
	})
	grandchild, err := strconv.Atoi(c.waitFor(t, p, "grandchild "))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) })
	if got := <-started; got != p.PID() {
		t.Errorf("OnStart(%d); want the app's pid %d", got, p.PID())
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-exited:
		if got.pgid != p.PID() || got.state != "Z" {
			t.Errorf("OnExit(%d) with the leader in state %q; want OnExit(%d) with an unreaped leader (Z)", got.pgid, got.state, p.PID())
		}
	default:
		t.Fatal("OnExit was not called before Stop returned")
	}
	testkit.Eventually(t, 2*time.Second, "the grandchild to die with the group", func() bool { return gone(grandchild) })
}

// TestWaitServing: an app on PORT is ready there; an app on an address of
// its own is found there; and a port another process holds does not make
// an app ready that listens elsewhere.
func TestWaitServing(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	portOf := func(addr string) int {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return n
	}
	onPort := freeAddr(t)
	p, _ := startFake(t, "serve", Spec{Env: []string{"PORT=" + strconv.Itoa(portOf(onPort))}})
	if got, err := WaitServing(ctx, p.PID(), portOf(onPort), 0, time.Second); err != nil || got != portOf(onPort) {
		t.Fatalf("app on PORT: WaitServing = %d, %v; want %d", got, err, portOf(onPort))
	}

	other, err := net.Listen("tcp", "127.0.0.1:0") // another process's listener on the PORT given
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	own := freeAddr(t)
	p, _ = startFake(t, "serve", Spec{Env: []string{"PORT=" + strconv.Itoa(portOf(other.Addr().String())), "OWN_ADDR=" + own}})
	start := time.Now()
	got, err := WaitServing(ctx, p.PID(), portOf(other.Addr().String()), 0, 200*time.Millisecond)
	if err != nil || got != portOf(own) {
		t.Fatalf("app on its own address: WaitServing = %d, %v; want %d (not the port another process holds)", got, err, portOf(own))
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("own address taken after %v, before the settle time", waited)
	}

	onPort = freeAddr(t)
	metrics := freeAddr(t)
	p, _ = startFake(t, "serve", Spec{Env: []string{"PORT=" + strconv.Itoa(portOf(onPort)), "METRICS_ADDR=" + metrics}})
	if got, err := WaitServing(ctx, p.PID(), portOf(onPort), 0, time.Second); err != nil || got != portOf(onPort) {
		t.Fatalf("app with a metrics port first: WaitServing = %d, %v; want PORT %d", got, err, portOf(onPort))
	}
}

// TestPortHolder names the process that listens on a port: this test.
func TestPortHolder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, name, err := PortHolder(ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() || name == "" {
		t.Fatalf("PortHolder = %d %q %v, want this process (%d)", pid, name, err, os.Getpid())
	}
}
