package config

import (
	"strings"
	"time"
)

// AirFiles are the places air reads its config from, in order, relative to
// the workspace root. ginhotd reads the first that exists when there is no
// ginhot.toml.
var AirFiles = []string{".air.toml", ".config/air.toml"}

// applyAir maps air's config onto c.
func (c *Config) applyAir(b []byte, name string) error {
	d, err := parseDoc(b, name)
	if err != nil {
		return err
	}
	build, _ := d.root["build"].(map[string]any)
	if v, ok := build["args_bin"]; ok {
		if ss, ok := d.strings("build.args_bin", v); ok {
			c.Args = append(c.Args, ss...)
		}
	}
	if v, ok := build["exclude_dir"]; ok {
		if ss, ok := d.strings("build.exclude_dir", v); ok {
			for _, dir := range ss {
				c.Exclude = append(c.Exclude, strings.TrimSuffix(dir, "/")+"/**")
			}
		}
	}
	if v, ok := build["delay"]; ok {
		if dur, ok := d.millis("build.delay", v, false); ok && dur > 0 {
			c.Debounce = Duration(dur)
		}
	}
	if v, ok := build["kill_delay"]; ok {
		if dur, ok := d.millis("build.kill_delay", v, true); ok && dur > 0 {
			c.KillTimeout = Duration(dur)
		}
	}
	return d.err()
}

// millis reads one of air's millisecond integers. withString also accepts a
// duration string ("500ms"), as newer air does for kill_delay.
func (d *doc) millis(path string, v any, withString bool) (time.Duration, bool) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			d.problem(path, "must not be negative (found integer %d)", v)
			return 0, false
		}
		if v > int64(24*time.Hour/time.Millisecond) {
			d.problem(path, "is in milliseconds and must be at most a day (found integer %d)", v)
			return 0, false
		}
		return time.Duration(v) * time.Millisecond, true
	case string:
		if withString {
			dur, err := parseDuration(v)
			if err != nil {
				d.problem(path, "%v", err)
				return 0, false
			}
			return dur, true
		}
	}
	want := "an integer number of milliseconds"
	if withString {
		want += ` or a duration string like "500ms"`
	}
	d.problem(path, "want %s, found %s", want, describe(v))
	return 0, false
}

func (d *doc) strings(path string, v any) ([]string, bool) {
	ss, ok := stringList(v)
	if !ok {
		d.problem(path, "want an array of strings, found %s", describe(v))
	}
	return ss, ok
}
