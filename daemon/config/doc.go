// Package config is the settings room: it owns the [Config] type, its
// defaults, and the strict decoding of ginhot.toml (with .air.toml as a
// fallback) and of overrides from flags and LSP initializationOptions.
//
// A flag, a ginhot.toml key and an initializationOptions key share one name:
// the TOML key is the flag name with dashes turned into underscores
// (--kill-timeout and kill_timeout). Overrides are applied through the same
// strict decoder as the file, so an unknown key is an error wherever it comes
// from.
//
// It must not start processes, watch files or know about LSP types.
package config
