//go:build unix

package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchClients is the number of concurrent connections of the proxy
// benchmarks, as in the issue that measured the proxy's cost.
const benchClients = 32

// benchApp starts an app that answers every request with a small JSON
// body, as a Gin API does.
func benchApp(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(`{"id":42,"name":"widget","price":9.99,"tags":["a","b","c"]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchLoad sends GETs to url from benchClients goroutines and reports the
// process's CPU time per request ("cpu-µs/op": client, proxy and app
// together; the app and client are the same in every benchmark, so the
// difference between two benchmarks is the difference between proxies).
func benchLoad(b *testing.B, url string) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: benchClients, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.SetParallelism((benchClients + 1) / 2) // × GOMAXPROCS goroutines; 32 on 2 cores
	var before, after syscall.Rusage
	b.ReportAllocs()
	b.ResetTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	b.StopTimer()
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkDirect is the app alone: the floor of the other two.
func BenchmarkDirect(b *testing.B) {
	benchLoad(b, benchApp(b).URL+"/item")
}

// BenchmarkBareProxy is a plain httputil.ReverseProxy in front of the app.
func BenchmarkBareProxy(b *testing.B) {
	app := benchApp(b)
	u, _ := url.Parse(app.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 100, DisableCompression: true}
	front := httptest.NewServer(rp)
	b.Cleanup(front.Close)
	benchLoad(b, front.URL+"/item")
}

// BenchmarkProxy is ginhotd's proxy, live reload on, in front of the app.
func BenchmarkProxy(b *testing.B) {
	for _, accept := range []string{"application/json", "text/html"} {
		b.Run(strings.ReplaceAll(accept, "/", "_"), func(b *testing.B) {
			app := benchApp(b)
			p := New(Options{LiveReload: true})
			p.Switch(app.Listener.Addr().String())
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set("Accept", accept)
				p.ServeHTTP(w, r)
			}))
			b.Cleanup(front.Close)
			b.Cleanup(p.Close)
			benchLoad(b, fmt.Sprintf("%s/item", front.URL))
		})
	}
}
