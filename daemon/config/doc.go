// Package config is the settings room: it owns the [Config] type, its
// defaults, and the strict decoding of ginhot.toml (with air's .air.toml or
// .config/air.toml as a fallback) and of overrides from flags and LSP
// initializationOptions.
//
// A flag, a ginhot.toml key and an initializationOptions key share one name:
// the TOML key is the flag name with dashes turned into underscores
// (--kill-timeout and kill_timeout). Overrides are applied through the same
// strict decoder as the file, so an unknown key is an error wherever it comes
// from. A fault is an [*Error] whose problems name the file (or "settings"),
// line and key, the expected type in TOML words and the value found. A
// duration is a string such as "5s"; a bare number is rejected.
//
// An .air.toml is read loosely: every key present gets one [Notice] in
// Config.Notices saying what it became, that it is not needed and why, or
// that ginhotd cannot honour it. Air's millisecond integers become
// durations; build.cmd is taken apart into generator steps, go build flags
// and targets, or kept whole as build_cmd. A wrong type is still an error;
// an unknown key only a warning. Printing notices is the caller's job.
//
// It also parses .env files ([LoadEnvFiles]) and shell-like command lines
// ([SplitWords]). It must not start processes, watch files or know about
// LSP types.
package config
