package lsp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// fakeEditor records Edited calls.
type fakeEditor struct {
	mu    sync.Mutex
	calls []string // "path=content" or "path=<disk>"
}

func (e *fakeEditor) Edited(path string, content []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if content == nil {
		e.calls = append(e.calls, filepath.Base(path)+"=<disk>")
		return
	}
	e.calls = append(e.calls, filepath.Base(path)+"="+string(content))
}

func (e *fakeEditor) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls
	e.calls = nil
	return c
}

// docServer is a server with one workspace folder and a fake editor
// session, driven by calling its handlers directly.
type docServer struct {
	s    *server
	dir  string
	ed   *fakeEditor
	logs *[]string
}

func newDocServer(t *testing.T) *docServer {
	dir := t.TempDir()
	r, err := newRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs []string
	s := &server{
		opts: Options{Logf: func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			mu.Unlock()
		}},
		docs:    newDocuments(),
		folders: []*folder{{root: r}},
	}
	ed := &fakeEditor{}
	s.docs.editorOf = func(*session.Session) Editor { return ed }
	return &docServer{s: s, dir: dir, ed: ed, logs: &logs}
}

func (d *docServer) uri(name string) string { return "file://" + filepath.Join(d.dir, name) }

func (d *docServer) open(name string, version int, text string) {
	d.s.didOpen(mustJSON(map[string]any{"textDocument": map[string]any{"uri": d.uri(name), "version": version, "languageId": "go", "text": text}}))
}

func (d *docServer) change(name string, version int, changes ...docChange) {
	d.s.didChange(mustJSON(map[string]any{"textDocument": map[string]any{"uri": d.uri(name), "version": version}, "contentChanges": changes}))
}

func (d *docServer) countLogs(sub string) int {
	n := 0
	for _, l := range *d.logs {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestEditedFollowsDirtyState(t *testing.T) {
	d := newDocServer(t)
	path := filepath.Join(d.dir, "a.go")
	if err := os.WriteFile(path, []byte("package a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.open("a.go", 1, "package a\n")
	if c := d.ed.take(); len(c) != 0 {
		t.Fatalf("open with the disk text: Edited %v; want no call", c)
	}
	d.change("a.go", 2, rng(1, 0, 1, 0, "var x = 1\n"))
	d.change("a.go", 3, rng(1, 8, 1, 9, "2"))
	if c, want := d.ed.take(), []string{"a.go=package a\nvar x = 1\n", "a.go=package a\nvar x = 2\n"}; !equalStrings(c, want) {
		t.Fatalf("typing: Edited %q, want %q", c, want)
	}
	// Undo back to the disk text: the buffer is clean again.
	d.change("a.go", 4, rng(1, 0, 2, 0, ""))
	if c, want := d.ed.take(), []string{"a.go=<disk>"}; !equalStrings(c, want) {
		t.Fatalf("undo: Edited %q, want %q", c, want)
	}
	// Edit, then save: the disk now holds the buffer.
	d.change("a.go", 5, full("package a // saved\n"))
	if err := os.WriteFile(path, []byte("package a // saved\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.s.bufferSaved(nil, path)
	if c, want := d.ed.take(), []string{"a.go=package a // saved\n", "a.go=<disk>"}; !equalStrings(c, want) {
		t.Fatalf("save: Edited %q, want %q", c, want)
	}
	// A change the server cannot place drops the buffer to the disk text,
	// logged once however often it happens.
	d.change("a.go", 6, full("package a // dirty\n"))
	d.change("a.go", 7, rng(9, 0, 9, 0, "x"))
	d.change("a.go", 8, full("package a // dirty again\n"))
	d.change("a.go", 2, rng(0, 0, 0, 0, "x"))
	d.change("a.go", 1, rng(0, 0, 0, 0, "x"))
	want := []string{"a.go=package a // dirty\n", "a.go=<disk>", "a.go=package a // dirty again\n", "a.go=<disk>"}
	if c := d.ed.take(); !equalStrings(c, want) {
		t.Fatalf("bad changes: Edited %q, want %q", c, want)
	}
	if n := d.countLogs("outside the document"); n != 1 {
		t.Errorf("out-of-range logged %d times, want once:\n%s", n, strings.Join(*d.logs, "\n"))
	}
	if n := d.countLogs("does not follow"); n != 1 {
		t.Errorf("out-of-order logged %d times, want once", n)
	}
	// Closing a dirty buffer tells the session it is gone.
	d.change("a.go", 9, full("package a // closing\n"))
	d.s.didClose(mustJSON(map[string]any{"textDocument": map[string]any{"uri": d.uri("a.go")}}))
	if c, want := d.ed.take(), []string{"a.go=package a // closing\n", "a.go=<disk>"}; !equalStrings(c, want) {
		t.Fatalf("close: Edited %q, want %q", c, want)
	}
}

func TestDocumentsStepAside(t *testing.T) {
	d := newDocServer(t)
	// Never opened: logged once, no call.
	d.change("never.go", 2, full("x"))
	d.change("never.go", 3, full("y"))
	// Outside every workspace folder: logged once, no call.
	for range 2 {
		d.s.didOpen(mustJSON(map[string]any{"textDocument": map[string]any{"uri": "file:///elsewhere/b.go", "version": 1, "text": "x"}}))
	}
	// 50 MB: refused from the URI alone.
	big := mustJSON(map[string]any{"textDocument": map[string]any{"uri": d.uri("big.go"), "version": 1, "text": strings.Repeat("x", 50<<20)}})
	d.s.didOpen(big)
	d.change("big.go", 2, full("small now"))
	if c := d.ed.take(); len(c) != 0 {
		t.Fatalf("Edited %q; want no call for documents set aside", c)
	}
	if d.s.docs.store.get(filepath.Join(d.dir, "big.go")) != nil {
		t.Error("a 50 MB document is tracked")
	}
	for sub, want := range map[string]int{"never opened": 1, "outside every workspace": 1, "over 8 MB": 1} {
		if n := d.countLogs(sub); n != want {
			t.Errorf("%q logged %d times, want %d:\n%s", sub, n, want, strings.Join(*d.logs, "\n"))
		}
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}
