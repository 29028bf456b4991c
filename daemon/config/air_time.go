package config

import (
	"fmt"
	"math"
	"time"
)

// The duration-like keys of air, read as air v1.67 reads them. air decodes
// its file with go-toml v1 into Go fields and converts them where it uses
// them (runner/config.go, watcher.go, proxy.go, rule.go):
//
//   - delay, rerun_delay, poll_interval, proxy.app_start_timeout and
//     rules[].delay are int fields: a TOML integer, in milliseconds. A
//     string or a float is refused by go-toml, so air refuses it too.
//   - kill_delay is a time.Duration field: go-toml stores a TOML integer as
//     nanoseconds and parses a string with time.ParseDuration; killDelay()
//     then reads a value below one millisecond as a number of
//     milliseconds and truncates any other to whole milliseconds. So
//     kill_delay = 500 and kill_delay = 500_000_000 are both half a second.
//   - a zero in the file keeps air's default, as air merges the file over
//     its defaults: delay 1000, rerun_delay 500, poll_interval 500 (also
//     the least air polls at), app_start_timeout 5000, rules[].delay 1000.
//     A negative delay waits no time.

// airDefaultDelay is air's build.delay when the file does not set it
// (defaultConfigBase in air's runner/config.go), the value `air init`
// writes.
const airDefaultDelay = 1000 * time.Millisecond

// airMinPollInterval is air's poll interval when poll_interval is less,
// 0 included (newWatcher in air's runner/watcher.go).
const airMinPollInterval = 500 * time.Millisecond

// airDefaultAppStartTimeout is how long air's proxy retries a request
// while the app is not up when proxy.app_start_timeout is 0.
const airDefaultAppStartTimeout = 5000 * time.Millisecond

// maxMillis is the largest number of milliseconds a time.Duration holds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// airMillis is one of air's integer millisecond keys. A negative value
// is kept as it is: what it means depends on the key.
type airMillis time.Duration

func (m *airMillis) decodeTOML(d *doc, path string, v any) {
	n, ok := v.(int64)
	if !ok {
		d.problem(path, "want an integer number of milliseconds, found %s", describe(v))
		return
	}
	if n > maxMillis || n < -maxMillis {
		d.problem(path, "is in milliseconds and too large to be a duration (found integer %d)", n)
		return
	}
	*m = airMillis(time.Duration(n) * time.Millisecond)
}

// D returns m as a time.Duration.
func (m airMillis) D() time.Duration { return time.Duration(m) }

// airKillDelay is build.kill_delay, read as air does: an integer is
// nanoseconds, a string a Go duration ("500ms"); then a value under one
// millisecond counts as that many milliseconds, and any other is cut to
// whole milliseconds. A negative value waits no time, so it is 0. Unit
// says how air read the value, for a notice ("" when plain).
type airKillDelay struct {
	D    time.Duration
	Unit string
}

func (k *airKillDelay) decodeTOML(d *doc, path string, v any) {
	var raw time.Duration
	switch v := v.(type) {
	case int64:
		raw = time.Duration(v)
	case string:
		dur, err := time.ParseDuration(v)
		if err != nil {
			d.problem(path, "want a duration string like \"5s\" or \"500ms\", found string %s", quote(v))
			return
		}
		raw = dur
	default:
		d.problem(path, "want an integer (milliseconds below 1000000, else nanoseconds, as air reads it) or a duration string like \"500ms\", found %s", describe(v))
		return
	}
	k.Unit = killDelayUnit(v)
	switch {
	case raw <= 0:
		k.D = 0
	case raw < time.Millisecond:
		k.D = raw * time.Millisecond
	default:
		k.D = raw.Truncate(time.Millisecond)
	}
}

// killDelayUnit says how air read the kill_delay value v, for a notice.
func killDelayUnit(v any) string {
	switch v := v.(type) {
	case int64:
		if v < int64(time.Millisecond) {
			return fmt.Sprintf("air reads %d, below 1000000, as milliseconds", v)
		}
		return fmt.Sprintf("air reads %d, at least 1000000, as nanoseconds", v)
	case string:
		if dur, err := time.ParseDuration(v); err == nil && dur > 0 && dur < time.Millisecond {
			return fmt.Sprintf("air reads %q, under 1ms, as that many milliseconds", v)
		}
	}
	return ""
}
