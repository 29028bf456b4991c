package term

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// syncBuffer is a bytes.Buffer safe for the Printer's flush timer.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAppOutputIsBatchedButNotLate(t *testing.T) {
	var out syncBuffer
	p := New(Options{Out: &out, Err: &out})
	for i := range 100 {
		p.Notify(session.Event{Kind: session.KindLog, Target: "./cmd/api", Line: strings.Repeat("x", i%7)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("app output not written within 5s: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	if out.writes > 10 {
		t.Errorf("100 lines took %d writes; want them batched", out.writes)
	}
}

func TestAppOutputKeepsItsPlaceBeforeEvents(t *testing.T) {
	var out syncBuffer
	p := New(Options{Out: &out, Err: &out})
	p.Notify(session.Event{Kind: session.KindLog, Line: "first"})
	p.Notify(session.Event{Kind: session.KindStop, Target: "./cmd/api", PID: 7})
	p.Notify(session.Event{Kind: session.KindLog, Line: "last"})
	p.Flush()
	got := out.String()
	i, j, k := strings.Index(got, "first"), strings.Index(got, "stopped"), strings.Index(got, "last")
	if i < 0 || j < i || k < j {
		t.Fatalf("output out of order:\n%s", got)
	}
}
