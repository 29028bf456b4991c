package lsp

import "testing"

func TestStripANSI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\tand a tab", "plain text\tand a tab"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b[1;38;5;208mbold orange\x1b[m done", "bold orange done"},
		{"\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"},
		{"\x1b]0;title\x1b\\after", "after"},
		{"progress 10%\r\x1b[Kprogress 20%", "progress 10%progress 20%"},
		{"bell\x07 and nul\x00", "bell and nul"},
		{"trailing escape \x1b", "trailing escape "},
		{"unterminated \x1b[12", "unterminated "},
		{"é😀 unicode kept", "é😀 unicode kept"},
	} {
		if got := stripANSI(tc.in); got != tc.want {
			t.Errorf("stripANSI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
