// Package assets holds files compiled into the binary.
package assets

import _ "embed"

// Banner is printed on the home page; it is embedded, so editing banner.txt
// needs a rebuild.
//
//go:embed banner.txt
var Banner string
