package lsp

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ginhotd/ginhotd/daemon/session"
)

const contractPath = "../../docs/contract.json"

// readContract decodes docs/contract.json.
func readContract(t *testing.T) contract {
	t.Helper()
	b, err := os.ReadFile(contractPath)
	if err != nil {
		t.Fatal(err)
	}
	var c contract
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", contractPath, err)
	}
	return c
}

func TestContractUpToDate(t *testing.T) {
	want, err := Contract()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(contractPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./daemon/lsp", contractPath)
	}
}

// TestContractStatesAreSessionStates: every State constant of
// daemon/session is in the contract, once, and nothing else is.
func TestContractStatesAreSessionStates(t *testing.T) {
	files, err := filepath.Glob("../session/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "State" {
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						declared = append(declared, lit.Value[1:len(lit.Value)-1])
					}
				}
			}
			return true
		})
	}
	var listed []string
	for _, s := range states {
		listed = append(listed, string(s.Name))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) || len(slices.Compact(slices.Clone(listed))) != len(listed) {
		t.Errorf("contract states %v, daemon/session declares %v", listed, declared)
	}
}

func TestContractCommandsAreServed(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCall("initialize", emptyInit(), nil)
	c.notify("initialized", map[string]any{})
	for _, cmd := range readContract(t).Commands {
		err := c.call("workspace/executeCommand", execute(cmd.Name), nil)
		if err != nil && strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%s: %v", cmd.Name, err)
		}
	}
}

func TestLabels(t *testing.T) {
	api := func(st session.State, gen int, serving bool) session.TargetStatus {
		return session.TargetStatus{Name: "./cmd/api", State: st, URL: "http://127.0.0.1:8080/", Generation: gen, Serving: serving}
	}
	for _, tc := range []struct {
		name     string
		st       session.Status
		label    string
		prepared bool
		notes    []string
	}{
		{"running shows the host", session.Status{State: session.StateRunning, Targets: []session.TargetStatus{api(session.StateRunning, 1, true)}}, "127.0.0.1:8080", false, []string{""}},
		{"running with several URLs counts the others", session.Status{State: session.StateRunning, Targets: []session.TargetStatus{
			api(session.StateRunning, 1, true), {Name: "./cmd/admin", State: session.StateRunning, URL: "https://127.0.0.1:8081", Generation: 1, Serving: true},
		}}, "127.0.0.1:8080 +1", false, []string{"", ""}},
		{"running without a URL", session.Status{State: session.StateRunning, Targets: []session.TargetStatus{{State: session.StateRunning, Serving: true}}}, "running", false, []string{""}},
		{"running a prepared version", session.Status{State: session.StateRunning, Targets: []session.TargetStatus{{State: session.StateRunning, URL: "http://h:1", Serving: true, Prepared: true}}},
			"h:1", true, []string{"prepared from the editor's buffers before the save"}},
		{"no prepared mark while building", session.Status{State: session.StateBuilding, Targets: []session.TargetStatus{{State: session.StateBuilding, Serving: true, Prepared: true}}},
			"building", false, []string{"prepared from the editor's buffers before the save"}},
		{"failed, an older version serves", session.Status{State: session.StateFailed, Targets: []session.TargetStatus{api(session.StateFailed, 3, true)}}, "build failed — serving generation 3", false, []string{"still serving generation 3"}},
		{"failed, nothing serves", session.Status{State: session.StateFailed, Targets: []session.TargetStatus{api(session.StateFailed, 2, false)}}, "build failed — nothing running", false, []string{"no version is serving"}},
		{"failed first build", session.Status{State: session.StateFailed, Targets: []session.TargetStatus{api(session.StateFailed, 0, false)}}, "build failed — nothing running yet", false, []string{"no version has run yet"}},
		{"failed is judged on the failing target", session.Status{State: session.StateFailed, Targets: []session.TargetStatus{api(session.StateRunning, 2, true), {Name: "./cmd/admin", State: session.StateFailed}}},
			"build failed — nothing running yet", false, []string{"", "no version has run yet"}},
		{"failed without targets", session.Status{State: session.StateFailed}, "build failed", false, []string{}},
		{"crash before any version ran", session.Status{State: session.StateCrashed, Targets: []session.TargetStatus{api(session.StateCrashed, 0, false)}}, "start failed — nothing running yet", false, []string{"no version has run yet"}},
		{"crash of a version that ran", session.Status{State: session.StateCrashed, Targets: []session.TargetStatus{api(session.StateCrashed, 2, false)}}, "crashed", false, []string{"no version is serving"}},
		{"other states by name", session.Status{State: session.StateStopped}, "stopped", false, []string{}},
	} {
		got := labelled(tc.st)
		var notes []string
		for _, tg := range got.Targets {
			notes = append(notes, tg.Note)
		}
		if got.Label != tc.label || got.Prepared != tc.prepared || !slices.Equal(notes, tc.notes) {
			t.Errorf("%s: label %q, prepared %v, notes %q; want %q, %v, %q", tc.name, got.Label, got.Prepared, notes, tc.label, tc.prepared, tc.notes)
		}
	}
}

// TestStatusJSON: the wire status has the session's fields, the targets
// with their notes, no second "targets", and the fields in the
// contract's order.
func TestStatusJSON(t *testing.T) {
	st := session.Status{State: session.StateFailed, Root: "/src/shop", Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateFailed, Generation: 3, Serving: true}}}
	b, err := json.Marshal(labelled(st))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"state":"failed","root":"/src/shop","label":"build failed — serving generation 3","targets":[{"package":"","name":"./cmd/api","state":"failed","generation":3,"serving":true,"buildMs":0,"note":"still serving generation 3"}]}`
	if string(b) != want {
		t.Errorf("status JSON\n got %s\nwant %s", b, want)
	}
	var order []string
	for _, f := range readContract(t).Status {
		order = append(order, `"`+f.Name+`":`)
	}
	last := -1
	for _, key := range order {
		i := bytes.Index(b, []byte(key))
		if i >= 0 && i < last {
			t.Errorf("%s comes before the fields listed above it in the contract", key)
		}
		last = max(last, i)
	}
}
