//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bombardierModule is the load generator of the proxy scenario.
const bombardierModule = "github.com/codesenberg/bombardier@v1.2.6"

// proxyConns is the number of concurrent connections of the proxy scenario.
const proxyConns = 32

// proxyPath is the endpoint loaded: a small JSON answer, as most requests
// to a Gin API are.
const proxyPath = "/api/products/1"

// ProxyResult is the proxy scenario: the same app served directly, behind
// a bare httputil.ReverseProxy, and behind ginhotd, each loaded by
// bombardier with proxyConns connections.
type ProxyResult struct {
	Conns    int        `json:"conns"`
	Duration float64    `json:"duration_s"`
	Rows     []ProxyRow `json:"rows"`
	Errors   []string   `json:"errors,omitempty"`
}

// ProxyRow is one way of serving the app.
type ProxyRow struct {
	Name     string  `json:"name"`
	Requests int64   `json:"requests"`
	Failed   int64   `json:"failed"` // non-2xx answers and transport errors
	RPS      float64 `json:"rps"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
	// ProxyCPUUS is the CPU time of the process in front of the app per
	// request (for ginhotd: its own process, the proxy and the path of the
	// app's log lines); 0 for the direct row.
	ProxyCPUUS float64 `json:"proxy_cpu_us_per_req"`
	// AppCPUUS is the app's CPU time per request.
	AppCPUUS float64 `json:"app_cpu_us_per_req"`
}

// bareProxySource is the bare proxy: httputil.ReverseProxy with the same
// connection pool size as ginhotd's, and nothing else; with a third
// argument "pool" it also reuses its response copy buffers, as ginhotd does.
const bareProxySource = `// Command bareproxy is the bench's bare httputil.ReverseProxy.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
)

type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.pool.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.pool.Put(&buf) }

func main() {
	target, err := url.Parse(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConns: 100, MaxIdleConnsPerHost: 100, DisableCompression: true}
	if len(os.Args) > 3 && os.Args[3] == "pool" {
		rp.BufferPool = &bufferPool{}
	}
	log.Fatal(http.ListenAndServe(os.Args[1], rp))
}
`

// proxy runs the proxy scenario.
func (b *bench) proxy() *ProxyResult {
	r := &ProxyResult{Conns: proxyConns, Duration: b.plan.ProxyLoad.Seconds()}
	fail := func(err error) { r.Errors = append(r.Errors, err.Error()); logf("proxy: %v", err) }
	bin := filepath.Join(b.work, "bin")
	logf("proxy: installing %s, building the bare proxy and the app", bombardierModule)
	c := b.goCmd(b.work, "install", bombardierModule)
	c.Env = append(c.Env, "GOBIN="+bin)
	if out, err := c.CombinedOutput(); err != nil {
		fail(fmt.Errorf("installing bombardier: %w\n%s", err, out))
		return r
	}
	bare := filepath.Join(b.work, "bareproxy")
	if err := os.MkdirAll(bare, 0o755); err != nil {
		fail(err)
		return r
	}
	if err := os.WriteFile(filepath.Join(bare, "go.mod"), []byte("module bareproxy\n\ngo 1.24\n"), 0o644); err != nil {
		fail(err)
		return r
	}
	if err := os.WriteFile(filepath.Join(bare, "main.go"), []byte(bareProxySource), 0o644); err != nil {
		fail(err)
		return r
	}
	c = b.goCmd(bare, "build", "-o", filepath.Join(bin, "bareproxy"), ".")
	c.Env = append(c.Env, "GOWORK=off")
	if out, err := c.CombinedOutput(); err != nil {
		fail(fmt.Errorf("building the bare proxy: %w\n%s", err, out))
		return r
	}
	shop := filepath.Join(b.work, "proxy-shop")
	if err := copyTree(filepath.Join(b.repo, "examples", "shop"), shop); err != nil {
		fail(err)
		return r
	}
	if out, err := b.goCmd(shop, "build", "-o", filepath.Join(bin, "shop"), "./cmd/api").CombinedOutput(); err != nil {
		fail(fmt.Errorf("building the app: %w\n%s", err, out))
		return r
	}

	appPort, err := freePort()
	if err != nil {
		fail(err)
		return r
	}
	app, err := b.startProc(shop, filepath.Join(bin, "shop"), nil, "proxy-app", fmt.Sprintf("PORT=%d", appPort))
	if err != nil {
		fail(err)
		return r
	}
	defer b.procs.stop(app, syscall.SIGTERM, 5*time.Second)
	appURL := fmt.Sprintf("http://127.0.0.1:%d", appPort)
	if err := b.waitOK(appURL + "/health"); err != nil {
		fail(err)
		return r
	}
	if row, err := b.loadRow("direct", appURL, 0, app); err != nil {
		fail(err)
	} else {
		r.Rows = append(r.Rows, row)
	}

	for _, bare := range []struct{ name, arg string }{
		{"bare httputil.ReverseProxy", ""},
		{"bare httputil.ReverseProxy + BufferPool", "pool"},
	} {
		if err := b.bareRow(r, bare.name, bare.arg, appURL, app); err != nil {
			fail(err)
		}
	}

	dir := filepath.Join(b.work, "proxy-ginhotd")
	if err := copyTree(filepath.Join(b.repo, "examples", "shop"), dir); err != nil {
		fail(err)
		return r
	}
	in, _, err := b.startTool(toolSpec{Name: "ginhotd proxy", Slug: "proxy-ginhotd"}, dir, "v1", 2*time.Minute)
	defer in.stop()
	if err != nil {
		fail(err)
		return r
	}
	if row, err := b.loadRow("ginhotd proxy", in.url, in.pid, in.notePID()); err != nil {
		fail(err)
	} else {
		r.Rows = append(r.Rows, row)
	}
	return r
}

// bareRow loads the bare proxy (with arg "pool": with a buffer pool) in
// front of the app at appURL and appends its row to r.
func (b *bench) bareRow(r *ProxyResult, name, arg, appURL string, app int) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	args := []string{fmt.Sprintf("127.0.0.1:%d", port), appURL}
	if arg != "" {
		args = append(args, arg)
	}
	bp, err := b.startProc(b.work, filepath.Join(b.work, "bin", "bareproxy"), args, "proxy-bare"+arg)
	if err != nil {
		return err
	}
	defer b.procs.stop(bp, syscall.SIGTERM, 5*time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := b.waitOK(url + "/health"); err != nil {
		return err
	}
	row, err := b.loadRow(name, url, bp, app)
	if err != nil {
		return err
	}
	r.Rows = append(r.Rows, row)
	return nil
}

// startProc starts a helper process (the app, the bare proxy) in dir with
// the tools' environment; its output goes to the logs directory.
func (b *bench) startProc(dir, path string, args []string, name string, env ...string) (int, error) {
	logDir := filepath.Join(b.work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return 0, err
	}
	out, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return 0, err
	}
	defer out.Close()
	c := exec.Command(path, args...)
	c.Dir = dir
	c.Env = b.toolEnv(filepath.Join(logDir, name+".builds"), env...)
	c.Stdout, c.Stderr = out, out
	if err := b.procs.start(c); err != nil {
		return 0, fmt.Errorf("start %s: %w", name, err)
	}
	return c.Process.Pid, nil
}

// waitOK waits until url answers 200.
func (b *bench) waitOK(url string) error {
	if _, ok := waitBody(b.ctx, newClient(time.Second), url, func(string) bool { return true }, time.Now(), 30*time.Second); !ok {
		return fmt.Errorf("%s did not answer within 30s", url)
	}
	return nil
}

// bombardierResult is the part of bombardier's JSON result the scenario
// reads.
type bombardierResult struct {
	Result struct {
		Req1xx, Req2xx, Req3xx, Req4xx, Req5xx, Others int64
		Latency                                        struct {
			Percentiles map[string]float64 `json:"percentiles"` // µs
		} `json:"latency"`
		RPS struct {
			Mean float64 `json:"mean"`
		} `json:"rps"`
	} `json:"result"`
}

// loadRow loads base+proxyPath for the plan's ProxyLoad after a one-second
// warm-up and measures the CPU time of front (0: none) and app.
func (b *bench) loadRow(name, base string, front, app int) (ProxyRow, error) {
	row := ProxyRow{Name: name}
	url := base + proxyPath
	if _, err := b.bombard(url, time.Second); err != nil {
		return row, err
	}
	f0, _ := cpuSeconds(front)
	a0, _ := cpuSeconds(app)
	res, err := b.bombard(url, b.plan.ProxyLoad)
	if err != nil {
		return row, err
	}
	f1, _ := cpuSeconds(front)
	a1, _ := cpuSeconds(app)
	r := res.Result
	row.Requests = r.Req1xx + r.Req2xx + r.Req3xx + r.Req4xx + r.Req5xx + r.Others
	row.Failed = row.Requests - r.Req2xx
	row.RPS = r.RPS.Mean
	row.P50MS = r.Latency.Percentiles["50"] / 1000
	row.P99MS = r.Latency.Percentiles["99"] / 1000
	if row.Requests > 0 {
		if front != 0 {
			row.ProxyCPUUS = (f1 - f0) * 1e6 / float64(row.Requests)
		}
		row.AppCPUUS = (a1 - a0) * 1e6 / float64(row.Requests)
	}
	logf("proxy: %s: %.0f req/s, proxy %.0f µs CPU/req, app %.0f µs CPU/req, %d failed", name, row.RPS, row.ProxyCPUUS, row.AppCPUUS, row.Failed)
	return row, nil
}

// bombard runs bombardier against url for d.
func (b *bench) bombard(url string, d time.Duration) (bombardierResult, error) {
	var res bombardierResult
	c := exec.CommandContext(b.ctx, filepath.Join(b.work, "bin", "bombardier"),
		"-c", strconv.Itoa(proxyConns), "-d", d.String(), "-l", "-p", "r", "-o", "json", url)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		return res, fmt.Errorf("bombardier %s: %w\n%s", url, err, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("bombardier %s: %w: %q", url, err, strings.TrimSpace(out.String()))
	}
	return res, nil
}

// renderProxy is the proxy scenario's table.
func renderProxy(p *ProxyResult) string {
	var t table
	t.row(fmt.Sprintf("proxy: bombardier, %d connections, %.0f s, GET %s", p.Conns, p.Duration, proxyPath), "req/s", "latency p50 / p99", "CPU µs/request in front of the app", "app CPU µs/request", "failed")
	t.row("---", "---", "---", "---", "---", "---")
	var bare float64
	for _, r := range p.Rows {
		front := "—"
		if r.ProxyCPUUS > 0 {
			front = fmt.Sprintf("%.0f", r.ProxyCPUUS)
			if bare > 0 {
				front += fmt.Sprintf(" (%.2f× bare)", r.ProxyCPUUS/bare)
			} else {
				bare = r.ProxyCPUUS
			}
		}
		t.row(r.Name, fmt.Sprintf("%.0f", r.RPS), fmt.Sprintf("%.2f / %.2f ms", r.P50MS, r.P99MS), front, fmt.Sprintf("%.0f", r.AppCPUUS), fmt.Sprint(r.Failed))
	}
	out := t.sb.String()
	for _, e := range p.Errors {
		out += "\nproxy: " + e
	}
	return out
}
