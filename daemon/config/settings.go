package config

//go:generate go run ./internal/gen

// Summary returns what the setting key does, in a few words for users (the
// first sentence of its field's doc comment): the comment `ginhotd init`
// writes above it. It returns "" for a key that is not a setting.
func Summary(key string) string { return summaries[key] }

// FlagUsage returns the help of the command-line flag name that sets a
// ginhot.toml key (the flag tag of its field in [Config]), and whether
// there is such a flag.
func FlagUsage(name string) (string, bool) {
	u, ok := flagUsage[name]
	return u, ok
}
