//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// lspClient is the smallest LSP client the editor rows need: Content-Length
// framing over the pipes of `ginhotd --stdio`, requests with replies,
// text document sync, and a record of the ginhot/status and
// window/logMessage notifications with the time each arrived.
type lspClient struct {
	w   io.WriteCloser
	raw io.Writer // notifications but the app's output, one JSON line each with its arrival time

	wmu    sync.Mutex // serialises frames on w
	nextID int64

	mu      sync.Mutex // guards the fields below
	pending map[int64]chan rpcMsg
	status  []statusNote
	logs    []logNote
	changed chan struct{} // closed and replaced on every notification
	done    chan struct{} // closed when the reader ends
}

// rpcMsg is any JSON-RPC 2.0 message.
type rpcMsg struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      *json.RawMessage `json:"id,omitempty"`
	Method  string           `json:"method,omitempty"`
	Params  json.RawMessage  `json:"params,omitempty"`
	Result  json.RawMessage  `json:"result,omitempty"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// lspStatus is the part of ginhot/status the editor rows read.
type lspStatus struct {
	State   string `json:"state"`
	Targets []struct {
		Name       string `json:"name"`
		State      string `json:"state"`
		Generation int    `json:"generation"`
		Prepared   bool   `json:"prepared"`
		BuildMs    int64  `json:"buildMs"`
		Error      string `json:"error"`
	} `json:"targets"`
}

// statusNote is a ginhot/status notification and when it arrived.
type statusNote struct {
	At time.Time
	St lspStatus
}

// logNote is one line of a window/logMessage and when it arrived (the
// server batches lines for up to 100 ms).
type logNote struct {
	At   time.Time
	Line string
}

// newLSPClient starts reading r, ginhotd's stdout, and writes frames to w,
// its stdin.
func newLSPClient(r io.Reader, w io.WriteCloser, raw io.Writer) *lspClient {
	c := &lspClient{w: w, raw: raw, pending: map[int64]chan rpcMsg{}, changed: make(chan struct{}), done: make(chan struct{})}
	go c.read(bufio.NewReader(r))
	return c
}

// readFrame reads one Content-Length framed message body.
func readFrame(r *bufio.Reader) ([]byte, error) {
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length:"); ok {
			if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("lsp client: bad header %q: %w", line, err)
			}
		}
	}
	if n < 0 {
		return nil, errors.New("lsp client: frame without Content-Length")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("lsp client: %w", err)
	}
	return body, nil
}

// read dispatches frames until the server closes its stdout: replies to
// their callers, notifications to the record; requests from the server
// get a null result.
func (c *lspClient) read(r *bufio.Reader) {
	defer func() {
		c.mu.Lock()
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		c.mu.Unlock()
		close(c.done)
	}()
	for {
		body, err := readFrame(r)
		if err != nil {
			return
		}
		var m rpcMsg
		if json.Unmarshal(body, &m) != nil {
			continue
		}
		now := time.Now()
		switch {
		case m.Method != "" && m.ID != nil:
			_ = c.write(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": nil})
		case m.Method != "":
			c.note(now, m, body)
		case m.ID != nil:
			id, _ := strconv.ParseInt(string(*m.ID), 10, 64)
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

// note records a notification.
func (c *lspClient) note(at time.Time, m rpcMsg, body []byte) {
	if m.Method == "textDocument/publishDiagnostics" {
		return
	}
	var kind struct {
		Type int `json:"type"`
	}
	// The app's own output (type 4, Log: a Gin line per request polled)
	// is left out of the raw record.
	if c.raw != nil && (m.Method != "window/logMessage" || json.Unmarshal(m.Params, &kind) != nil || kind.Type != 4) {
		_, _ = fmt.Fprintf(c.raw, "{\"received\":%q,\"message\":%s}\n", at.Format(time.RFC3339Nano), bytes.TrimSpace(body))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Method {
	case "ginhot/status":
		var st lspStatus
		if json.Unmarshal(m.Params, &st) == nil {
			c.status = append(c.status, statusNote{At: at, St: st})
		}
	case "window/logMessage":
		var p struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			for _, line := range strings.Split(p.Message, "\n") {
				c.logs = append(c.logs, logNote{At: at, Line: line})
			}
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// write sends one frame.
func (c *lspClient) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("lsp client: %w", err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		return fmt.Errorf("lsp client: %w", err)
	}
	return nil
}

// notify sends a notification.
func (c *lspClient) notify(method string, params any) error {
	return c.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// call sends a request and waits up to timeout for its reply.
func (c *lspClient) call(ctx context.Context, method string, params any, timeout time.Duration) (json.RawMessage, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan rpcMsg, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("lsp client: %s: the server closed the connection", method)
		}
		if m.Error != nil {
			return nil, fmt.Errorf("lsp client: %s: error %d: %s", method, m.Error.Code, m.Error.Message)
		}
		return m.Result, nil
	case <-t.C:
		return nil, fmt.Errorf("lsp client: %s: no reply within %s: timeout", method, timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("lsp client: %s: %w", method, ctx.Err())
	}
}

// statusSince returns the status notifications that arrived from t on.
func (c *lspClient) statusSince(t time.Time) []statusNote {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []statusNote
	for _, s := range c.status {
		if !s.At.Before(t) {
			out = append(out, s)
		}
	}
	return out
}

// logsSince returns the log lines that arrived from t on.
func (c *lspClient) logsSince(t time.Time) []logNote {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []logNote
	for _, l := range c.logs {
		if !l.At.Before(t) {
			out = append(out, l)
		}
	}
	return out
}

// waitStatus waits until a status notification from t on satisfies ok.
func (c *lspClient) waitStatus(ctx context.Context, t time.Time, ok func(lspStatus) bool, timeout time.Duration) (statusNote, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, s := range c.statusSince(t) {
			if ok(s.St) {
				return s, true
			}
		}
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.done:
			return statusNote{}, false
		case <-deadline.C:
			return statusNote{}, false
		case <-ctx.Done():
			return statusNote{}, false
		}
	}
}

// fileURI is the file: URI of an absolute path.
func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// document is a file open in the client, with the text the server was
// told about.
type document struct {
	c       *lspClient
	path    string
	uri     string
	text    string
	version int32
}

// open sends didOpen with the file's content on disk.
func (c *lspClient) open(path, languageID string) (*document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lsp client: open: %w", err)
	}
	d := &document{c: c, path: path, uri: fileURI(path), text: string(b), version: 1}
	err = c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": d.uri, "languageId": languageID, "version": d.version, "text": d.text,
	}})
	return d, err
}

// position is an LSP position: a line and a UTF-16 offset in it.
type position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// positionOf returns the LSP position of byte offset off in text.
func positionOf(text string, off int) position {
	head := text[:off]
	line := strings.Count(head, "\n")
	col := head[strings.LastIndexByte(head, '\n')+1:]
	return position{Line: line, Character: len(utf16.Encode([]rune(col)))}
}

// replace replaces the bytes [from, to) of the text with s and sends it as
// one incremental didChange.
func (d *document) replace(from, to int, s string) error {
	r := map[string]position{"start": positionOf(d.text, from), "end": positionOf(d.text, to)}
	d.text = d.text[:from] + s + d.text[to:]
	d.version++
	return d.c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": d.uri, "version": d.version},
		"contentChanges": []any{map[string]any{"range": r, "text": s}},
	})
}

// setText turns the text into s with one incremental change over the part
// that differs, as an editor's undo or paste does.
func (d *document) setText(s string) error {
	p := 0
	for p < len(d.text) && p < len(s) && d.text[p] == s[p] {
		p++
	}
	q := 0
	for q < len(d.text)-p && q < len(s)-p && d.text[len(d.text)-1-q] == s[len(s)-1-q] {
		q++
	}
	return d.replace(p, len(d.text)-q, s[p:len(s)-q])
}

// save writes the text to the file in place and sends didSave, as an
// editor does.
func (d *document) save() error {
	if err := os.WriteFile(d.path, []byte(d.text), 0o644); err != nil {
		return fmt.Errorf("lsp client: save: %w", err)
	}
	return d.c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": d.uri}})
}

// close sends didClose.
func (d *document) close() error {
	return d.c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": d.uri}})
}
