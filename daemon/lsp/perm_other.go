//go:build !unix

package lsp

import "errors"

// privateDir refuses: without Unix file modes ginhotd cannot make a socket
// that only the user can reach.
func privateDir(string) error {
	return errors.New("lsp: --listen unix:PATH needs a Unix system (Linux, macOS, BSD); use --stdio")
}

// ownedFolder accepts every folder: this platform has no Unix owner to
// check, so TCP clients may name any folder (README, Trust model).
func ownedFolder(string) error { return nil }
