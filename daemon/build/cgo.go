package build

import "strings"

// CgoEnv returns the build environment for a target: env with
// CGO_ENABLED=0 appended when cgo can be left out, which makes the link
// faster. That is when no package in the target's graph uses cgo (usesCgo
// false; see analysis.Target.Cgo), the user did not ask to keep it (keep,
// the config key cgo = true), and env does not set CGO_ENABLED itself.
// Otherwise env is returned unchanged.
func CgoEnv(env []string, usesCgo, keep bool) []string {
	if usesCgo || keep {
		return env
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "CGO_ENABLED=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "CGO_ENABLED=0")
}
