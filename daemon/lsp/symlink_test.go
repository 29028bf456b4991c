package lsp

import (
	"os"
	"path/filepath"
	"testing"

	"go.lsp.dev/uri"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// TestSymlinkedFolder opens the workspace through a symbolic link: the
// status, the diagnostics and explain use the link, as the editor does,
// while the session builds the real directory.
func TestSymlinkedFolder(t *testing.T) {
	real := copyFixture(t, "app")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	greet := filepath.Join(link, "greet", "greet.go")
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(link), nil)
	c.notify("initialized", map[string]any{})
	n, next := c.await(from, wait, "status of the link running", isStatus(link, running(0)))
	if st := statusOf(t, n); st.Targets[0].MainFile != filepath.Join(link, "main.go") {
		t.Errorf("status main file %s, want %s", st.Targets[0].MainFile, filepath.Join(link, "main.go"))
	}

	writeFile(t, greet, brokenGreet)
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
	c.await(next, wait, "diagnostics for greet.go under the link", isDiagnostics(greet, false))

	var x session.Explanation
	c.mustCall("workspace/executeCommand", execute("ginhot.explain", string(uri.File(greet))), &x)
	if x.Decision != "rebuild" || len(x.Targets) != 1 {
		t.Errorf("explain %s = %+v, want a rebuild of the one target", greet, x)
	}
	var st session.Status
	c.mustCall("workspace/executeCommand", execute("ginhot.status"), &st)
	if st.Root != link {
		t.Errorf("ginhot.status root %s, want %s", st.Root, link)
	}
}
