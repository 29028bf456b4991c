package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ginhotd/ginhotd/daemon/config"
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

// TestFlagsSetKeys checks that each flag that sets a ginhot.toml key is the
// one its field in config.Config names (the flag tag), with the help its
// doc comment gives, and that no field names a flag that does not exist.
func TestFlagsSetKeys(t *testing.T) {
	fs := newFlags(io.Discard).fs
	tagged := map[string]bool{}
	for f := range reflect.TypeFor[config.Config]().Fields() {
		name := f.Tag.Get("flag")
		if name == "" {
			continue
		}
		tagged[name] = true
		if fs.Lookup(name) == nil {
			t.Errorf("config.Config.%s names flag --%s, which ginhotd does not have", f.Name, name)
		}
	}
	fs.VisitAll(func(fl *flag.Flag) {
		switch fl.Name {
		case "config", "explain", "from", "force", "stdio", "listen", "allow-remote":
			return
		}
		if !tagged[fl.Name] {
			t.Errorf("flag --%s sets no key: tag its field in config.Config flag:%q", fl.Name, fl.Name)
		}
		if want, _ := config.FlagUsage(fl.Name); fl.Usage != want {
			t.Errorf("--%s help %q, want %q", fl.Name, fl.Usage, want)
		}
	})
}
