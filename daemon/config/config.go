package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// FileName is the name of the config file looked up at the workspace root.
const FileName = "ginhot.toml"

// Config holds every setting of one session. The zero value is not useful:
// start from [Default].
type Config struct {
	// Dir is the workspace root (the directory holding go.mod or go.work).
	Dir string `toml:"-"`
	// File is the config file that was read, if any.
	File string `toml:"-"`

	Addr             string   `toml:"addr"`
	Targets          []string `toml:"targets"`
	Debounce         Duration `toml:"debounce"`
	Poll             Duration `toml:"poll"`
	Proxy            bool     `toml:"proxy"`
	LiveReload       bool     `toml:"live_reload"`
	SocketActivation bool     `toml:"socket_activation"`

	BuildFlags []string `toml:"build_flags"`
	Tags       []string `toml:"tags"`
	LDFlags    string   `toml:"ldflags"`
	Strip      bool     `toml:"strip"`
	Cgo        bool     `toml:"cgo"` // keep cgo on even when no package in a target's graph uses it
	BuildEnv   []string `toml:"build_env"`

	Args         []string `toml:"args"`
	Env          []string `toml:"env"`
	Exclude      []string `toml:"exclude"`
	Restart      []string `toml:"restart"`
	StopSignal   string   `toml:"stop_signal"`
	KillTimeout  Duration `toml:"kill_timeout"`
	StartTimeout Duration `toml:"start_timeout"`
	HoldTimeout  Duration `toml:"hold_timeout"`
	DrainTimeout Duration `toml:"drain_timeout"`

	Diagnostics string `toml:"diagnostics"`
	LogFormat   string `toml:"log_format"`
}

// Default returns the settings that work for a standard Gin layout.
func Default() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		Debounce:     Duration(50 * time.Millisecond),
		Proxy:        true,
		LiveReload:   true,
		Strip:        true,
		Restart:      []string{"**/*.tmpl", "**/*.gohtml", "**/*.html"},
		StopSignal:   "SIGTERM",
		KillTimeout:  Duration(5 * time.Second),
		StartTimeout: Duration(15 * time.Second),
		HoldTimeout:  Duration(30 * time.Second),
		DrainTimeout: Duration(10 * time.Second),
		Diagnostics:  "all",
		LogFormat:    "text",
	}
}

// Load reads the configuration for the workspace at dir: defaults, then the
// config file (file if non-empty, else dir/ginhot.toml, else dir/.air.toml),
// then overrides (flags or initializationOptions, keyed by TOML name).
func Load(dir, file string, overrides map[string]any) (Config, error) {
	c := Default()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	c.Dir = abs
	if err := c.readFile(file); err != nil {
		return c, err
	}
	if len(overrides) > 0 {
		b, err := toml.Marshal(overrides)
		if err != nil {
			return c, fmt.Errorf("config: overrides: %w", err)
		}
		if err := decodeStrict(b, &c, "settings"); err != nil {
			return c, err
		}
	}
	return c, c.validate()
}

func (c *Config) readFile(file string) error {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(c.Dir, FileName)
	}
	b, err := os.ReadFile(file)
	switch {
	case err == nil:
		c.File = file
		return decodeStrict(b, c, file)
	case !errors.Is(err, os.ErrNotExist) || explicit:
		return fmt.Errorf("config: %w", err)
	}
	air := filepath.Join(c.Dir, ".air.toml")
	b, err = os.ReadFile(air)
	if err != nil {
		return nil
	}
	c.File = air
	return c.applyAir(b, air)
}

// decodeStrict decodes b onto c, rejecting unknown keys and wrong types with
// the key and line named.
func decodeStrict(b []byte, c *Config, name string) error {
	err := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields().Decode(c)
	var strict *toml.StrictMissingError
	var dec *toml.DecodeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &strict):
		var msgs []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %q", name, row, strings.Join(e.Key(), ".")))
		}
		return fmt.Errorf("config: %s", strings.Join(msgs, "; "))
	case errors.As(err, &dec):
		row, _ := dec.Position()
		key := strings.Join(dec.Key(), ".")
		if key != "" {
			return fmt.Errorf("config: %s:%d: key %q: %s", name, row, key, dec.Error())
		}
		return fmt.Errorf("config: %s:%d: %s", name, row, dec.Error())
	default:
		return fmt.Errorf("config: %s: %w", name, err)
	}
}

// airFile is the part of air's .air.toml that maps onto ginhotd settings.
type airFile struct {
	Build struct {
		ArgsBin    []string `toml:"args_bin"`
		ExcludeDir []string `toml:"exclude_dir"`
		Delay      int      `toml:"delay"`
		KillDelay  any      `toml:"kill_delay"`
	} `toml:"build"`
}

// applyAir reads air's config loosely: air users switch without writing
// anything, and air keys ginhotd has no use for are ignored.
func (c *Config) applyAir(b []byte, name string) error {
	var a airFile
	if err := toml.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	c.Args = append(c.Args, a.Build.ArgsBin...)
	for _, d := range a.Build.ExcludeDir {
		c.Exclude = append(c.Exclude, strings.TrimSuffix(d, "/")+"/**")
	}
	if a.Build.Delay > 0 {
		c.Debounce = Duration(time.Duration(a.Build.Delay) * time.Millisecond)
	}
	switch v := a.Build.KillDelay.(type) {
	case string:
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			c.KillTimeout = Duration(d)
		}
	case int64:
		if v > 0 {
			c.KillTimeout = Duration(time.Duration(v) * time.Millisecond)
		}
	}
	return nil
}

func (c *Config) validate() error {
	if c.Diagnostics != "all" && c.Diagnostics != "complement" {
		return fmt.Errorf("config: diagnostics must be \"all\" or \"complement\", not %q", c.Diagnostics)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log_format must be \"text\" or \"json\", not %q", c.LogFormat)
	}
	if _, err := c.Signal(); err != nil {
		return err
	}
	return nil
}

// Signal returns the stop signal named by StopSignal.
func (c *Config) Signal() (syscall.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(c.StopSignal), "SIG") {
	case "TERM":
		return syscall.SIGTERM, nil
	case "INT":
		return syscall.SIGINT, nil
	case "QUIT":
		return syscall.SIGQUIT, nil
	case "HUP":
		return syscall.SIGHUP, nil
	case "KILL":
		return syscall.SIGKILL, nil
	}
	return 0, fmt.Errorf("config: stop_signal %q: want SIGTERM, SIGINT, SIGQUIT, SIGHUP or SIGKILL", c.StopSignal)
}

// Duration is a time.Duration written as a Go duration string ("50ms").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
