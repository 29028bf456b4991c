package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// These tests drive targets that come and go between graph loads: the
// fake graph reports Reload for a main.go no target has and for a file
// in a directory that is gone, and the next load finds the mains the test
// set with setMains.

// targetStatus returns the status of the target named name.
func (h *harness) targetStatus(name string) TargetStatus {
	h.t.Helper()
	for _, ts := range h.s.Status().Targets {
		if ts.Name == name {
			return ts
		}
	}
	h.t.Fatalf("no target %s in %+v", name, h.s.Status().Targets)
	return TargetStatus{}
}

// builtFor counts the builds of the target with import path pkg.
func (h *harness) builtFor(pkg string) int {
	h.builder.mu.Lock()
	defer h.builder.mu.Unlock()
	n := 0
	for _, p := range h.builder.pkgs {
		if p == pkg {
			n++
		}
	}
	return n
}

// withAdmin is a harness setup with a second main, ./cmd/admin, from the
// start.
func withAdmin(h *harness) {
	h.mains = append(h.mains, h.main("admin"))
	h.write("cmd/admin/main.go", "package main\n")
}

// addMain writes the main package cmd/name and reports it as the watcher
// does; the next graph load finds mains.
func (h *harness) addMain(name string) {
	h.write("cmd/"+name+"/main.go", "package main\n\nfunc main() {}\n")
	h.report("cmd/" + name + "/main.go")
}

// TestMainAppears is the crash of a second Gin main appearing mid-session
// (index out of range in decide): the new main becomes a target on the
// next port, is built and served, the first keeps serving untouched, and a
// later save of a shared file rebuilds both.
func TestMainAppears(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.run()
		after(2 * time.Second)
		// admin sorts before api: a positional match would swap them.
		h.setMains(nil, h.main("admin"), h.main("api"))
		h.addMain("admin")
		after(2 * time.Second)
		admin, api := h.targetStatus("./cmd/admin"), h.targetStatus("./cmd/api")
		if admin.State != StateRunning || admin.URL != "http://127.0.0.1:8081" {
			t.Fatalf("admin = %+v, want running on the next port", admin)
		}
		if api.State != StateRunning || api.URL != "http://127.0.0.1:8080" || api.PID != 1001 || api.Generation != 1 {
			t.Fatalf("api = %+v, want its first version still serving on its own address", api)
		}
		if e, ok := h.events.last(KindTargetAdded); !ok || e.Target != "./cmd/admin" || e.URL != "http://127.0.0.1:8081" {
			t.Fatalf("target_added = %+v, want ./cmd/admin with its URL", e)
		}
		h.save("cmd/api/main.go")
		after(2 * time.Second)
		if n := h.builtFor("example.com/app/cmd/admin"); n != 1 {
			t.Fatalf("a save of cmd/api built admin %d times, want only its first build", n)
		}
		if st := h.targetStatus("./cmd/api"); st.Generation != 2 {
			t.Fatalf("api = %+v, want generation 2 after its save", st)
		}
		h.save("internal/store/store.go")
		after(2 * time.Second)
		if a, b := h.targetStatus("./cmd/admin"), h.targetStatus("./cmd/api"); a.Generation != 2 || b.Generation != 3 {
			t.Fatalf("after a shared save: admin generation %d, api %d; want 2 and 3", a.Generation, b.Generation)
		}
	})
}

// TestMainDisappearsAndComesBack: deleting cmd/admin stops only admin, and
// the status says why; bringing it back starts it on its old address.
func TestMainDisappearsAndComesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, withAdmin)
		h.run()
		after(3 * time.Second)
		url := h.targetStatus("./cmd/admin").URL
		builds := h.builder.count()
		if err := os.RemoveAll(filepath.Join(h.dir, "cmd/admin")); err != nil {
			t.Fatal(err)
		}
		h.setMains(nil, h.main("api"))
		h.report("cmd/admin/main.go")
		after(time.Second)
		admin := h.targetStatus("./cmd/admin")
		if admin.State != StateStopped || admin.Serving || !strings.Contains(admin.Error, "./cmd/admin was deleted or renamed") {
			t.Fatalf("admin = %+v, want stopped with the reason", admin)
		}
		if h.builder.count() != builds {
			t.Fatalf("deleting a main built %d times, want no build", h.builder.count()-builds)
		}
		if api := h.targetStatus("./cmd/api"); api.State != StateRunning || api.Generation != 1 {
			t.Fatalf("api = %+v, want its first version serving untouched", api)
		}
		if e, ok := h.events.last(KindTargetRemoved); !ok || e.Target != "./cmd/admin" {
			t.Fatalf("target_removed = %+v, want ./cmd/admin", e)
		}
		stopped := 0
		for n := 1; n <= h.runner.started(); n++ {
			if p := h.runner.proc(n); p.spec.Name == "./cmd/admin" && !p.wasStopped() {
				t.Fatalf("admin's process %d still runs", p.pid)
			} else if p.spec.Name == "./cmd/admin" {
				stopped++
			}
		}
		if stopped != 1 {
			t.Fatalf("%d admin processes stopped, want 1", stopped)
		}
		if err := h.s.Do(CmdRestart, "./cmd/admin"); err == nil {
			t.Fatal("restart of a gone target succeeded, want an error naming the targets")
		}

		h.setMains(nil, h.main("api"), h.main("admin"))
		h.addMain("admin")
		after(2 * time.Second)
		if admin := h.targetStatus("./cmd/admin"); admin.State != StateRunning || admin.URL != url || admin.Error != "" {
			t.Fatalf("admin back = %+v, want running again on %s", admin, url)
		}
		if e, _ := h.events.last(KindTargetAdded); e.Reason != "its main package is back" {
			t.Fatalf("target_added reason = %q, want that it is back", e.Reason)
		}
	})
}

// TestMainRenamed: a main moved by git mv is one stop and one start,
// each on its own address.
func TestMainRenamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, withAdmin)
		h.run()
		after(3 * time.Second)
		if err := os.Rename(filepath.Join(h.dir, "cmd/admin"), filepath.Join(h.dir, "cmd/backoffice")); err != nil {
			t.Fatal(err)
		}
		h.setMains(nil, h.main("api"), h.main("backoffice"))
		p := filepath.Join(h.dir, "cmd/admin/main.go")
		q := filepath.Join(h.dir, "cmd/backoffice/main.go")
		h.watcher.batches <- changeBatch(p, q)
		after(2 * time.Second)
		if got := len(h.events.all(KindTargetRemoved)); got != 1 {
			t.Fatalf("%d target_removed events, want 1", got)
		}
		if added := h.events.all(KindTargetAdded); len(added) != 1 || added[0].Target != "./cmd/backoffice" || added[0].URL != "http://127.0.0.1:8082" {
			t.Fatalf("target_added = %+v, want ./cmd/backoffice on the next free port", added)
		}
		if st := h.targetStatus("./cmd/backoffice"); st.State != StateRunning {
			t.Fatalf("backoffice = %+v, want running", st)
		}
	})
}

// TestConfiguredTargetMissing: a reload that cannot find a configured
// target says which, once, and changes nothing that serves.
func TestConfiguredTargetMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.run()
		after(2 * time.Second)
		const missing = "analysis: target ./cmd/admin: no such package in /w"
		h.setMains([]string{missing}, h.main("api"))
		h.addMain("other")
		after(time.Second)
		h.addMain("third")
		after(time.Second)
		errs := h.events.all(KindError)
		if len(errs) != 1 || !strings.Contains(errs[0].Message, missing) {
			t.Fatalf("error events = %+v, want one naming ./cmd/admin", errs)
		}
		if st := h.targetStatus("./cmd/api"); st.State != StateRunning || st.Generation != 1 {
			t.Fatalf("api = %+v, want serving untouched", st)
		}
		if h.graphLoads() != 3 {
			t.Fatalf("%d graph loads, want 3", h.graphLoads())
		}
	})
}

// TestTwoTargetsBuildAtOnce: while both targets build for a shared save, a
// save that reaches one of them restarts only that one's build.
func TestTwoTargetsBuildAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, withAdmin)
		h.run()
		after(3 * time.Second)
		h.save("internal/store/store.go")
		after(500 * time.Millisecond)
		if a, b := h.targetStatus("./cmd/admin"), h.targetStatus("./cmd/api"); a.State != StateBuilding || b.State != StateBuilding {
			t.Fatalf("states %s and %s, want both building", a.State, b.State)
		}
		h.save("cmd/admin/main.go")
		after(3 * time.Second)
		if n := h.builtFor("example.com/app/cmd/api"); n != 2 {
			t.Fatalf("api built %d times, want 2 (first, shared save)", n)
		}
		if n := h.builtFor("example.com/app/cmd/admin"); n != 3 {
			t.Fatalf("admin built %d times, want 3 (first, shared save, its own)", n)
		}
		a, b := h.targetStatus("./cmd/admin"), h.targetStatus("./cmd/api")
		if a.State != StateRunning || b.State != StateRunning || a.Generation != 2 || b.Generation != 2 {
			t.Fatalf("admin %+v, api %+v; want both running generation 2", a, b)
		}
	})
}

// TestEveryInterfaceDefaultIsNotMoved: the default address on every
// interface (a container's 0.0.0.0:8080), bound as [::]:8080, is the
// address asked for: no "in use" notice, and a URL a browser opens.
func TestEveryInterfaceDefaultIsNotMoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Addr, h.s.cfg.AddrAuto = "0.0.0.0:8080", true
		h.running()
		if w, ok := h.events.last(KindWarn); ok {
			t.Fatalf("warning %q, want none: the address was free", w.Message)
		}
		if st := h.status(); st.URL != "http://localhost:8080" {
			t.Fatalf("URL %s, want http://localhost:8080", st.URL)
		}
	})
}
