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
// (bombardier against the app directly, behind a bare httputil.ReverseProxy
// and behind ginhotd) and the cgo part (link time with CGO_ENABLED=1 and 0)
// run in the full run and alone with --only proxy,cgo.
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
