// Package editors holds no Go code: it is the editors room (the Neovim
// plugin in nvim/, the Helix, Emacs and Zed snippets, their fixture in
// testdata/), and its tests check that each snippet parses and names
// `ginhotd --stdio` the way the daemon expects.
//
// It must not be imported, and the snippets must stay thin: they start the
// daemon and map its commands, and leave every decision to it.
package editors
