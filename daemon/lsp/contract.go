package lsp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/session"
)

//go:generate go run gencontract.go

// The contract with the editor clients: the commands, the status object and
// its states, and the label they show. [Contract] writes it down as
// docs/contract.json, which the VS Code and Neovim test suites read.

// A commandSpec is one workspace/executeCommand command.
type commandSpec struct {
	Name     string `json:"name"`
	Argument string `json:"argument"`
	Result   string `json:"result"`
}

// commands are the commands the daemon executes, in the order the
// initialize result lists them.
var commands = []commandSpec{
	{cmdRestart, "optional target (\"./cmd/api\" or its import path)", "null; restarts the running version without a build"},
	{cmdRebuild, "optional target", "null; builds and swaps, even if nothing changed"},
	{cmdStop, "optional target", "null; stops the app(s)"},
	{cmdStart, "optional target", "null; starts stopped app(s), building if needed"},
	{cmdStatus, "optional workspace folder or file URI", "the status object"},
	{cmdExplain, "a file URI", "{decision, targets, reason}"},
	{cmdDebug, "optional {\"on\": bool}; none toggles", "{on}: the debug mode now in force"},
}

// A stateSpec is one state of a target or of a folder.
type stateSpec struct {
	Name    session.State `json:"name"`
	Meaning string        `json:"meaning"`
}

// states are every [session.State], most pressing first: a folder's state
// is the first of its targets' states in this order.
var states = []stateSpec{
	{session.StateBuilding, "a build is running"},
	{session.StateStarting, "a new version is starting"},
	{session.StateFailed, "the last build failed; an older version may still serve"},
	{session.StateCrashed, "the app exited; it is restarted with backoff"},
	{session.StateRunning, "a version serves"},
	{session.StateStopped, "stopped by ginhot.stop, or its main package is gone"},
	{session.StateIdle, "nothing built yet"},
}

// status is a [session.Status] as the clients receive it: with the label
// they show, so that its rules live only in this file.
type status struct {
	session.Status
	// Label is the folder's one-line summary: the URL while running,
	// what keeps serving after a failure, else the state.
	Label string `json:"label"`
	// Prepared: the folder runs, and a serving version was built before
	// its save (clients append their prepared mark).
	Prepared bool `json:"prepared,omitempty"`
	// Targets shadows Status.Targets in JSON.
	Targets []target `json:"targets"`
}

// target is a [session.TargetStatus] with its note.
type target struct {
	session.TargetStatus
	// Note says what serves for a failed or crashed target, and whether
	// the serving version was prepared; "" when there is nothing to add.
	Note string `json:"note,omitempty"`
}

// labelled returns st with its labels.
func labelled(st session.Status) status {
	out := status{Status: st, Label: label(st), Targets: make([]target, len(st.Targets))}
	for i, t := range st.Targets {
		out.Targets[i] = target{TargetStatus: t, Note: targetNote(t)}
		out.Prepared = out.Prepared || st.State == session.StateRunning && t.Prepared
	}
	return out
}

// label is the folder's one-line summary:
//
//	127.0.0.1:8080 +1                       running, the first URL and how many more
//	build failed — serving generation 3     failed: what serves for the failing target
//	start failed — nothing running yet      crashed before any version ran
//	building                                any other state, by name
func label(st session.Status) string {
	var failing *session.TargetStatus
	for i, t := range st.Targets {
		if t.State == st.State {
			failing = &st.Targets[i]
			break
		}
	}
	if failing == nil && len(st.Targets) > 0 {
		failing = &st.Targets[0]
	}
	switch st.State {
	case session.StateRunning:
		var urls []string
		for _, t := range st.Targets {
			if t.URL != "" {
				urls = append(urls, t.URL)
			}
		}
		if len(urls) == 0 {
			break
		}
		host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(urls[0], "http://"), "https://"), "/")
		if len(urls) > 1 {
			return fmt.Sprintf("%s +%d", host, len(urls)-1)
		}
		return host
	case session.StateFailed:
		switch {
		case failing == nil:
			return "build failed"
		case failing.Serving:
			return fmt.Sprintf("build failed — serving generation %d", failing.Generation)
		case failing.Generation > 0:
			return "build failed — nothing running"
		}
		return "build failed — nothing running yet"
	case session.StateCrashed:
		if failing != nil && !failing.Serving && failing.Generation == 0 {
			return "start failed — nothing running yet"
		}
	}
	return string(st.State)
}

// serves says what answers requests for t: "still serving generation N",
// "no version is serving" or "no version has run yet".
func serves(t session.TargetStatus) string {
	switch {
	case t.Serving:
		return fmt.Sprintf("still serving generation %d", t.Generation)
	case t.Generation > 0:
		return "no version is serving"
	}
	return "no version has run yet"
}

// targetNote is a target's note: what serves while it is failed or crashed, and
// that the serving version was prepared.
func targetNote(t session.TargetStatus) string {
	var parts []string
	if t.Prepared && t.Serving {
		parts = append(parts, "prepared from the editor's buffers before the save")
	}
	if t.State == session.StateFailed || t.State == session.StateCrashed {
		parts = append(parts, serves(t))
	}
	return strings.Join(parts, " · ")
}

// A fieldSpec is one field of the status object or of a target.
type fieldSpec struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Optional bool   `json:"optional,omitempty"` // left out when empty
}

// contract is the content of docs/contract.json.
type contract struct {
	Comment      string        `json:"$comment"`
	Notification string        `json:"notification"`
	Commands     []commandSpec `json:"commands"`
	States       []stateSpec   `json:"states"`
	Status       []fieldSpec   `json:"status"`
	Target       []fieldSpec   `json:"target"`
	Examples     []status      `json:"examples"`
}

// examples are the statuses whose labelled form docs/contract.json
// shows, for the reader and for the clients' tests.
var examples = []session.Status{
	{State: session.StateRunning, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateRunning, URL: "http://127.0.0.1:8080", Generation: 3, Serving: true}}},
	{State: session.StateRunning, Targets: []session.TargetStatus{
		{Name: "./cmd/api", State: session.StateRunning, URL: "http://127.0.0.1:8080", Generation: 4, Serving: true, Prepared: true},
		{Name: "./cmd/admin", State: session.StateRunning, URL: "http://127.0.0.1:8081", Generation: 1, Serving: true},
	}},
	{State: session.StateFailed, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateFailed, Generation: 3, Serving: true}}},
	{State: session.StateFailed, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateFailed, Generation: 2}}},
	{State: session.StateFailed, Targets: []session.TargetStatus{
		{Name: "./cmd/api", State: session.StateRunning, Generation: 1, Serving: true},
		{Name: "./cmd/admin", State: session.StateFailed},
	}},
	{State: session.StateCrashed, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateCrashed}}},
	{State: session.StateCrashed, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateCrashed, Generation: 2}}},
	{State: session.StateBuilding, Targets: []session.TargetStatus{{Name: "./cmd/api", State: session.StateBuilding, Generation: 1, Serving: true, Prepared: true}}},
	{State: session.StateStopped, Targets: []session.TargetStatus{}},
}

// Contract returns docs/contract.json: the commands, the states, the
// fields of the status object and of its targets, and example statuses
// with their labels.
func Contract() ([]byte, error) {
	c := contract{
		Comment:      "Generated by go generate ./daemon/lsp from daemon/lsp/contract.go; do not edit. See docs/protocol.md.",
		Notification: StatusMethod,
		Commands:     commands,
		States:       states,
		Status:       fields(reflect.TypeFor[status]()),
		Target:       fields(reflect.TypeFor[target]()),
	}
	for _, st := range examples {
		st.Root = "/src/shop"
		c.Examples = append(c.Examples, labelled(st))
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fields lists the JSON fields of the struct type t in the order
// encoding/json writes them: an embedded struct's fields in its place, and
// a field of the outer struct in its own place, dropping the embedded one
// of the same name.
func fields(t reflect.Type) []fieldSpec {
	var out []fieldSpec
	for f := range t.Fields() {
		if f.Anonymous {
			out = append(out, fields(f.Type)...)
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = slices.DeleteFunc(out, func(f fieldSpec) bool { return f.Name == name })
		out = append(out, fieldSpec{Name: name, Type: typeName(f.Type), Optional: opts == "omitempty"})
	}
	return out
}

// typeName names a field's type in the contract's terms.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[session.State]():
		return "state"
	case t == reflect.TypeFor[[]target](), t == reflect.TypeFor[[]session.TargetStatus]():
		return "array of target"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	}
	panic("contract: no name for type " + t.String())
}
