//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeServer reads the client's frames from r and answers with answer.
func fakeServer(t *testing.T, r io.Reader, w io.Writer, answer func(rpcMsg) []string) <-chan rpcMsg {
	got := make(chan rpcMsg, 100)
	go func() {
		br := bufio.NewReader(r)
		for {
			body, err := readFrame(br)
			if err != nil {
				close(got)
				return
			}
			var m rpcMsg
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("client sent %q: %v", body, err)
			}
			got <- m
			for _, a := range answer(m) {
				if _, err := io.WriteString(w, "Content-Length: "+itoa(len(a))+"\r\n\r\n"+a); err != nil {
					return
				}
			}
		}
	}()
	return got
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLSPClient drives the client against a fake server: a request gets
// its reply, notifications are recorded with their status, a server
// request is answered, and typed changes reach the server as ranged edits
// whose result is what save writes.
func TestLSPClient(t *testing.T) {
	// OS pipes, buffered as ginhotd's stdin and stdout are.
	cr, sw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	sr, cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cr.Close(); sw.Close(); sr.Close(); cw.Close() })
	got := fakeServer(t, sr, sw, func(m rpcMsg) []string {
		if m.Method == "initialize" {
			return []string{
				`{"jsonrpc":"2.0","id":99,"method":"window/workDoneProgress/create","params":{}}`,
				`{"jsonrpc":"2.0","method":"ginhot/status","params":{"state":"running","targets":[{"name":"./cmd/api","state":"running","generation":2,"prepared":true}]}}`,
				`{"jsonrpc":"2.0","method":"window/logMessage","params":{"type":3,"message":"ginhotd: ./cmd/api ready: generation 2, pid 7, 812ms: started in 6ms\nsecond"}}`,
				`{"jsonrpc":"2.0","id":` + string(*m.ID) + `,"result":{"capabilities":{}}}`,
			}
		}
		return nil
	})
	c := newLSPClient(cr, cw, io.Discard)
	res, err := c.call(context.Background(), "initialize", map[string]any{}, 5*time.Second)
	if err != nil || !strings.Contains(string(res), "capabilities") {
		t.Fatalf("initialize = %s, %v", res, err)
	}
	st, ok := c.waitStatus(context.Background(), time.Time{}, func(s lspStatus) bool { return s.State == "running" }, 5*time.Second)
	if !ok || !st.St.Targets[0].Prepared || st.St.Targets[0].Generation != 2 {
		t.Fatalf("status = %+v, %v", st, ok)
	}
	<-got // initialize
	if m := <-got; m.ID == nil || string(*m.ID) != "99" || m.Method != "" {
		t.Fatalf("the server's request was answered with %+v", m)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(c.logsSince(time.Time{})) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	logs := c.logsSince(time.Time{})
	if len(logs) != 2 || readyLine.FindStringSubmatch(logs[0].Line) == nil || logs[0].Line == logs[1].Line {
		t.Fatalf("log lines = %+v", logs)
	}

	path := filepath.Join(t.TempDir(), "version.go")
	if err := os.WriteFile(path, []byte(versionFile("v1")), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := c.open(path, "go")
	if err != nil {
		t.Fatal(err)
	}
	from, to := valueRange(d.text)
	if err := d.replace(from, to, ""); err != nil {
		t.Fatal(err)
	}
	for i, ch := range "é2" { // é is one UTF-16 unit, two bytes: i is 0, then 2
		if err := d.replace(from+i, from+i, string(ch)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.setText(versionFile("v1")); err != nil {
		t.Fatal(err)
	}
	if err := d.save(); err != nil {
		t.Fatal(err)
	}
	var changes []string
	for m := range got {
		if m.Method == "textDocument/didChange" {
			var p struct {
				ContentChanges []struct {
					Range struct{ Start, End position } `json:"range"`
					Text  string                        `json:"text"`
				} `json:"contentChanges"`
			}
			_ = json.Unmarshal(m.Params, &p)
			ch := p.ContentChanges[0]
			changes = append(changes, itoa(ch.Range.Start.Line)+":"+itoa(ch.Range.Start.Character)+"-"+itoa(ch.Range.End.Character)+"="+ch.Text)
		}
		if m.Method == "textDocument/didSave" {
			break
		}
	}
	// Line 3 is `const Version = "v1"`; the value starts at UTF-16 column 17.
	want := []string{`3:17-19=`, `3:17-17=é`, `3:18-18=2`, `3:17-19=v1`}
	if strings.Join(changes, " ") != strings.Join(want, " ") {
		t.Fatalf("changes = %q, want %q", changes, want)
	}
	if b, _ := os.ReadFile(path); string(b) != versionFile("v1") {
		t.Fatalf("saved %q", b)
	}
}
