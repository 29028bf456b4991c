package config

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// programKeys are the settings that choose programs ginhotd runs, or code
// those programs load: go build flags (-toolexec, -exec, -overlay,
// -ldflags=-extld=…), the build's environment (GOFLAGS, CC, CXX,
// CGO_LDFLAGS, GOTOOLCHAIN, …) and the app's environment (LD_PRELOAD).
// Whoever sets them runs commands as the user. They may come from the
// command line, from the workspace's config file, and from a client on the
// editor's own channel (stdio, a unix socket), but not from a client that
// any local process can be (TCP): see [ProgramSettings].
//
// Every new key that makes ginhotd run something (a generate step, a
// debugger command) belongs in this list. debug and debug_wait do not: they
// run the dlv found on PATH or in GOBIN, not a program the settings name.
var programKeys = []string{"build_flags", "ldflags", "build_env", "env", "env_files", "generate", "go_generate", "build_cmd", "bin"}

// ProgramSettings returns the keys of settings (flags or LSP
// initializationOptions, keyed by TOML name) that choose programs ginhotd
// runs, in ginhot.toml spelling and sorted. It decodes settings as TOML,
// matching keys without regard to case, so a key spelt in another case is
// named too (which [Load] would refuse as unknown). It returns an error for
// settings that cannot be decoded.
func ProgramSettings(settings map[string]any) ([]string, error) {
	if len(settings) == 0 {
		return nil, nil
	}
	b, err := toml.Marshal(settings)
	if err != nil {
		return nil, fmt.Errorf("config: settings: %w", err)
	}
	var c Config
	if err := toml.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
		return nil, fmt.Errorf("config: settings: %w", err)
	}
	v, t := reflect.ValueOf(c), reflect.TypeFor[Config]()
	var keys []string
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if slices.Contains(programKeys, key) && !v.Field(i).IsZero() {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
