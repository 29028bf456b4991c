// Package web embeds files that do not exist.
package web

import "embed"

// Assets would hold the static files.
//
//go:embed static/*.css
var Assets embed.FS
