// Command bench is the benchmark room: it measures ginhotd against air
// v1.67.4 on the same edits of fresh copies of examples/shop, next to the
// floor (a plain go build of the same edit plus exec to the first HTTP 200),
// and writes a markdown table, the raw results as JSON and an SVG bar chart.
//
//	go run ./bench [--quick] [--out DIR] [--keep] [--only PART,...]
//
// The full run (about 10 minutes on 2 cores) writes DIR/latest.json,
// DIR/table.md, DIR/chart.svg and ginhotd's event logs (DIR/events-*.jsonl)
// to bench/results by default; --quick (under 3 minutes) leaves out the
// scale scenario and the --no-proxy column and repeats less. The proxy part
// (bombardier against the app directly, behind a bare httputil.ReverseProxy,
// the same with a BufferPool, and behind ginhotd) and the cgo part (link time with CGO_ENABLED=1 and 0)
// run in the full run and alone with --only proxy,cgo.
//
// The scale scenario also mounts its module with bindfs (FUSE, as root)
// and edits it behind the mount, as a host editor edits behind a
// container's bind mount: ginhotd with no flag (it polls such mounts by
// itself) and air with poll = true, their idle cost, and ginhotd's save →
// build_start time. Without root or bindfs those rows say why they are
// missing.
//
// The editor rows start `ginhotd --stdio` on their own copy and drive it
// with a small LSP client (lsp_linux.go): editor-save types a one-line
// edit as didChange events 80 ms apart, pauses 1 s, writes the file and
// sends didSave, and times the save until the new version answers;
// editor-undo restores the text an edit replaced and saves at once;
// editor-template saves a template edit; editor-typing types 40 keystrokes
// 120 ms apart with two 1 s pauses and no save, and counts the speculative
// builds and their CPU time (the go wrapper logs each finished build's CPU
// time; cancelled ones are sampled from /proc). Each runs alone with
// --only editor-save (etc.), all of them in the full run; --quick runs
// editor-save.
//
// It owns the bench/ directory and its committed results. It drives the
// ginhotd binary as a user does, through its JSON event log, and never
// imports ginhotd's packages. It must not edit anything but its temporary
// copies, send traffic anywhere but 127.0.0.1, or leave a process behind:
// every process it starts runs in its own process group and is ended by PID,
// and the harness adopts orphans (PR_SET_CHILD_SUBREAPER) to end those too.
// It runs on Linux only: it reads /proc for CPU time, RSS and inotify
// watches.
package main
