package run

import (
	"strings"
	"testing"
)

// FuzzParsePanic feeds arbitrary app output to ParsePanic. A panic found
// must have a stack that starts with its header line and contains its
// message, and a file only together with a line of at least 1, in the
// workspace; with no workspace filter any file goes, still with a line.
func FuzzParsePanic(f *testing.F) {
	for _, seed := range []string{
		"[GIN-debug] Listening\npanic: assignment to entry in nil map\n\ngoroutine 1 [running]:\nexample.com/app/store.(*Store).Put(...)\n\t/src/app/store/store.go:17\nmain.main()\n\t/src/app/main.go:9 +0x45",
		"panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]\n\ngoroutine 7 [running]:\ngithub.com/gin-gonic/gin.(*Context).Next(...)\n\t/home/u/go/pkg/mod/github.com/gin-gonic/gin@v1.10.0/context.go:185\n\ngoroutine 1 [IO wait]:\nmain.main()\n\t/src/app/main.go:12 +0x11",
		"fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/elsewhere/main.go:5 +0x1d",
		"panic: first [recovered]\n\tpanic: second\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:0 +0x1\n\t:3\n\t/src/app/a.go:-1",
		"panic: not really, just a log line\nserving on :8080",
		"panic: \ngoroutine :\n\t/src/app/x.go:99999999999999999999999",
	} {
		f.Add(seed, true)
	}
	ws := func(f string) bool { return strings.HasPrefix(f, "/src/app/") }
	f.Fuzz(func(t *testing.T, out string, filter bool) {
		in := ws
		if !filter {
			in = nil
		}
		lines := strings.Split(out, "\n")
		p, ok := ParsePanic(lines, in)
		if !ok {
			if p != (Panic{}) {
				t.Errorf("no panic found, but ParsePanic returned %#v", p)
			}
			return
		}
		header, _, _ := strings.Cut(p.Stack, "\n")
		if header != "panic: "+strings.SplitN(p.Message, "\n", 2)[0] && header != "fatal error: "+strings.SplitN(p.Message, "\n", 2)[0] {
			t.Errorf("stack starts with %q; want the header of message %q", header, p.Message)
		}
		if !strings.Contains(p.Stack, "\ngoroutine ") {
			t.Errorf("stack %q has no goroutine", p.Stack)
		}
		switch {
		case p.File == "" && p.Line != 0:
			t.Errorf("line %d without a file", p.Line)
		case p.File != "" && p.Line < 1:
			t.Errorf("file %q with line %d; want ≥ 1", p.File, p.Line)
		case p.File != "" && filter && !ws(p.File):
			t.Errorf("file %q is outside the workspace", p.File)
		}
	})
}
