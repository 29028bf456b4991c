package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// dropOwnGoGet rewrites the go command's "no required module provides
// package P; to add it: go get P" for a package P of one of the
// workspace's own modules: go get cannot add a package the user's own
// module is meant to hold (a main package deleted, an internal package
// moved), so the message says where P's directory would be instead. It
// rewrites the diagnostics in place and returns output with the same
// change.
func dropOwnGoGet(diags []Diagnostic, output, dir string) string {
	var mods map[string]string // module path → root; read on first need
	for i := range diags {
		d := &diags[i]
		first, rest, _ := strings.Cut(d.Message, "\n")
		m := noModuleRE.FindStringSubmatch(first)
		if m == nil || !strings.HasSuffix(first, "; to add it:") {
			continue
		}
		pkg := m[1]
		if mods == nil {
			mods = ownModules(dir)
		}
		mod, rel, ok := moduleFor(mods, pkg)
		if !ok {
			continue
		}
		where := "the module root"
		if rel != "" {
			where = rel + "/"
		}
		why := fmt.Sprintf("it is in your module %s, but %s holds no Go files (deleted, moved or not written yet)", mod, where)
		d.Message = strings.TrimSuffix(first, "; to add it:") + ": " + why
		if advice := "go get " + pkg; rest != "" && rest != advice {
			d.Message += "\n" + strings.TrimPrefix(strings.TrimPrefix(rest, advice), "\n")
		}
		output = strings.ReplaceAll(output, "package "+pkg+"; to add it:\n\tgo get "+pkg+"\n", "package "+pkg+": "+why+"\n")
	}
	return output
}

// moduleFor returns the module of mods that holds the import path pkg and
// pkg's directory relative to the module root, slash-separated ("" for the
// root itself). The longest module path wins (nested modules).
func moduleFor(mods map[string]string, pkg string) (mod, rel string, ok bool) {
	for m := range mods {
		if len(m) <= len(mod) {
			continue
		}
		if pkg == m {
			mod, rel, ok = m, "", true
		} else if r, found := strings.CutPrefix(pkg, m+"/"); found {
			mod, rel, ok = m, r, true
		}
	}
	return mod, rel, ok
}

// ownModules returns the workspace's own modules around dir, by module
// path: the module holding dir, and every module a go.work at or above dir
// uses.
func ownModules(dir string) map[string]string {
	mods := map[string]string{}
	if root, mod := moduleOf(dir); root != "" && mod != "" {
		mods[mod] = root
	}
	for d := dir; ; d = filepath.Dir(d) {
		work := filepath.Join(d, "go.work")
		if data, err := os.ReadFile(work); err == nil {
			if wf, err := modfile.ParseWork(work, data, nil); err == nil {
				for _, u := range wf.Use {
					root := u.Path
					if !filepath.IsAbs(root) {
						root = filepath.Join(d, root)
					}
					if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
						if mod := modfile.ModulePath(data); mod != "" {
							mods[mod] = root
						}
					}
				}
			}
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return mods
}
