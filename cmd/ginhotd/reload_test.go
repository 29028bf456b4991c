//go:build unix

package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// load sends GET / at about rate requests per second from a few workers
// until stop is closed, and counts failures (errors and non-200 answers).
func load(url string, rate int, stop <-chan struct{}) (total, failed *atomic.Int64, firstErr *atomic.Value, wait func()) {
	total, failed, firstErr = new(atomic.Int64), new(atomic.Int64), new(atomic.Value)
	var wg sync.WaitGroup
	const workers = 4
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second * workers / time.Duration(rate))
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				total.Add(1)
				resp, err := c.Get(url + "/")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("GET /: %s", resp.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	return total, failed, firstErr, wg.Wait
}

// reloadUnderLoad makes three reachable edits while a steady load runs and
// asserts that no request failed and every edit was served.
func reloadUnderLoad(t *testing.T, d *daemon) {
	reloadUnderLoadBy(t, d, func(v string) string {
		d.write("msg/msg.go", msgSource(v))
		return v
	})
}

// reloadUnderLoadBy is reloadUnderLoad with the edit that makes the app
// serve the text v: edit makes it and returns the body GET / then answers.
func reloadUnderLoadBy(t *testing.T, d *daemon, edit func(v string) string) {
	t.Helper()
	stop := make(chan struct{})
	total, failed, firstErr, wait := load(d.url, 200, stop)
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wait()
		}
	}()
	time.Sleep(500 * time.Millisecond) // some load before the first reload
	for i := 2; i <= 4; i++ {
		m := d.mark()
		v := fmt.Sprintf("v%d", i)
		want := edit(v)
		d.awaitAfter(m, "ready for "+v, 60*time.Second, func(e event) bool { return e.Event == "ready" })
		// The page without the live-reload script the proxy adds to HTML.
		if got, _, _ := strings.Cut(d.get("/"), "<script>"); got != want {
			t.Fatalf("after edit %s GET / = %q, want %q", v, got, want)
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wait()
	stopped = true
	t.Logf("%d of %d requests failed across 3 reloads", failed.Load(), total.Load())
	if total.Load() < 100 {
		t.Fatalf("only %d requests sent", total.Load())
	}
	if failed.Load() != 0 {
		for _, e := range d.since(0) {
			if e.Event != "log" && e.Event != "status" {
				t.Logf("event %+v", e)
			}
		}
		t.Fatalf("%d of %d requests failed across reloads; first: %v", failed.Load(), total.Load(), firstErr.Load())
	}
}

func TestReloadUnderLoadDropsNothing(t *testing.T) {
	reloadUnderLoad(t, startDaemon(t))
}

func TestSocketActivationReloadDropsNothing(t *testing.T) {
	reloadUnderLoad(t, startDaemon(t, "--socket-activation"))
}

// TestNoProxyReadinessIsTheAppsOwnSocket: with --no-proxy, a port that
// another process holds does not make the app ready; the app that listens
// elsewhere is found there, said so, and reloads.
func TestNoProxyReadinessIsTheAppsOwnSocket(t *testing.T) {
	other, err := net.Listen("tcp", "127.0.0.1:0") // another process on --addr
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	own := ln.Addr().String()
	ln.Close()
	d := launchAt(t, fixtureWithConfig(t, "env = [\"HARDCODED_ADDR="+own+"\"]\n"), "--no-proxy", "--addr", other.Addr().String())
	ready := d.await("ready", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	w := d.await("the notice", 5*time.Second, func(e event) bool { return e.Event == "warn" })
	_, port, _ := net.SplitHostPort(own)
	if !strings.Contains(w.Message, "listens on :"+port+" itself") || !strings.Contains(w.Message, "http://"+own) {
		t.Fatalf("notice %q, want the app's own address", w.Message)
	}
	if got := fetch(t, "http://"+own+"/pid"); got != strconv.Itoa(ready.PID) {
		t.Fatalf("GET %s/pid = %s, want the ready version's pid %d", own, got, ready.PID)
	}
	m := d.mark()
	d.write("msg/msg.go", msgSource("v2"))
	d.awaitAfter(m, "ready after edit", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	if got := fetch(t, "http://"+own+"/"); got != "v2" {
		t.Fatalf("after the edit GET / = %q, want v2", got)
	}
}

func TestNoProxyReloadsAndFreesThePort(t *testing.T) {
	d := startDaemon(t, "--no-proxy")
	pid := d.get("/pid")
	m := d.mark()
	d.write("msg/msg.go", msgSource("v2"))
	d.awaitAfter(m, "ready after edit", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	if got := d.get("/"); got != "v2" {
		t.Fatalf("GET / = %q, want v2", got)
	}
	if d.get("/pid") == pid {
		t.Fatal("PID did not change")
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Wait()
	ln, err := net.Listen("tcp", d.url[len("http://"):])
	if err != nil {
		t.Fatalf("the app's port is still taken after ginhotd ended: %v", err)
	}
	ln.Close()
}

func TestStartupPanicKeepsOldVersion(t *testing.T) {
	brokenEditKeepsOldVersion(t, "package msg\n\n// Text is served on /.\nvar Text = boom()\n\nfunc boom() string {\n\tpanic(\"bad config\")\n}\n", "crash", 7)
}

func TestAppIgnoringSIGTERMIsKilled(t *testing.T) {
	dir := fixtureWithConfig(t, "env = [\"IGNORE_TERM=1\"]\n")
	d2 := startDaemonIn(t, dir, "--kill-timeout", "500ms")
	var pid int
	fmt.Sscan(d2.get("/pid"), &pid)
	m := d2.mark()
	d2.write("msg/msg.go", msgSource("v2"))
	e := d2.awaitAfter(m, "stop of the old version", 60*time.Second, func(e event) bool { return e.Event == "stop" && e.PID == pid })
	if e.MS < 400 {
		t.Fatalf("the old version stopped after %dms, before the kill timeout: did it ignore SIGTERM?", e.MS)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("pid %d survived SIGKILL", pid)
	}
}

func TestCrashedAppIsRestartedAndRequestsAreHeld(t *testing.T) {
	d := startDaemon(t)
	var pid int
	fmt.Sscan(d.get("/pid"), &pid)
	m := d.mark()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Served by the restarted version: held by the proxy, not refused.
	if got := d.get("/pid"); got == fmt.Sprint(pid) {
		t.Fatalf("still served by the killed pid %d", pid)
	}
	d.awaitAfter(m, "crash event", 10*time.Second, func(e event) bool { return e.Event == "crash" })
	for _, e := range d.since(m) {
		if e.Event == "build_start" {
			t.Fatal("a crash restart must reuse the last good binary, not build")
		}
	}
}

func TestAppExitingAtStartIsShownAndBackedOff(t *testing.T) {
	dir := fixtureWithConfig(t, "env = [\"EXIT_AT_START=1\"]\n")
	d := launch(t, dir)
	e := d.await("crash at start", 60*time.Second, func(e event) bool { return e.Event == "crash" })
	if !strings.Contains(e.Output, "DATABASE_URL is not set") {
		t.Fatalf("crash event does not carry the app's output: %+v", e)
	}
	d.await("third retry", 30*time.Second, func(e event) bool { return e.Event == "restart" && strings.Contains(e.Reason, "800ms") })
	var delays []string
	for _, e := range d.since(0) {
		if e.Event == "restart" {
			delays = append(delays, e.Reason)
		}
	}
	if delays[0] == delays[1] || delays[1] == delays[2] {
		t.Fatalf("retry delays do not back off: %q", delays)
	}
}

// TestOwnPortReloadsDropNothing: an app that ignores PORT and listens on
// an address of its own is served through the proxy with no flag, and its
// reloads (stop, then start) drop no request: the proxy holds them across
// the gap.
func TestOwnPortReloadsDropNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := startDaemonIn(t, fixtureWithConfig(t, "env = [\"HARDCODED_ADDR="+addr+"\"]\n"))
	w := d.await("the own-port notice", 5*time.Second, func(e event) bool { return e.Event == "warn" })
	_, port, _ := net.SplitHostPort(addr)
	if !strings.Contains(w.Message, "listens on :"+port+" itself") || !strings.Contains(w.Message, "main.go:") {
		t.Fatalf("notice %q, want the port and the listen call", w.Message)
	}
	reloadUnderLoad(t, d)
}

// TestAppTakesTheProxyAddress: an app hard-coded to the proxy's own
// address gets it; the proxy moves to the next free port and serves every
// version there.
func TestAppTakesTheProxyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	d := launchAt(t, fixtureWithConfig(t, "env = [\"HARDCODED_ADDR=:"+port+"\"]\n"), "--addr", addr)
	w := d.await("the proxy moves", 60*time.Second, func(e event) bool { return e.Event == "warn" && strings.Contains(e.Message, "the proxy moved to") })
	d.await("ready", 30*time.Second, func(e event) bool { return e.Event == "ready" })
	st := d.await("status with the moved URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != "" && e.Status.Targets[0].URL != "http://"+addr
	})
	d.url = st.Status.Targets[0].URL
	if !strings.Contains(w.Message, d.url) {
		t.Fatalf("notice %q does not name the proxy's new address %s", w.Message, d.url)
	}
	if got := fetch(t, "http://"+addr+"/"); got != "v1" {
		t.Fatalf("the app on its own address answers %q", got)
	}
	reloadUnderLoad(t, d)
}
