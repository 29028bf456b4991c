package config

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// programKeys are the TOML keys of Config's program settings. A program
// setting chooses programs ginhotd runs, or code those programs
// load: go build flags (-toolexec, -exec, -overlay, -ldflags=-extld=…), the
// build's environment (GOFLAGS, CC, CXX, CGO_LDFLAGS, GOTOOLCHAIN, …), the
// app's environment (LD_PRELOAD), a generator step or a build command.
// Whoever sets one runs commands as the user. Program settings may come from
// the command line, from the workspace's config file, and from a client on
// the editor's own channel (stdio, a unix socket), but not from a client
// that any local process can be (TCP): see [ProgramSettings].
//
// The trust class of a setting is its field's trust tag in [Config]:
// trust:"safe" for a setting that runs nothing of its choosing, and
// trust:"program" otherwise. It fails closed: a field without the tag is a
// program setting.
var programKeys = programFields(reflect.TypeFor[Config]())

// programFields returns the TOML keys of t's fields that are program
// settings: every field with a TOML key whose trust tag is not "safe".
func programFields(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if key := tomlKey(f); key != "" && f.Tag.Get("trust") != "safe" {
			keys = append(keys, key)
		}
	}
	return keys
}

// tomlKey returns the TOML key of f, "" for a field that is not a setting.
func tomlKey(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if key == "-" {
		return ""
	}
	return key
}

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
		key := tomlKey(t.Field(i))
		if slices.Contains(programKeys, key) && !v.Field(i).IsZero() {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
