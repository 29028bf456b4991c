package guard

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// helperEnv makes the test binary act as a daemon that registers one group
// with a watchdog and then waits to be killed.
const helperEnv = "GUARD_TEST_DAEMON"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		helperDaemon()
		return
	}
	os.Exit(m.Run())
}

// helperDaemon starts a watchdog and a group (a shell with a sleeping
// child), registers the group, prints its id and blocks.
func helperDaemon() {
	g, err := Start(nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	cmd := group()
	if err := cmd.Start(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	g.Add(cmd.Process.Pid)
	fmt.Println(cmd.Process.Pid)
	select {}
}

// group returns a command that leads a new process group of two processes
// that live for a minute.
func group() *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// startGroup starts group() and kills it at the end of the test.
func startGroup(t *testing.T) int {
	t.Helper()
	cmd := group()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	go func() { _ = cmd.Wait() }() // reap the leader once it dies
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	testkit.Eventually(t, 5*time.Second, fmt.Sprintf("group %d to have its sleep child", pgid), func() bool { return len(alive(t, pgid)) == 2 })
	return pgid
}

func TestCloseKillsRegisteredGroupsOnly(t *testing.T) {
	g, err := Start(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	kept, killed := startGroup(t), startGroup(t)
	g.Add(kept)
	g.Add(killed)
	g.Remove(kept)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 3*time.Second, fmt.Sprintf("registered group %d to be gone", killed), func() bool { return len(alive(t, killed)) == 0 })
	if n := len(alive(t, kept)); n != 2 {
		t.Errorf("removed group %d has %d live processes after Close; want 2", kept, n)
	}
	g.Add(kept) // after Close: ignored, no panic
}

// TestKilledDaemonLeavesNoGroup SIGKILLs a daemon that registered a group
// and checks that the watchdog kills the whole group.
func TestKilledDaemonLeavesNoGroup(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
	}()
	var pgid int
	select {
	case l := <-line:
		if pgid, err = strconv.Atoi(l); err != nil {
			t.Fatalf("helper daemon said %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("helper daemon printed no group within 10s")
	}
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	testkit.Eventually(t, 5*time.Second, "the group's sleep child", func() bool { return len(alive(t, pgid)) == 2 })
	start := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 3*time.Second, fmt.Sprintf("group %d to be gone after SIGKILL of the daemon", pgid), func() bool { return len(alive(t, pgid)) == 0 })
	t.Logf("group gone %v after the daemon's SIGKILL", time.Since(start))
}

func TestNilGuard(t *testing.T) {
	var g *Guard
	g.Add(5)
	g.Remove(5)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

// alive returns the pids of group pgid that are not zombies.
func alive(t *testing.T, pgid int) []int {
	var pids []int
	for _, p := range testkit.Procs(t) {
		if p.PGID == pgid && p.State != 'Z' {
			pids = append(pids, p.PID)
		}
	}
	return pids
}
