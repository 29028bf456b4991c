package lsp

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// emptyInit initializes with no workspace folder: no session starts.
func emptyInit() map[string]any {
	return map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}
}

func execute(command string, args ...any) *protocol.ExecuteCommandParams {
	return &protocol.ExecuteCommandParams{Command: command, Arguments: args}
}

func TestLifecycle(t *testing.T) {
	c := newClient(t, Options{})

	err := c.call("workspace/executeCommand", execute("ginhot.status"), nil)
	if rpcCode(err) != jsonrpc2.ServerNotInitialized {
		t.Fatalf("request before initialize: got %v, want code %d", err, jsonrpc2.ServerNotInitialized)
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file:///x.go"}})

	var res struct {
		Capabilities struct {
			TextDocumentSync struct {
				OpenClose *bool           `json:"openClose"`
				Change    *int            `json:"change"`
				Save      json.RawMessage `json:"save"`
			} `json:"textDocumentSync"`
			ExecuteCommandProvider struct {
				Commands []string `json:"commands"`
			} `json:"executeCommandProvider"`
			Workspace struct {
				WorkspaceFolders struct {
					Supported           bool `json:"supported"`
					ChangeNotifications any  `json:"changeNotifications"`
				} `json:"workspaceFolders"`
			} `json:"workspace"`
		} `json:"capabilities"`
		ServerInfo struct {
			Name string `json:"name"`
		} `json:"serverInfo"`
	}
	c.mustCall("initialize", emptyInit(), &res)
	caps := res.Capabilities
	if s := caps.TextDocumentSync; s.OpenClose == nil || !*s.OpenClose || s.Change == nil || *s.Change != 2 || string(s.Save) != `{}` {
		t.Errorf("textDocumentSync = %+v (save %s), want openClose true, change 2 (incremental), save {}", s, s.Save)
	}
	var want []string
	for _, cmd := range readContract(t).Commands {
		want = append(want, cmd.Name)
	}
	if !slices.Equal(caps.ExecuteCommandProvider.Commands, want) {
		t.Errorf("commands = %v, want %v", caps.ExecuteCommandProvider.Commands, want)
	}
	if wf := caps.Workspace.WorkspaceFolders; !wf.Supported || wf.ChangeNotifications != true {
		t.Errorf("workspaceFolders = %+v, want supported with change notifications", wf)
	}
	if res.ServerInfo.Name != "ginhotd" {
		t.Errorf("serverInfo.name = %q", res.ServerInfo.Name)
	}

	if err := c.call("initialize", emptyInit(), nil); rpcCode(err) != jsonrpc2.InvalidRequest {
		t.Errorf("second initialize: got %v, want InvalidRequest", err)
	}
	from := c.mark()
	c.notify("initialized", map[string]any{})
	c.await(from, wait, "showMessage about the missing module", func(n note) bool {
		return n.method == "window/showMessage" && strings.Contains(string(n.params), "go.mod")
	})

	// Unknown notifications are ignored; unknown requests are answered.
	c.notify("$/setTrace", map[string]any{"value": "verbose"})
	c.notify("$/cancelRequest", map[string]any{"id": 99})
	c.notify("ginhotd/unknown", nil)
	if err := c.call("textDocument/hover", map[string]any{}, nil); rpcCode(err) != jsonrpc2.MethodNotFound {
		t.Errorf("unknown request: got %v, want MethodNotFound", err)
	}

	var st status
	c.mustCall("workspace/executeCommand", execute("ginhot.status"), &st)
	if st.State != session.StateStopped || st.Label != "stopped" || st.Targets == nil || len(st.Targets) != 0 {
		t.Errorf("status without a workspace = %+v, want stopped with no targets", st)
	}

	c.mustCall("shutdown", nil, nil)
	for _, m := range []string{"workspace/executeCommand", "shutdown", "initialize"} {
		if err := c.call(m, execute("ginhot.status"), nil); rpcCode(err) != jsonrpc2.InvalidRequest {
			t.Errorf("%s after shutdown: got %v, want InvalidRequest", m, err)
		}
	}
	c.notify("exit", nil)
	if err := c.serveResult(); err != nil {
		t.Errorf("Serve after shutdown and exit = %v, want nil (exit code 0)", err)
	}
}

func TestCommandErrors(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCall("initialize", emptyInit(), nil)
	c.notify("initialized", map[string]any{})
	for _, tc := range []struct {
		name   string
		params any
		code   jsonrpc2.Code
		msg    string
	}{
		{"unknown command", execute("ginhot.frobnicate"), jsonrpc2.InvalidParams, "unknown command"},
		{"target not a string", execute("ginhot.restart", 42), jsonrpc2.InvalidParams, "must be a target name"},
		{"too many arguments", execute("ginhot.stop", "a", "b"), jsonrpc2.InvalidParams, "at most one argument"},
		{"explain without argument", execute("ginhot.explain"), jsonrpc2.InvalidParams, "needs one argument"},
		{"explain non-file URI", execute("ginhot.explain", "untitled:Untitled-1"), jsonrpc2.InvalidParams, "not a file: URI"},
		{"explain outside every folder", execute("ginhot.explain", "file:///etc/hosts"), jsonrpc2.InvalidParams, "outside every workspace folder"},
		{"status of a non-file URI", execute("ginhot.status", "https://example.com/"), jsonrpc2.InvalidParams, "not a file: URI"},
		{"params not an object", []int{1}, jsonrpc2.InvalidParams, "executeCommand"},
		{"restart with nothing running", execute("ginhot.restart"), codeRequestFailed, "no workspace folder is running"},
		{"debug with a bare boolean", execute("ginhot.debug", true), jsonrpc2.InvalidParams, `{"on": true} or {"on": false}`},
		{"debug with a string", execute("ginhot.debug", map[string]any{"on": "yes"}), jsonrpc2.InvalidParams, `{"on": true} or {"on": false}`},
		{"debug with nothing running", execute("ginhot.debug"), codeRequestFailed, "no workspace folder is running"},
	} {
		err := c.call("workspace/executeCommand", tc.params, nil)
		if rpcCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v (code %d), want code %d with %q", tc.name, err, rpcCode(err), tc.code, tc.msg)
		}
	}
}

func TestInitializeErrors(t *testing.T) {
	c := newClient(t, Options{})
	bad := map[string]any{"rootUri": nil, "capabilities": map[string]any{}, "initializationOptions": []int{1}}
	if err := c.call("initialize", bad, nil); rpcCode(err) != jsonrpc2.InvalidParams {
		t.Errorf("initializationOptions not an object: got %v, want InvalidParams", err)
	}
	// The failed initialize left the server uninitialized.
	if err := c.call("shutdown", nil, nil); rpcCode(err) != jsonrpc2.ServerNotInitialized {
		t.Errorf("shutdown after a failed initialize: got %v, want ServerNotInitialized", err)
	}
	c.mustCall("initialize", emptyInit(), nil)
}

func TestExitWithoutShutdown(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCall("initialize", emptyInit(), nil)
	c.notify("exit", nil)
	if err := c.serveResult(); !errors.Is(err, ErrExitWithoutShutdown) {
		t.Errorf("Serve after exit without shutdown = %v, want ErrExitWithoutShutdown (exit code 1)", err)
	}
}

func TestEndOfInputWithoutShutdown(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCall("initialize", emptyInit(), nil)
	_ = c.conn.Close()
	err := c.serveResult()
	if !errors.Is(err, ErrExitWithoutShutdown) || !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, io.EOF) {
		t.Errorf("Serve after end of input = %v, want ErrExitWithoutShutdown wrapping the end of input", err)
	}
}

func TestEndOfInputAfterShutdown(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCall("initialize", emptyInit(), nil)
	c.mustCall("shutdown", nil, nil)
	_ = c.conn.Close()
	if err := c.serveResult(); err != nil {
		t.Errorf("Serve after shutdown and end of input = %v, want nil", err)
	}
}
