// Package testkit holds what ginhotd's tests share: a bounded wait and
// fixture modules copied with a stand-in for Gin. Only tests import it.
package testkit

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
)

// Eventually calls cond every 10 ms until it returns true, and fails t
// once timeout has passed without that.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// CopyModule copies the fixture directory src (such as "testdata/app") into
// a new temporary directory and returns the copy's absolute path, which
// ends in src's base name. Every go.mod in the copy that replaces Gin with
// a directory the fixture does not have gets the stand-in for Gin there, so
// fixtures build without the network and share one stand-in.
func CopyModule(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "go.mod" {
			return err
		}
		return addFakeGin(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// ginPath is the module the stand-in replaces.
const ginPath = "github.com/gin-gonic/gin"

// addFakeGin writes the stand-in for Gin where the go.mod at path replaces
// Gin with a local directory that does not exist.
func addFakeGin(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return err
	}
	for _, r := range f.Replace {
		if r.Old.Path != ginPath || !modfile.IsDirectoryPath(r.New.Path) {
			continue
		}
		dir := filepath.Join(filepath.Dir(path), filepath.FromSlash(r.New.Path))
		if _, err := os.Stat(dir); err == nil {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(fakeGinMod), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "gin.go"), []byte(fakeGinSource), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const fakeGinMod = "module github.com/gin-gonic/gin\n\ngo 1.22\n"

const fakeGinSource = `// Package gin stands in for github.com/gin-gonic/gin in ginhotd's tests:
// ginhotd recognises a Gin app by this import path, and the fixtures must
// build without the network. Run serves, as Gin's does.
package gin

import (
	"fmt"
	"net/http"
	"os"
)

// Engine is the stand-in router.
type Engine struct{ mux *http.ServeMux }

// Context is what a handler answers with.
type Context struct {
	Writer  http.ResponseWriter
	Request *http.Request
}

// New returns an Engine.
func New() *Engine { return &Engine{mux: http.NewServeMux()} }

// GET routes GET requests for path to h.
func (e *Engine) GET(path string, h func(*Context)) {
	e.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) { h(&Context{Writer: w, Request: r}) })
}

// String answers with the formatted text.
func (c *Context) String(code int, format string, values ...any) {
	c.Writer.WriteHeader(code)
	fmt.Fprintf(c.Writer, format, values...)
}

// Run listens on addr, else on :$PORT, else on :8080, as Gin does.
func (e *Engine) Run(addr ...string) error {
	a := ":8080"
	switch {
	case len(addr) > 0:
		a = addr[0]
	case os.Getenv("PORT") != "":
		a = ":" + os.Getenv("PORT")
	}
	return http.ListenAndServe(a, e.mux)
}

// Mode returns the run mode.
func Mode() string { return "debug" }
`
