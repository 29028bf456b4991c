//go:build unix

package run

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeEnv names the environment variable that makes the test binary act as
// an app (see fakeApp) instead of running the tests.
const fakeEnv = "GINHOTD_FAKE_APP"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fakeApp(mode))
	}
	// Keep the main thread, which the runtime never ends, out of the
	// tests' goroutines: TestThreadExitDoesNotKillApp ends the threads its
	// goroutines run on.
	runtime.LockOSThread()
	os.Exit(m.Run())
}

// fakeApp runs the test binary as an app and returns its exit code. Modes:
//
//	serve        HTTP on 127.0.0.1:$PORT, on $OWN_ADDR, or on the activated fd 3 (after
//	             listening on $METRICS_ADDR for 300ms, if set); GET /pid; exits 0 on SIGTERM
//	ignore-term  ignores SIGTERM, prints "ready PID", sleeps
//	spawn        starts an ignore-term grandchild, prints "grandchild PID", exits 0 on SIGTERM
//	panic        panics from fakePanic
//	exit1        prints "bad config" to stderr, exits 1
//	chatty       prints 300 lines to each stream, one 150000-byte line, then "done"
//	supervisor   starts an ignore-term app with Start, prints "app PID" once it is ready, sleeps
func fakeApp(mode string) int {
	switch mode {
	case "serve":
		return fakeServe()
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready", os.Getpid())
		sleepForever()
	case "spawn":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), fakeEnv+"=ignore-term")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println("grandchild", cmd.Process.Pid)
		<-term
		return 0
	case "panic":
		fakePanic()
	case "exit1":
		fmt.Fprintln(os.Stderr, "bad config")
		return 1
	case "chatty":
		for i := range 300 {
			fmt.Fprintln(os.Stdout, "out", i)
			fmt.Fprintln(os.Stderr, "err", i)
		}
		fmt.Println(strings.Repeat("x", 150000))
		fmt.Println("done")
		return 0
	case "supervisor":
		ready := make(chan struct{})
		var once sync.Once
		p, err := Start(Spec{
			Name: "app", Path: os.Args[0], Env: []string{fakeEnv + "=ignore-term"},
			Output: func(string, bool) { once.Do(func() { close(ready) }) },
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// Once the app has printed "ready" it writes no more, so it cannot
		// die of SIGPIPE when this supervisor is gone: only the
		// parent-death signal can end it.
		<-ready
		fmt.Println("app", p.PID())
		sleepForever()
	}
	fmt.Fprintln(os.Stderr, "unknown fake app mode", mode)
	return 2
}

// fakePanic is the frame ParsePanic must find.
func fakePanic() {
	panic("fake app panic") // the line TestParsePanicFromApp expects
}

// sleepForever idles the fake app until a signal ends it.
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// fakeServe is the "serve" mode.
func fakeServe() int {
	var l net.Listener
	var err error
	if n := os.Getenv("LISTEN_FDS"); n != "" {
		if pid := os.Getenv("LISTEN_PID"); pid != strconv.Itoa(os.Getpid()) || n != "1" {
			fmt.Fprintf(os.Stderr, "LISTEN_PID=%s LISTEN_FDS=%s, but pid is %d\n", pid, n, os.Getpid())
			return 3
		}
		l, err = net.FileListener(os.NewFile(3, "activated"))
	} else if metrics := os.Getenv("METRICS_ADDR"); metrics != "" {
		// A pprof or metrics port first, the main one a while later.
		if _, err := net.Listen("tcp", metrics); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		time.Sleep(300 * time.Millisecond)
		l, err = net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	} else if own := os.Getenv("OWN_ADDR"); own != "" {
		l, err = net.Listen("tcp", own) // an app that ignores PORT
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})}
	go srv.Serve(l)
	fmt.Println("listening", l.Addr())
	<-term
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	fmt.Println("bye")
	return 0
}

// line is one line of app output.
type line struct {
	text   string
	stderr bool
}

// collector records the output of an app.
type collector struct {
	mu    sync.Mutex
	lines []line
}

func (c *collector) output(text string, stderr bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, line{text, stderr})
}

// all returns the lines received so far.
func (c *collector) all() []line {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

// waitFor waits for a line starting with prefix and returns the rest of it.
// It fails at once if p exits first.
func (c *collector) waitFor(t *testing.T, p *Process, prefix string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, l := range c.all() {
			if rest, ok := strings.CutPrefix(l.text, prefix); ok {
				return rest
			}
		}
		select {
		case <-p.Exited():
			t.Fatalf("app exited (%v) before printing %q; output: %+v", p.ExitErr(), prefix, c.all())
		case <-deadline:
			t.Fatalf("no output line %q within 10s; output: %+v", prefix, c.all())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// startFake starts the test binary as a fake app in mode, with output
// collected, and stops it at the end of the test.
func startFake(t *testing.T, mode string, spec Spec) (*Process, *collector) {
	t.Helper()
	c := &collector{}
	spec.Name = mode
	spec.Path = os.Args[0]
	spec.Env = append(spec.Env, fakeEnv+"="+mode)
	spec.Output = c.output
	p, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	return p, c
}

// waitExited waits for p to exit.
func waitExited(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("app did not exit within 10s")
	}
}

// freeAddr returns a loopback address whose port the kernel just chose and
// released.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// get returns the body of GET http://addr/pid.
func get(t *testing.T, addr string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/pid")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exitStatus returns the wait status of an ExitErr.
func exitStatus(t *testing.T, err error) syscall.WaitStatus {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("ExitErr = %v; want an *exec.ExitError", err)
	}
	return ee.Sys().(syscall.WaitStatus)
}

func TestStopGraceful(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p, c := startFake(t, "serve", Spec{Env: []string{"PORT=" + port}, KillTimeout: 10 * time.Second})

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := WaitListening(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if got := get(t, addr); got != strconv.Itoa(p.PID()) {
		t.Errorf("GET /pid = %q; want %d", got, p.PID())
	}
	c.waitFor(t, p, "listening ")

	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v; want a graceful exit well before the 10s kill timeout", d)
	}
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v; want nil after a graceful stop", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Exited not closed after Stop returned")
	}
	n := len(c.all())
	if last := c.all()[n-1]; last != (line{"bye", false}) {
		t.Errorf("last output line = %+v; want the app's goodbye", last)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := WaitPortFree(ctx, addr); err != nil {
		t.Error(err)
	}
	if got := len(c.all()); got != n {
		t.Errorf("Output called %d times after Stop returned", got-n)
	}
}

func TestStopKillsAfterTimeout(t *testing.T) {
	p, c := startFake(t, "ignore-term", Spec{KillTimeout: 300 * time.Millisecond})
	c.waitFor(t, p, "ready ")

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop() })
	}
	wg.Wait()
	d := time.Since(start)
	if d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("Stop took %v; want the 300ms kill timeout plus a little", d)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop #%d: %v", i, err)
		}
	}
	if ws := exitStatus(t, p.ExitErr()); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("app ended with %v; want killed by SIGKILL", p.ExitErr())
	}
	if err := syscall.Kill(-p.PID(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(-%d, 0) = %v; want ESRCH, the group gone", p.PID(), err)
	}
}

func TestStopSignal(t *testing.T) {
	// ignore-term ignores only SIGTERM: SIGINT stops it at once.
	p, c := startFake(t, "ignore-term", Spec{StopSignal: syscall.SIGINT, KillTimeout: 10 * time.Second})
	c.waitFor(t, p, "ready ")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if ws := exitStatus(t, p.ExitErr()); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("app ended with %v; want killed by SIGINT", p.ExitErr())
	}
}

func TestOutputAndTail(t *testing.T) {
	p, c := startFake(t, "chatty", Spec{TailLines: 50})
	waitExited(t, p)
	if err := p.ExitErr(); err != nil {
		t.Fatal(err)
	}
	got := c.all()
	var out, errs []string
	for _, l := range got {
		if l.stderr {
			errs = append(errs, l.text)
		} else {
			out = append(out, l.text)
		}
	}
	var wantOut, wantErr []string
	for i := range 300 {
		wantOut = append(wantOut, fmt.Sprint("out ", i))
		wantErr = append(wantErr, fmt.Sprint("err ", i))
	}
	if !slices.Equal(errs, wantErr) {
		t.Errorf("stderr lines: got %d, want err 0…299 in order", len(errs))
	}
	if len(out) != 300+3+1 || !slices.Equal(out[:300], wantOut) || out[len(out)-1] != "done" {
		t.Fatalf("stdout: got %d lines, want out 0…299, the long line in 3 parts, done", len(out))
	}
	long := out[300:303]
	if len(long[0]) != maxLine || len(long[1]) != maxLine || strings.Join(long, "") != strings.Repeat("x", 150000) {
		t.Errorf("long line split into parts of %d, %d, %d bytes; want %d, %d and the rest", len(long[0]), len(long[1]), len(long[2]), maxLine, maxLine)
	}
	tail := p.Tail()
	want := make([]string, 0, 50)
	for _, l := range got[len(got)-50:] {
		want = append(want, l.text)
	}
	if !slices.Equal(tail, want) {
		t.Errorf("Tail() has %d lines ending %q; want the last 50 lines received", len(tail), tail[len(tail)-1])
	}
}

// countingReader counts the reads that returned data.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.reads++
	}
	return n, err
}

// TestChattyOutputIsReadInBatches: an app that writes a line every 200 µs
// (a busy Gin app logs every request) wakes the daemon once per readGap,
// not once per line, and every line arrives, in order.
func TestChattyOutputIsReadInBatches(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	const lines = 300
	start := time.Now()
	go func() {
		defer w.Close()
		for i := range lines {
			fmt.Fprintf(w, "line %d\n", i)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	c := &countingReader{r: r}
	sc := bufio.NewScanner(&pacedReader{r: c})
	n := 0
	for sc.Scan() {
		if want := fmt.Sprint("line ", n); sc.Text() != want {
			t.Fatalf("line %d is %q, want %q", n, sc.Text(), want)
		}
		n++
	}
	elapsed := time.Since(start)
	if n != lines {
		t.Fatalf("read %d lines, want %d", n, lines)
	}
	if limit := int(elapsed/readGap) + 10; c.reads > limit {
		t.Errorf("%d reads for %d lines in %v; want at most %d (one per %v)", c.reads, lines, elapsed, limit, readGap)
	}
	t.Logf("%d lines in %d reads over %v", lines, c.reads, elapsed)
}

func TestExitErr(t *testing.T) {
	p, c := startFake(t, "exit1", Spec{})
	waitExited(t, p)
	if ws := exitStatus(t, p.ExitErr()); ws.ExitStatus() != 1 {
		t.Errorf("ExitErr = %v; want exit status 1", p.ExitErr())
	}
	if !strings.HasPrefix(p.ExitErr().Error(), "run exit1: ") {
		t.Errorf("ExitErr = %q; want the run prefix and the app's name", p.ExitErr())
	}
	if got := c.all(); !slices.Equal(got, []line{{"bad config", true}}) {
		t.Errorf("output = %+v; want the stderr line", got)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after exit: %v", err)
	}
}

func TestStartError(t *testing.T) {
	_, err := Start(Spec{Name: "ghost", Path: filepath.Join(t.TempDir(), "nothere")})
	if err == nil || !strings.HasPrefix(err.Error(), "run ghost: ") {
		t.Errorf("Start of a missing binary: err = %v; want a run ghost: error", err)
	}
}

func TestParsePanicFromApp(t *testing.T) {
	p, _ := startFake(t, "panic", Spec{})
	waitExited(t, p)
	if ws := exitStatus(t, p.ExitErr()); ws.ExitStatus() != 2 {
		t.Errorf("ExitErr = %v; want exit status 2", p.ExitErr())
	}
	file, err := filepath.Abs("run_test.go")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wantLine := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, `panic("fake app panic")`) {
			wantLine = i + 1
			break
		}
	}
	dir := filepath.Dir(file)
	got, ok := ParsePanic(p.Tail(), func(f string) bool { return strings.HasPrefix(f, dir+string(filepath.Separator)) })
	if !ok {
		t.Fatalf("no panic found in %q", p.Tail())
	}
	if got.Message != "fake app panic" || got.File != file || got.Line != wantLine {
		t.Errorf("ParsePanic = %q at %s:%d; want \"fake app panic\" at %s:%d", got.Message, got.File, got.Line, file, wantLine)
	}
	if !strings.HasPrefix(got.Stack, "panic: fake app panic\n\ngoroutine 1 [running]:\n") || !strings.Contains(got.Stack, "fakePanic") {
		t.Errorf("Stack = %q", got.Stack)
	}
}

func TestWaitListeningAndPortFree(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := WaitListening(ctx, addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitListening on a closed port: %v; want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("WaitListening returned %v after its 150ms deadline", d)
	}

	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel2()
	if err := WaitListening(ctx2, addr); err != nil {
		t.Errorf("WaitListening on a listening port: %v", err)
	}

	ctx3, cancel3 := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel3()
	if err := WaitPortFree(ctx3, addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitPortFree on a busy port: %v; want DeadlineExceeded", err)
	}
	l.Close()
	if err := WaitPortFree(ctx2, addr); err != nil {
		t.Errorf("WaitPortFree after close: %v", err)
	}
}

func TestSocketActivation(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	p, c := startFake(t, "serve", Spec{ExtraFiles: []*os.File{f}})
	f.Close()
	l.Close() // the app holds its own copy of the socket
	c.waitFor(t, p, "listening ")
	if got := get(t, addr); got != strconv.Itoa(p.PID()) {
		t.Errorf("GET /pid = %q; want the pid Start reported, %d", got, p.PID())
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v; output %+v", err, c.all())
	}
}

func TestBackoff(t *testing.T) {
	var b Backoff
	var got []time.Duration
	for range 8 {
		got = append(got, b.Next())
	}
	ms := time.Millisecond
	want := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 10 * time.Second, 10 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("zero Backoff: %v; want %v", got, want)
	}
	b.Reset()
	if d := b.Next(); d != 200*ms {
		t.Errorf("after Reset: %v; want 200ms", d)
	}
	c := Backoff{Min: 30 * ms, Max: 100 * ms}
	got = got[:0]
	for range 4 {
		got = append(got, c.Next())
	}
	if want := []time.Duration{30 * ms, 60 * ms, 100 * ms, 100 * ms}; !slices.Equal(got, want) {
		t.Errorf("Backoff{30ms,100ms}: %v; want %v", got, want)
	}
}

func TestParsePanicTraces(t *testing.T) {
	ws := func(f string) bool { return strings.HasPrefix(f, "/src/app/") }
	tests := []struct {
		name   string
		out    string
		want   Panic
		wantOK bool
	}{{
		name: "nil map in a handler, runtime frames first",
		out: `[GIN-debug] Listening and serving HTTP on :8080
panic: assignment to entry in nil map

goroutine 1 [running]:
internal/runtime/maps.mapassign_faststr(0x0?, {0x5a2c31?, 0x0?})
	/usr/local/go/src/internal/runtime/maps/runtime_fast32.go:122 +0x1a
example.com/app/store.(*Store).Put(...)
	/src/app/store/store.go:17
main.main()
	/src/app/main.go:9 +0x45`,
		want: Panic{
			Message: "assignment to entry in nil map", File: "/src/app/store/store.go", Line: 17,
			Stack: "panic: assignment to entry in nil map\n\ngoroutine 1 [running]:\n" +
				"internal/runtime/maps.mapassign_faststr(0x0?, {0x5a2c31?, 0x0?})\n" +
				"\t/usr/local/go/src/internal/runtime/maps/runtime_fast32.go:122 +0x1a\n" +
				"example.com/app/store.(*Store).Put(...)\n\t/src/app/store/store.go:17\n" +
				"main.main()\n\t/src/app/main.go:9 +0x45",
		},
		wantOK: true,
	}, {
		name: "nil pointer with signal line; other goroutines ignored",
		out: `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 7 [running]:
github.com/gin-gonic/gin.(*Context).Next(...)
	/home/u/go/pkg/mod/github.com/gin-gonic/gin@v1.10.0/context.go:185
example.com/app/handlers.Get(0xc000120000)
	/src/app/handlers/get.go:31 +0x2c

goroutine 1 [IO wait]:
main.main()
	/src/app/main.go:12 +0x11`,
		want: Panic{
			Message: "runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]",
			File:    "/src/app/handlers/get.go", Line: 31,
		},
		wantOK: true,
	}, {
		name: "fatal error, no workspace frame",
		out: `fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive]:
main.main()
	/elsewhere/main.go:5 +0x1d`,
		want:   Panic{Message: "all goroutines are asleep - deadlock!"},
		wantOK: true,
	}, {
		name:   "a log line that mentions panic",
		out:    "panic: not really, just a log line\nserving on :8080",
		wantOK: false,
	}, {
		name:   "no panic",
		out:    "hello\nworld",
		wantOK: false,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParsePanic(strings.Split(tt.out, "\n"), ws)
			if tt.want.Stack == "" {
				got.Stack = ""
			}
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("ParsePanic = %#v, %v; want %#v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// readLine reads the first line of r within timeout.
func readLine(t *testing.T, r io.Reader, timeout time.Duration) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSpace(s)
	}()
	select {
	case s := <-lines:
		return s
	case <-time.After(timeout):
		t.Fatalf("no line within %v", timeout)
		return ""
	}
}
