package lsp

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// ping is a valid request the server answers with MethodNotFound: proof that
// it still serves.
func ping(id int) string {
	return frame(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ginhotd/ping"}`, id))
}

// TestMalformedInput sends one malformed frame per case, then a valid
// request. The server answers the malformed frame with an error when the
// frame's id can be recovered, logs it otherwise, and then answers the
// valid request: it never drops the connection.
func TestMalformedInput(t *testing.T) {
	const req7 = `{"jsonrpc":"2.0","id":7,"method":"ginhotd/ping"}`
	big := `{"jsonrpc":"2.0","id":7,"method":"ginhotd/ping","params":"` + strings.Repeat("a", maxBody) + `"}`
	for _, tc := range []struct {
		name  string
		input string
		code  jsonrpc2.Code // 0: no answer expected, only a log line
		log   string        // in the log when code is 0
	}{
		{"missing Content-Length", "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + req7, jsonrpc2.ParseError, ""},
		{"invalid Content-Length", "Content-Length: abc\r\n\r\n" + req7, jsonrpc2.ParseError, ""},
		{"negative Content-Length", "Content-Length: -5\r\n\r\n" + req7, jsonrpc2.ParseError, ""},
		{"Content-Length too long", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req7)+10, req7), jsonrpc2.ParseError, ""},
		{"Content-Length too long by a whole header", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req7)+30, req7), jsonrpc2.ParseError, ""},
		{"truncated JSON", frame(`{"jsonrpc":"2.0","id":7,"method":"ginhotd/ping","params":{"a":`), jsonrpc2.ParseError, ""},
		{"body cut short by the next frame", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", 60, `{"jsonrpc":"2.0","id":7,"method":`), jsonrpc2.ParseError, ""},
		{"invalid JSON", frame(`{"jsonrpc":"2.0","id":7,"method":ginhotd}`), jsonrpc2.ParseError, ""},
		{"wrong JSON-RPC version", frame(`{"jsonrpc":"1.0","id":7,"method":"ginhotd/ping"}`), jsonrpc2.InvalidRequest, ""},
		{"body over 64 MiB", frame(big), jsonrpc2.ParseError, ""},
		{"invalid JSON without id", frame(`{"jsonrpc":"2.0","method":`), 0, "no id"},
		{"JSON array", frame(`[1,2,3]`), 0, "not a JSON-RPC 2.0 message"},
		{"empty body", "Content-Length: 0\r\n\r\n", 0, "invalid JSON"},
		{"garbage between frames", "hello, world\r\n", 0, "garbage between frames"},
		{"raw JSON without header", req7 + "\r\n", jsonrpc2.ParseError, ""},
		{"header line too long", strings.Repeat("X", 3*maxHeaderLine), 0, "garbage between frames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var logs []string
			r := newRawClient(t, Options{Logf: func(f string, a ...any) {
				mu.Lock()
				logs = append(logs, fmt.Sprintf(f, a...))
				mu.Unlock()
			}})
			r.send(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":null,"capabilities":{}}}`) + tc.input + ping(8))
			if resp := r.response(); resp.ID() != jsonrpc2.NewNumberID(1) || resp.Err() != nil {
				t.Fatalf("initialize answered with id %v, error %v", resp.ID(), resp.Err())
			}
			if tc.code != 0 {
				resp := r.response()
				if resp.ID() != jsonrpc2.NewNumberID(7) || rpcCode(resp.Err()) != tc.code {
					t.Fatalf("malformed frame answered with id %v, error %v; want id 7, code %d", resp.ID(), resp.Err(), tc.code)
				}
			}
			resp := r.response()
			if resp.ID() != jsonrpc2.NewNumberID(8) || rpcCode(resp.Err()) != jsonrpc2.MethodNotFound {
				t.Fatalf("valid request after the malformed frame answered with id %v, error %v; want id 8, MethodNotFound", resp.ID(), resp.Err())
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.log != "" && !strings.Contains(strings.Join(logs, "\n"), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, strings.Join(logs, "\n"))
			}
		})
	}
}

// Blank lines between frames are tolerated, not reported.
func TestBlankLinesBetweenFrames(t *testing.T) {
	r := newRawClient(t, Options{})
	r.send("\r\n\r\n" + ping(1) + "\r\n" + ping(2))
	for _, id := range []int32{1, 2} {
		if resp := r.response(); resp.ID() != jsonrpc2.NewNumberID(id) {
			t.Fatalf("got response %v, want %d", resp.ID(), id)
		}
	}
}

func TestStringID(t *testing.T) {
	r := newRawClient(t, Options{})
	r.send(frame(`{"jsonrpc":"2.0","id":"abc","method":`) + frame(`{"jsonrpc":"2.0","id":"def","method":"x"}`))
	for _, want := range []struct {
		id   string
		code jsonrpc2.Code
	}{{"abc", jsonrpc2.ParseError}, {"def", jsonrpc2.ServerNotInitialized}} {
		resp := r.response()
		if resp.ID() != jsonrpc2.NewStringID(want.id) || rpcCode(resp.Err()) != want.code {
			t.Fatalf("got id %v error %v, want id %q code %d", resp.ID(), resp.Err(), want.id, want.code)
		}
	}
}
