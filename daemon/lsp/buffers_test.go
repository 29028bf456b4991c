package lsp

import (
	"errors"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
)

// rng is a ranged change from l1:c1 to l2:c2 (UTF-16 units).
func rng(l1, c1, l2, c2 uint32, text string) docChange {
	return docChange{Range: &protocol.Range{
		Start: protocol.Position{Line: l1, Character: c1},
		End:   protocol.Position{Line: l2, Character: c2},
	}, Text: text}
}

func full(text string) docChange { return docChange{Text: text} }

func TestBufferChanges(t *testing.T) {
	tests := []struct {
		name    string
		open    string
		changes []docChange
		want    string
		err     error // nil: want the text; else the buffer is lost
	}{
		{"insert at start", "abc", []docChange{rng(0, 0, 0, 0, "X")}, "Xabc", nil},
		{"replace mid line", "package main\nfunc f() {}\n", []docChange{rng(1, 5, 1, 6, "g")}, "package main\nfunc g() {}\n", nil},
		{"delete across lines", "a\nb\nc\n", []docChange{rng(0, 1, 2, 0, "")}, "ac\n", nil},
		{"append at end of document", "a\n", []docChange{rng(1, 0, 1, 0, "b")}, "a\nb", nil},
		{"CRLF line endings", "a\r\nbc\r\nd", []docChange{rng(1, 1, 1, 2, "X")}, "a\r\nbX\r\nd", nil},
		{"lone CR ends a line", "a\rbc", []docChange{rng(1, 0, 1, 1, "")}, "a\rc", nil},
		{"CRLF not split by end of line", "ab\r\nc", []docChange{rng(0, 2, 1, 0, "")}, "abc", nil},
		{"surrogate pair counts two units", "x😀y\n", []docChange{rng(0, 3, 0, 4, "Z")}, "x😀Z\n", nil},
		{"delete a surrogate pair", "x😀y", []docChange{rng(0, 1, 0, 3, "")}, "xy", nil},
		{"BMP rune counts one unit", "é😀é", []docChange{rng(0, 3, 0, 4, "e")}, "é😀e", nil},
		{"multi-change batch applies in order", "hello\nworld\n", []docChange{
			rng(0, 0, 0, 5, "HELLO"),
			rng(1, 0, 1, 0, ">"),
			rng(0, 5, 1, 0, " "),
		}, "HELLO >world\n", nil},
		{"full text replaces", "old", []docChange{full("new\n")}, "new\n", nil},
		{"full then ranged", "old", []docChange{full("ab"), rng(0, 1, 0, 1, "-")}, "a-b", nil},
		{"character past end of line clamps", "ab\ncd", []docChange{rng(0, 1, 0, 99, "")}, "a\ncd", nil},
		{"line past the end", "ab\n", []docChange{rng(5, 0, 5, 0, "x")}, "", errRange},
		{"inside a surrogate pair", "😀", []docChange{rng(0, 1, 0, 1, "x")}, "", errRange},
		{"end before start", "abcdef", []docChange{rng(0, 4, 0, 2, "x")}, "", errRange},
		{"bad change in a batch loses the buffer", "ab", []docChange{rng(0, 0, 0, 0, "x"), rng(3, 0, 3, 0, "y")}, "", errRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := newBufferStore()
			if err := bs.open("/w/a.go", 1, []byte(tt.open)); err != nil {
				t.Fatal(err)
			}
			err := bs.change("/w/a.go", 2, tt.changes)
			b := bs.get("/w/a.go")
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !b.lost {
					t.Fatalf("err = %v, lost = %v; want %v and a lost buffer", err, b.lost, tt.err)
				}
				return
			}
			if err != nil || b.lost || string(b.text) != tt.want {
				t.Fatalf("text = %q (err %v, lost %v); want %q", b.text, err, b.lost, tt.want)
			}
		})
	}
}

func TestBufferLostUntilFullTextOrSave(t *testing.T) {
	bs := newBufferStore()
	_ = bs.open("/w/a.go", 3, []byte("abc"))
	if err := bs.change("/w/a.go", 2, []docChange{rng(0, 0, 0, 0, "x")}); !errors.Is(err, errOutOfDate) {
		t.Fatalf("version going back: err = %v, want errOutOfDate", err)
	}
	if err := bs.change("/w/a.go", 3, []docChange{rng(0, 0, 0, 0, "x")}); !errors.Is(err, errOutOfDate) {
		t.Fatalf("repeated version: err = %v, want errOutOfDate", err)
	}
	// Ranged changes to a lost buffer are ignored: its text is unknown.
	if err := bs.change("/w/a.go", 4, []docChange{rng(0, 0, 0, 0, "y")}); err != nil || !bs.get("/w/a.go").lost {
		t.Fatalf("ranged change on a lost buffer: err = %v, lost = %v", err, bs.get("/w/a.go").lost)
	}
	bs.saved("/w/a.go", []byte("disk"))
	if b := bs.get("/w/a.go"); b.lost || string(b.text) != "disk" {
		t.Fatalf("after save: %q lost=%v; want the disk text", b.text, b.lost)
	}
	_ = bs.change("/w/a.go", 1, nil)
	if err := bs.change("/w/a.go", 9, []docChange{full("again")}); err != nil {
		t.Fatal(err)
	}
	if b := bs.get("/w/a.go"); b.lost || string(b.text) != "again" {
		t.Fatalf("after a full-text change: %q lost=%v", b.text, b.lost)
	}
}

func TestBufferLimits(t *testing.T) {
	bs := newBufferStore()
	if err := bs.change("/w/never.go", 1, []docChange{full("x")}); !errors.Is(err, errNotOpen) {
		t.Fatalf("change of an unopened document: %v", err)
	}
	if err := bs.open("/w/big.go", 1, make([]byte, maxBuffer+1)); !errors.Is(err, errTooBig) || bs.get("/w/big.go") != nil {
		t.Fatalf("open over the cap: err %v, tracked %v", err, bs.get("/w/big.go") != nil)
	}
	if err := bs.change("/w/big.go", 2, []docChange{full("small")}); err != nil || bs.get("/w/big.go") != nil {
		t.Fatalf("change of a set-aside document: err %v, tracked %v; want ignored", err, bs.get("/w/big.go") != nil)
	}
	_ = bs.open("/w/grow.go", 1, []byte("a"))
	if err := bs.change("/w/grow.go", 2, []docChange{full(strings.Repeat("x", maxBuffer+1))}); !errors.Is(err, errTooBig) || bs.get("/w/grow.go") != nil {
		t.Fatalf("change over the cap: err %v", err)
	}
	bs.close("/w/grow.go")
	if err := bs.open("/w/grow.go", 5, []byte("b")); err != nil || string(bs.get("/w/grow.go").text) != "b" {
		t.Fatalf("reopen after close: %v", err)
	}
}

func FuzzBufferChange(f *testing.F) {
	f.Add("a\r\nb😀\rc\n", uint32(1), uint32(1), uint32(2), uint32(0), "x")
	f.Fuzz(func(t *testing.T, text string, l1, c1, l2, c2 uint32, ins string) {
		bs := newBufferStore()
		_ = bs.open("/a", 1, []byte(text))
		err := bs.change("/a", 2, []docChange{rng(l1, c1, l2, c2, ins)})
		if err != nil && !errors.Is(err, errRange) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
