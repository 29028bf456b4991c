package lsp

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ginhotd/ginhotd/daemon/session"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// TestPathMapTranslates maps URIs in and paths out, for a macOS editor and
// a Windows one, longest prefix first, and leaves other paths alone.
func TestPathMapTranslates(t *testing.T) {
	m, err := newPathMap(map[string]any{"/Users/me/app": "/app", "/Users/me/app/web": "/web", `C:\src\shop`: "/shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, want string }{
		{"file:///Users/me/app/main.go", "file:///app/main.go"},
		{"file:///Users/me/app", "file:///app"},
		{"file:///Users/me/app/web/x.go", "file:///web/x.go"},
		{"file:///Users/me/apple/x.go", "file:///Users/me/apple/x.go"},
		{"file:///c%3A/src/shop/cmd/api/main.go", "file:///shop/cmd/api/main.go"},
		{"file:///C:/src/shop/go.mod", "file:///shop/go.mod"},
		{"untitled:Untitled-1", "untitled:Untitled-1"},
	} {
		if got := m.in(tt.in); got != tt.want {
			t.Errorf("in(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ path, uri, out string }{
		{"/app/msg/msg.go", "file:///Users/me/app/msg/msg.go", "/Users/me/app/msg/msg.go"},
		{"/web/x.go", "file:///Users/me/app/web/x.go", "/Users/me/app/web/x.go"},
		{"/shop/main.go", "file:///c:/src/shop/main.go", "c:/src/shop/main.go"},
		{"/root/go/pkg/mod/x.go", "file:///root/go/pkg/mod/x.go", "/root/go/pkg/mod/x.go"},
	} {
		if got := m.outURI(tt.path); string(got) != tt.uri {
			t.Errorf("outURI(%q) = %q, want %q", tt.path, got, tt.uri)
		}
		if got := m.out(tt.path); got != tt.out {
			t.Errorf("out(%q) = %q, want %q", tt.path, got, tt.out)
		}
	}
	for _, bad := range []any{"/app", map[string]any{"relative": "/app"}, map[string]any{"/Users/me/app": "app"}, map[string]any{"/a": 1}} {
		if _, err := newPathMap(bad); err == nil {
			t.Errorf("newPathMap(%v) accepted", bad)
		}
	}
}

// TestPathMapEditorOutsideTheContainer runs the daemon on the fixture's
// real directory while the client speaks of /Users/me/app, as an editor on
// the host does with `docker exec -i app ginhotd --stdio`: the folder
// starts, a save named by the client's URI builds, and the diagnostics and
// the status come back at the client's paths.
func TestPathMapEditorOutsideTheContainer(t *testing.T) {
	dir := copyFixture(t, "app")
	const editorDir = "/Users/me/app"
	editorGreet := editorDir + "/greet/greet.go"
	c := newClient(t, Options{})
	params := initParams(editorDir)
	params["initializationOptions"].(map[string]any)["path_map"] = map[string]any{editorDir: dir}
	from := c.mark()
	c.mustCall("initialize", params, nil)
	c.notify("initialized", map[string]any{})
	n, next := c.await(from, wait, "status running at the editor's root", isStatus(editorDir, running(0)))
	if st := statusOf(t, n); st.Targets[0].MainFile != editorDir+"/main.go" {
		t.Errorf("status mainFile = %q, want it under %s", st.Targets[0].MainFile, editorDir)
	}

	writeFile(t, filepath.Join(dir, "greet", "greet.go"), brokenGreet)
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file://" + editorGreet}})
	n, _ = c.await(next, wait, "diagnostics at the editor's path", isDiagnostics(editorGreet, false))
	var pd protocol.PublishDiagnosticsParams
	if err := json.Unmarshal(n.params, &pd); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pd.Diagnostics[0].Message, "undefinedThing") {
		t.Errorf("diagnostic %q, want the compile error", pd.Diagnostics[0].Message)
	}
	for _, n := range c.all(from) {
		if n.method == "textDocument/publishDiagnostics" && strings.Contains(string(n.params), dir) {
			t.Errorf("a diagnostic names the daemon's path: %s", n.params)
		}
	}
	var st session.Status
	c.mustCall("workspace/executeCommand", map[string]any{"command": cmdStatus, "arguments": []string{string(uri.URI("file://" + editorGreet))}}, &st)
	if st.Root != editorDir {
		t.Errorf("ginhot.status root = %q, want %q", st.Root, editorDir)
	}
}

// TestMissingRootNamesPathMap checks that a root that does not exist where
// the daemon runs is refused with an error that says to set path_map.
func TestMissingRootNamesPathMap(t *testing.T) {
	c := newClient(t, Options{})
	err := c.call("initialize", initParams("/Users/nobody/app"), nil)
	if err == nil || !strings.Contains(err.Error(), "path_map") || !strings.Contains(err.Error(), "/Users/nobody/app") {
		t.Fatalf("initialize = %v, want an error naming the folder and path_map", err)
	}
}
