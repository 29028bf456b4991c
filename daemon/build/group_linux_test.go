//go:build linux

package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// TestRunCancelKillsGroup builds through a -toolexec script that sleeps, so
// the go command has a long-lived child; it cancels, and checks that Run
// returns promptly and that nothing of the process group survives.
func TestRunCancelKillsGroup(t *testing.T) {
	sleeper := filepath.Join(t.TempDir(), "sleeper.sh")
	if err := os.WriteFile(sleeper, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started, exited := make(chan int, 1), make(chan int, 1)
	opts := Options{
		Dir: fixture(t, "ok"), OutDir: t.TempDir(), Flags: []string{"-toolexec=" + sleeper}, Env: testEnv(),
		OnStart: func(pgid int) { started <- pgid },
		OnExit:  func(pgid int) { exited <- pgid },
	}
	type ret struct {
		res Result
		err error
	}
	done := make(chan ret, 1)
	go func() {
		res, err := Run(ctx, opts, ".")
		done <- ret{res, err}
	}()

	pgid := 0
	poll(t, 10*time.Second, "the go command and its -toolexec child", func() bool {
		for _, p := range testkit.Procs(t) {
			if p.PPID == os.Getpid() && p.PGID == p.PID && p.State != 'Z' {
				pgid = p.PID
			}
		}
		return pgid != 0 && len(alive(t, pgid)) > 1
	})
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	start := time.Now()
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("err = %v; want context.Canceled", r.err)
		}
		if r.res.OK {
			t.Error("cancelled build reported OK")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancellation")
	}
	if got := <-started; got != pgid {
		t.Errorf("OnStart(%d); want the go command's group %d", got, pgid)
	}
	select {
	case got := <-exited:
		if got != pgid {
			t.Errorf("OnExit(%d); want %d", got, pgid)
		}
	default:
		t.Error("OnExit was not called before Run returned")
	}
	poll(t, 2*time.Second, "the process group to be gone", func() bool {
		return len(alive(t, pgid)) == 0
	})
	t.Logf("group %d gone %v after cancel", pgid, time.Since(start))
	if left, _ := os.ReadDir(opts.OutDir); len(left) != 0 {
		t.Errorf("cancelled build left %v in OutDir", left)
	}
}

// alive returns the processes of group pgid that are not zombies.
func alive(t *testing.T, pgid int) []testkit.Proc {
	t.Helper()
	var ps []testkit.Proc
	for _, p := range testkit.Procs(t) {
		if p.PGID == pgid && p.State != 'Z' {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestRunNice builds with a fake go command that reports its own nice
// value and its child's into the binary: both must be 19.
func TestRunNice(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "go")
	script := `#!/bin/sh
while [ "$1" != "-o" ]; do shift; done
out=$2
i=0
# The priority is set just after the start: wait for it, boundedly.
while [ "$(cut -d' ' -f19 /proc/$$/stat)" != "$WANT_NICE" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.01; done
echo "$(cut -d' ' -f19 /proc/$$/stat) $(sh -c 'cut -d" " -f19 /proc/$$/stat')" > "$out"
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))[16] // field 19
	for _, nice := range []bool{true, false} {
		want := own
		if nice {
			want = "19"
		}
		res, err := Run(t.Context(), Options{Go: fake, Dir: t.TempDir(), OutDir: t.TempDir(), Nice: nice, Env: []string{"WANT_NICE=" + want}}, ".")
		if err != nil || !res.OK {
			t.Fatalf("Nice=%v: %v %q", nice, err, res.Output)
		}
		got, _ := os.ReadFile(res.Binary)
		want = want + " " + want + "\n"
		if string(got) != want {
			t.Errorf("Nice=%v: go and its child ran at nice %q, want %q", nice, got, want)
		}
	}
}
