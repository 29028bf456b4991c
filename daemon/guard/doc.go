// Package guard makes sure that nothing the daemon starts outlives it, even
// when the daemon is killed with SIGKILL and cannot clean up.
//
// On Unix [Start] starts one watchdog: /bin/sh, in a process group of its
// own, reading "add PGID" and "del PGID" lines from a pipe on its stdin. The
// daemon holds the only write end (close-on-exec, so no child inherits it).
// When the daemon dies, by any means, the kernel closes the pipe; the
// watchdog reads end of file and sends SIGKILL to every process group still
// registered, then exits. [Guard.Close] does the same on a clean exit.
//
// Leaves report the groups they start through hooks (build.Options.OnStart
// and OnExit, run.Spec.OnStart and OnExit), which the session wires to
// [Guard.Add] and [Guard.Remove]; the leaves do not import this package.
//
// Process group ids are reused once every member of a group is gone, so a
// group must be removed before its leader is reaped (the run package does
// this), or right after (the build package), never long after. The pipe
// keeps the order of the lines, so the watchdog never kills a group the
// daemon removed before it died. What is left is the time between the
// daemon's death and the watchdog's kill, a few milliseconds in which the
// kernel would have to hand out the number of an emptied group again.
//
// On Windows [Start] puts the daemon in a Job object that kills every
// process of the job when its last handle closes, which happens when the
// daemon exits or dies; children join the job on their own, so Add and
// Remove do nothing. Elsewhere Start returns [ErrUnsupported] and a nil
// Guard, whose methods do nothing.
package guard
