// Package settings reads the app's config.yaml.
package settings

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Settings is what config.yaml holds.
type Settings struct{ Port int }

// Load reads the top-level port key of the YAML file at path.
func Load(path string) (Settings, error) {
	f, err := os.Open(path)
	if err != nil {
		return Settings{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "port:"); ok {
			p, err := strconv.Atoi(strings.TrimSpace(v))
			return Settings{Port: p}, err
		}
	}
	return Settings{}, fmt.Errorf("%s: no port", path)
}
