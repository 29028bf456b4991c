//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// adminSource is a second Gin main that answers "admin" on $PORT.
const adminSource = `package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	fmt.Println("admin", gin.Mode())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "admin") })
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
`

// TestSecondMainComesAndGoes: a Gin main added while requests flow to the
// first is built and served on an address of its own; deleting it stops
// only it. The first version serves throughout, never rebuilt, with no
// request failed.
func TestSecondMainComesAndGoes(t *testing.T) {
	d := startDaemon(t)
	pid := d.get("/pid")
	stop := make(chan struct{})
	total, failed, firstErr, wait := load(d.url, 100, stop)
	defer func() {
		if stop != nil {
			close(stop)
			wait()
		}
	}()

	m := d.mark()
	if err := os.MkdirAll(filepath.Join(d.dir, "admin"), 0o755); err != nil {
		t.Fatal(err)
	}
	d.write("admin/main.go", adminSource)
	added := d.awaitAfter(m, "target_added ./admin", 60*time.Second, func(e event) bool { return e.Event == "target_added" && e.Target == "./admin" })
	if added.URL == "" || added.URL == d.url {
		t.Fatalf("the new target's URL = %q, want an address of its own (the first serves at %s)", added.URL, d.url)
	}
	d.awaitAfter(m, "./admin ready", 90*time.Second, func(e event) bool { return e.Event == "ready" && e.Target == "./admin" })
	if got := fetch(t, added.URL); got != "admin" {
		t.Fatalf("GET %s = %q, want admin", added.URL, got)
	}

	m = d.mark()
	if err := os.RemoveAll(filepath.Join(d.dir, "admin")); err != nil {
		t.Fatal(err)
	}
	d.awaitAfter(m, "target_removed ./admin", 60*time.Second, func(e event) bool { return e.Event == "target_removed" && e.Target == "./admin" })
	d.awaitAfter(m, "./admin stopped", 30*time.Second, func(e event) bool { return e.Event == "stop" && e.Target == "./admin" })
	st := d.awaitAfter(m, "status with ./admin stopped", 10*time.Second, func(e event) bool {
		if e.Status == nil {
			return false
		}
		for _, ts := range e.Status.Targets {
			if ts.Name == "./admin" && ts.State == "stopped" && ts.Error != "" {
				return true
			}
		}
		return false
	})
	t.Logf("status after the delete: %+v", st.Status.Targets)
	start := time.Now()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(added.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "./admin was deleted or renamed") || time.Since(start) > 2*time.Second {
		t.Fatalf("GET %s after the delete: %d in %s: %s; want a 502 at once that says why", added.URL, resp.StatusCode, time.Since(start), body)
	}

	time.Sleep(300 * time.Millisecond)
	close(stop)
	wait()
	stop = nil
	if failed.Load() != 0 || total.Load() < 50 {
		t.Fatalf("%d of %d requests to the first main failed; first: %v", failed.Load(), total.Load(), firstErr.Load())
	}
	if got := d.get("/pid"); got != pid {
		t.Fatalf("the first main's pid changed from %s to %s: it was rebuilt or restarted", pid, got)
	}
	for _, e := range d.since(0) {
		if e.Event == "build_start" && e.Target == "." && !strings.HasPrefix(e.Reason, "first build") {
			t.Fatalf("the first main was rebuilt: %+v", e)
		}
	}
}

// fetch GETs url and returns the body, failing the test on an error.
func fetch(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", url, strconv.Itoa(resp.StatusCode), b)
	}
	return string(b)
}
