package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestUnknownFlagSuggestsTheFlagMeant checks that a mistyped flag gets one
// line naming the flag meant, not the whole usage.
func TestUnknownFlagSuggestsTheFlagMeant(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--log", "json"}, "ginhotd: unknown flag --log: did you mean --log-format?\n"},
		{[]string{"run", "--log", "json"}, "ginhotd: unknown flag --log: did you mean --log-format?\n"},
		{[]string{"run", "-log=json", "."}, "ginhotd: unknown flag --log: did you mean --log-format?\n"},
		{[]string{"run", "--taget", "./cmd/api"}, "ginhotd: unknown flag --taget: did you mean --target?\n"},
		{[]string{"init", "--zzz"}, "ginhotd: unknown flag --zzz (ginhotd -h lists the flags)\n"},
		{[]string{"run", "--debounce", "soon"}, `ginhotd: invalid value "soon" for flag -debounce: parse error (ginhotd -h lists the flags)` + "\n"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		if code := realMain(tc.args, os.Stdin, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2", tc.args, code)
		}
		if errOut.String() != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, errOut.String(), tc.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := realMain([]string{"-h"}, os.Stdin, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage:") || !strings.Contains(errOut.String(), "-log-format") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
}
