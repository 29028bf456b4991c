package lsp

import (
	"context"
	"encoding/json"
	"net"
	"reflect"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// TestBuildProgressReportsPercentage feeds a first build's events to a
// presenter whose client accepts progress tokens, and checks the $/progress
// reports between begin and end: downloads with a message only, compiles
// with a percentage that never goes back.
func TestBuildProgressReportsPercentage(t *testing.T) {
	srv, cli := net.Pipe()
	c := connect(t, cli, make(chan error, 1))
	conn := jsonrpc2.NewConn(jsonrpc2.NewStream(srv))
	conn.Go(context.Background(), jsonrpc2.MethodNotFoundHandler)
	t.Cleanup(func() { _ = conn.Close() })
	out := newOutbox(conn, testLogf(t))
	go out.run()
	t.Cleanup(func() { out.drain(wait) })
	p := newPresenter(out, root{}, func() (string, bool) { return "ginhotd/build/1", true }, nil)

	from := c.mark()
	const target = "./cmd/api"
	for _, e := range []session.Event{
		{Kind: session.KindBuildStart, Target: target, Reason: "first build", Cause: "start"},
		{Kind: session.KindProgress, Target: target, Phase: "download", Done: 2, Total: 12, What: "github.com/gin-gonic/gin v1.10.0"},
		{Kind: session.KindProgress, Target: target, Phase: "compile", Done: 4, What: "internal/abi"},
		{Kind: session.KindProgress, Target: target, Phase: "compile", Done: 28, Total: 112, What: "runtime"},
		// A larger total from go list must not make the bar go back.
		{Kind: session.KindProgress, Target: target, Phase: "compile", Done: 30, Total: 200, What: "net/http"},
		{Kind: session.KindProgress, Target: target, Phase: "compile", Done: 200, Total: 200, What: "example.com/api"},
		{Kind: session.KindBuildOK, Target: target, MS: 27000},
	} {
		e.Time = time.Now()
		p.Notify(e)
	}
	c.await(from, wait, "progress end", func(n note) bool {
		return n.method == "$/progress" && kindOf(n) == "end"
	})

	type value struct {
		Kind       string
		Message    string
		Percentage uint32
	}
	var got []value
	for _, n := range c.all(from) {
		if n.method != "$/progress" {
			continue
		}
		var params struct {
			Token string
			Value value
		}
		if err := json.Unmarshal(n.params, &params); err != nil || params.Token != "ginhotd/build/1" {
			t.Fatalf("$/progress %s: %v", n.params, err)
		}
		got = append(got, params.Value)
	}
	want := []value{
		{Kind: "begin", Message: "start"},
		{Kind: "report", Message: "downloading module 2 of at most 12: github.com/gin-gonic/gin v1.10.0"},
		{Kind: "report", Message: "compiled 4 packages: internal/abi"},
		{Kind: "report", Message: "compiled 28 of at most 112 packages: runtime", Percentage: 25},
		{Kind: "report", Message: "compiled 30 of at most 200 packages: net/http", Percentage: 25},
		{Kind: "report", Message: "compiled 200 of at most 200 packages: example.com/api", Percentage: 99},
		{Kind: "end", Message: "built in 27000ms"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("$/progress values:\n%+v\nwant\n%+v", got, want)
	}
	// Ten a second would drown the output channel.
	if line := eventLine(session.Event{Kind: session.KindProgress, Target: target, Done: 3}); line != "" {
		t.Errorf("a progress event is logged as %q", line)
	}
}

// kindOf returns the value kind of a $/progress notification.
func kindOf(n note) string {
	var p struct{ Value struct{ Kind string } }
	_ = json.Unmarshal(n.params, &p)
	return p.Value.Kind
}
