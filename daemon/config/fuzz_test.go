package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// checkUserError fails unless err is nil or a located, user-worded *Error.
// A Go word the input itself holds may be quoted back to the user.
func checkUserError(t *testing.T, input []byte, err error, file string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "config: ") {
		t.Fatalf("error without the config prefix: %q", msg)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		// validate's messages are plain: they name the key and the value.
		if strings.Contains(msg, ".go:") {
			t.Fatalf("error names Go source: %q", msg)
		}
	} else {
		for _, p := range ce.Problems {
			if p.File != file || p.Message == "" {
				t.Fatalf("problem without file or message: %#v", p)
			}
		}
	}
	for _, w := range goInternals {
		if strings.Contains(msg, w) && !bytes.Contains(input, []byte(w)) {
			t.Fatalf("error %q leaks Go internals (%q)", msg, w)
		}
	}
}

// FuzzGinhotToml decodes arbitrary ginhot.toml files: no panic, and every
// error is a user-worded one.
func FuzzGinhotToml(f *testing.F) {
	f.Add([]byte("addr = \"127.0.0.1:8080\"\nkill_timeout = \"5s\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Default()
		err := c.decode(b, FileName)
		if err == nil {
			err = c.validate()
		}
		checkUserError(t, b, err, FileName)
	})
}

// FuzzAirToml maps arbitrary .air.toml files: no panic, and every error is
// a user-worded one.
func FuzzAirToml(f *testing.F) {
	f.Add([]byte("[build]\ncmd = \"go build -o ./tmp/main .\"\ndelay = 1000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Default()
		err := c.applyAir(b, ".air.toml")
		if err == nil {
			err = c.validate()
		}
		checkUserError(t, b, err, ".air.toml")
	})
}
