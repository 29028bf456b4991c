// Command gen writes every copy of the settings' documentation from their
// one source, the fields of config.Config and config.Generate: a field's Go
// doc comment says what it does, its trust tag whether it is a program
// setting, its flag tag the command-line flag that sets it, and
// config.Default (or a default tag, for a default that is not a value) its
// default. It writes:
//
//	daemon/config/settings_gen.go    summaries for ginhotd init and the flag help
//	README.md                        the Configuration table
//	docs/protocol.md                 the initializationOptions table
//	vscode-extension/package.json    the descriptions of settings sent as initializationOptions
//	editors/nvim/doc/ginhot.txt      the SETTINGS section
//
// Run it with go generate ./daemon/config. It fails when a field has no doc
// comment or a setting no trust class.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	files, err := generate(root)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		path := filepath.Join(root, f.path)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.content) {
			continue
		}
		if err := os.WriteFile(path, f.content, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", f.path)
	}
}

// moduleRoot returns the directory holding go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = up
	}
}
