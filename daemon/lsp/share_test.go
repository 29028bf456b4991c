package lsp

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/uri"
)

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestListenSharesFolder opens one folder from two editors over --listen,
// on an address of the user's choosing: the second joins the first's
// session (same app, same URL) instead of failing with "address already in
// use"; both get the diagnostics of a save made in either; the app keeps
// serving when the first editor leaves and stops when the last one does.
func TestListenSharesFolder(t *testing.T) {
	dir := copyFixture(t, "app")
	greet := filepath.Join(dir, "greet", "greet.go")
	addr, _ := startListen(t, "127.0.0.1:0")
	params := initParams(dir)
	params["initializationOptions"].(map[string]any)["addr"] = freeAddr(t)

	a, b := dialClient(t, addr), dialClient(t, addr)
	fromA := a.mark()
	a.mustCall("initialize", params, nil)
	a.notify("initialized", map[string]any{})
	n, _ := a.await(fromA, wait, "status running in the first editor", isStatus(dir, running(0)))
	first := statusOf(t, n).Targets[0]

	fromB := b.mark()
	b.mustCall("initialize", params, nil)
	b.notify("initialized", map[string]any{})
	n, _ = b.await(fromB, wait, "status running in the second editor", isStatus(dir, running(0)))
	if got := statusOf(t, n).Targets[0]; got.PID != first.PID || got.URL != first.URL {
		t.Fatalf("second editor sees pid %d at %s, want the first's session: pid %d at %s", got.PID, got.URL, first.PID, first.URL)
	}
	for _, m := range b.all(fromB) {
		if m.method == "window/showMessage" {
			t.Errorf("second editor was told: %s", m.params)
		}
	}

	markA := a.mark()
	writeFile(t, greet, brokenGreet)
	b.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
	b.await(fromB, wait, "diagnostics in the editor that saved", isDiagnostics(greet, false))
	a.await(markA, wait, "diagnostics in the other editor", isDiagnostics(greet, false))

	a.mustCall("shutdown", nil, nil)
	a.notify("exit", nil)
	if body := get(t, first.URL); !strings.Contains(body, "hello v1") {
		t.Fatalf("after the first editor left GET %s = %q, want the app still serving", first.URL, body)
	}
	b.mustCall("shutdown", nil, nil)
	awaitGone(t, first.PID, wait)
}
