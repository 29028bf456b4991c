package session

import (
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// Kind names an [Event].
type Kind string

// The kinds of [Event]. Their string values are the "event" field of the
// JSON log.
const (
	KindBuildStart  Kind = "build_start"
	KindBuildOK     Kind = "build_ok"
	KindBuildFail   Kind = "build_fail"
	KindStart       Kind = "start"   // a version's process was started
	KindReady       Kind = "ready"   // a version accepts connections and serves
	KindStop        Kind = "stop"    // a version was stopped
	KindCrash       Kind = "crash"   // a version exited on its own, or failed to start
	KindSkip        Kind = "skip"    // a change needs nothing
	KindRestart     Kind = "restart" // a change needs a restart without a build
	KindLog         Kind = "log"     // one line of app output
	KindStatus      Kind = "status"  // Status changed
	KindDiagnostics Kind = "diagnostics"
	KindPrepared    Kind = "prepared" // a speculative build from an editor's buffers is ready for the save
	// A main package became a target (a new one, or one that came back;
	// URL is its address), or stopped being one (Reason says why).
	KindTargetAdded   Kind = "target_added"
	KindTargetRemoved Kind = "target_removed"
	KindWarn          Kind = "warn"  // something the user should fix (Message has the fix)
	KindError         Kind = "error" // ginhotd itself failed at something
	// A generate step ([[generate]], go_generate) started, succeeded or
	// failed; Step names it. On generate_fail, Diagnostics are its errors
	// at the input's line, and Serving and Generation say what keeps serving.
	KindGenerateStart Kind = "generate_start"
	KindGenerateOK    Kind = "generate_ok"
	KindGenerateFail  Kind = "generate_fail"
	// How far a target's first build (or a build while nothing serves)
	// has come: Phase is "download" or "compile", Done counts modules or
	// packages, Total is an upper bound (0: not known yet), What the
	// latest one. See [build.Progress].
	KindProgress Kind = "progress"
)

// Event is one thing that happened in a session. Fields not relevant to the
// Kind are zero.
type Event struct {
	Time   time.Time `json:"time"`
	Kind   Kind      `json:"event"`
	Target string    `json:"target,omitempty"` // the target's name, "./cmd/api"
	MS     int64     `json:"ms,omitempty"`     // duration of the build, start-up or stop
	PID    int       `json:"pid,omitempty"`
	Reason string    `json:"reason,omitempty"` // why: the decision's reason, the exit status
	Cause  string    `json:"cause,omitempty"`  // what set it off: see Cause
	// DecisionUS is how long the decision for a change took (skip,
	// restart, build_start), in microseconds.
	DecisionUS int64 `json:"decision_us,omitempty"`
	// Generation counts the versions of the target that became ready. On
	// build_fail and crash it is the last generation that became ready
	// (0: no version has run yet), and Serving tells whether it still serves.
	Generation int `json:"generation,omitempty"`
	// Serving is set on build_fail and crash when a previous version of the
	// target keeps serving.
	Serving bool `json:"serving,omitempty"`
	// Speculative is set on build_ok when the binary was prepared from the
	// editor's buffers before the save (SavedMS is the build time it
	// saved), on build_start when the save waits for such a build, on
	// prepared, and on the ready event of a version prepared so.
	Speculative bool  `json:"speculative,omitempty"`
	SavedMS     int64 `json:"saved_ms,omitempty"`
	// Diagnostics: on build_fail the build's errors; on crash a start-up
	// panic; on diagnostics the complete current set for the workspace.
	Diagnostics []build.Diagnostic `json:"diagnostics,omitempty"`
	// Output is the build output (build_fail) or the last lines of app
	// output (crash).
	Output  string  `json:"output,omitempty"`
	Step    string  `json:"step,omitempty"` // generate_*: the step's command
	Line    string  `json:"line,omitempty"` // log: the output line, without newline
	Stderr  bool    `json:"stderr,omitempty"`
	Message string  `json:"message,omitempty"` // warn, error: a sentence for the user
	Status  *Status `json:"status,omitempty"`  // status
	URL     string  `json:"url,omitempty"`     // target_added: the target's public address
	// Debug is, on ready in debug mode, where the version's Delve listens
	// (DAP and JSON-RPC), "127.0.0.1:PORT"; every version has its own.
	Debug string `json:"debug,omitempty"`
	// Phase, Done, Total and What are progress's fields.
	Phase string `json:"phase,omitempty"`
	Done  int    `json:"done,omitempty"`
	Total int    `json:"total,omitempty"`
	What  string `json:"what,omitempty"`
}

// Notifier receives every [Event] of a session, in order, from one goroutine
// at a time. It must not block for long and must not call back into the
// session synchronously.
type Notifier interface {
	Notify(Event)
}

// NotifierFunc adapts a function to [Notifier].
type NotifierFunc func(Event)

// Notify calls f(e).
func (f NotifierFunc) Notify(e Event) { f(e) }

// State is the state of a target or of a whole session.
type State string

// The states of a target; a session's is its most pressing target's.
const (
	StateIdle     State = "idle"
	StateBuilding State = "building"
	StateStarting State = "starting"
	StateRunning  State = "running"
	StateFailed   State = "failed"
	StateCrashed  State = "crashed"
	StateStopped  State = "stopped"
)

// Status is the payload of the ginhot/status notification and of the
// ginhot.status command.
type Status struct {
	State   State          `json:"state"`
	Root    string         `json:"root"`
	LogFile string         `json:"logFile,omitempty"`
	Targets []TargetStatus `json:"targets"`
	Watch   string         `json:"watch,omitempty"` // how changes are seen: "inotify", "inotify + polling ./ (fuse) every ~1.25s"
}

// TargetStatus is the state of one target.
type TargetStatus struct {
	Package    string `json:"package"`            // import path
	Name       string `json:"name"`               // "./cmd/api"
	MainFile   string `json:"mainFile,omitempty"` // the file that declares main
	State      State  `json:"state"`
	PID        int    `json:"pid,omitempty"`
	URL        string `json:"url,omitempty"`
	Generation int    `json:"generation"`         // versions that became ready so far; 0 = none has run yet
	Serving    bool   `json:"serving"`            // a version answers requests right now
	Prepared   bool   `json:"prepared,omitempty"` // the serving version was built before its save (from the editor's buffers, or reused)
	BuildMs    int64  `json:"buildMs"`
	Error      string `json:"error,omitempty"`
	// Debug is, in debug mode, where a debugger attaches: Delve's address
	// for the serving version, or for a starting one that waits for a
	// debugger (debug_wait). It changes with every version.
	Debug string `json:"debug,omitempty"`
}

// Cause records what set off a change, for logs and progress titles.
type Cause int

// The causes of a change.
const (
	CauseFileChange Cause = iota // the file watcher saw it
	CauseDidSave                 // the editor saved a file
	CauseManual                  // a command: restart, rebuild, start
	CauseStart                   // the session started
	CauseCrash                   // the app exited on its own
)

// String returns the cause as it appears in logs.
func (c Cause) String() string {
	switch c {
	case CauseFileChange:
		return "file change"
	case CauseDidSave:
		return "editor save"
	case CauseManual:
		return "command"
	case CauseStart:
		return "start"
	case CauseCrash:
		return "crash"
	}
	return "unknown"
}

// parseCause is the inverse of [Cause.String]; unknown text is a file change.
func parseCause(s string) Cause {
	for c := CauseFileChange; c <= CauseCrash; c++ {
		if c.String() == s {
			return c
		}
	}
	return CauseFileChange
}

// Command is an action a user asks for.
type Command string

// The commands of [Session.Do].
const (
	CmdRestart Command = "restart" // restart the running version(s), no build
	CmdRebuild Command = "rebuild" // build and swap even if nothing changed
	CmdStop    Command = "stop"    // stop the app(s); changes are still analysed
	CmdStart   Command = "start"   // start stopped app(s), building if needed
)

// Explanation is the answer of [Session.Explain].
type Explanation struct {
	Decision string   `json:"decision"` // none, restart or rebuild
	Targets  []string `json:"targets"`  // targets that would act
	Reason   string   `json:"reason"`   // the same text as `ginhotd graph --explain`
}
