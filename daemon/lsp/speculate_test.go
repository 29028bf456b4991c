package lsp

import (
	"strings"
	"testing"
	"time"

	"go.lsp.dev/uri"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// TestTypedEditIsPreparedBeforeSave drives the real daemon as an editor
// would: open a file, type an edit (didChange), pause; the edit is built
// from the buffer, and the save serves that binary without building again.
// Undoing it then swaps back to the first binary, again without a build.
func TestTypedEditIsPreparedBeforeSave(t *testing.T) {
	dir := copyFixture(t, "app")
	greet := dir + "/greet/greet.go"
	u := string(uri.File(greet))
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(dir), nil)
	c.notify("initialized", map[string]any{})
	n, next := c.await(from, wait, "status running", isStatus(dir, running(0)))
	url := statusOf(t, n).Targets[0].URL

	v1 := "// Package greet holds the greeting the tests change.\npackage greet\n\n// Hello is the greeting.\nfunc Hello() string { return \"hello v1\" }\n"
	v2 := strings.Replace(v1, "hello v1", "hello v2", 1)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": u, "languageId": "go", "version": 1, "text": v1}})
	// Type "2" over the "1": one incremental change.
	line, col := 4, strings.Index("func Hello() string { return \"hello v1\" }", "1\"")
	c.notify("textDocument/didChange", map[string]any{
		"textDocument": map[string]any{"uri": u, "version": 2},
		"contentChanges": []map[string]any{{
			"range": map[string]any{"start": map[string]any{"line": line, "character": col}, "end": map[string]any{"line": line, "character": col + 1}},
			"text":  "2",
		}},
	})
	_, next = c.await(next, wait, "the buffer prepared before the save", func(n note) bool {
		return n.method == "window/logMessage" && strings.Contains(string(n.params), "ginhotd: prepared ")
	})

	writeFile(t, greet, v2)
	saved := time.Now()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": u}})
	c.await(next, wait, "the prepared version running", isStatus(dir, func(st session.Status) bool {
		return st.State == session.StateRunning && st.Targets[0].Generation == 2 && st.Targets[0].Prepared
	}))
	t.Logf("didSave → prepared version ready: %v", time.Since(saved))
	if body := get(t, url); !strings.Contains(body, "hello v2") {
		t.Fatalf("GET = %q, want hello v2", body)
	}
	for _, note := range c.all(from) {
		if note.method == "window/logMessage" && strings.Contains(string(note.params), "ginhotd: building ") && strings.Contains(string(note.params), "editor save") {
			t.Fatalf("the save started a build: %s", note.params)
		}
	}

	// Undo: the first content again, served from the first binary.
	next = c.mark()
	writeFile(t, greet, v1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": 3}, "contentChanges": []map[string]any{{"text": v1}}})
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": u}})
	c.await(next, wait, "generation 3 after the undo", isStatus(dir, func(st session.Status) bool {
		return st.State == session.StateRunning && st.Targets[0].Generation == 3
	}))
	if body := get(t, url); !strings.Contains(body, "hello v1") {
		t.Fatalf("GET after undo = %q, want hello v1", body)
	}
	c.await(next, wait, "the undo served without a build", func(n note) bool {
		return n.method == "window/logMessage" && strings.Contains(string(n.params), "built before from the same content")
	})
}
