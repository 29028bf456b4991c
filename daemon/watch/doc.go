// Package watch is the room that turns file-system activity under the
// workspace roots into coalesced change sets ([Batch]) for the session.
//
// # What it owns
//
// A [Watcher] owns one goroutine (plus the one inside fsnotify) and all of
// its state: the set of watched directories, the ignore rules read from
// .gitignore files, and a content hash for every visible file. Events from
// fsnotify, paths handed in by the editor through [Watcher.Notify], and
// polling scans all go through the same funnel: a path is marked as a
// candidate, and when the quiet window ([Options.Debounce], capped by
// [Options.MaxWait]) ends each candidate is compared with what the watcher
// knew. Only paths that were created, removed, or whose content hash changed
// are reported, so an editor's atomic save, a save seen both by the editor
// and by fsnotify, or a save that did not change the bytes costs nothing
// downstream. [Watcher.Close] stops the goroutine, waits for it, and closes
// the channel returned by [Watcher.Batches].
//
// # What it must not do
//
// It makes no decision about what a change means (that is analysis), never
// builds or runs anything, and imports no other ginhotd package. It never
// follows directory symlinks and never descends into .git, node_modules,
// vendor, hidden directories, [Options.IgnoreDirs], [Options.Exclude]
// matches or paths ignored by .gitignore files (a root's own, and those
// above it up to the repository's top, the directory holding .git, with
// its .git/info/exclude). Editor temporary files (vim swap files and its "4913" probe, backup files ending in "~", Emacs lock and
// auto-save files, "*.tmp", JetBrains "___jb_tmp___" files) are never
// reported.
//
// # Linux notes
//
// fsnotify uses inotify, which watches single directories, so the watcher
// adds one watch per directory. The number of watches per user is limited by
// fs.inotify.max_user_watches (often 8192 on older kernels; raise it with
// "sysctl fs.inotify.max_user_watches=524288"). When adding a watch fails
// with ENOSPC the watcher logs a warning through [Options.Logf], releases its
// watches and falls back to polling every 500ms; [Watcher.Polling] then
// reports true. The number of inotify instances is limited by
// fs.inotify.max_user_instances; if no instance can be created the watcher
// polls as well. If the kernel's event queue (fs.inotify.max_queued_events)
// overflows, the watcher rescans the roots and reports what changed.
//
// # Mounts that deliver no events
//
// inotify sees only the changes made through this kernel. On 9p (WSL's
// /mnt/c, older Docker Desktop sharing), FUSE (Docker Desktop's grpcfuse,
// sshfs, bindfs), NFS, SMB, vboxsf, prl_fs and drvfs a change made on the
// other side (a host editor) produces no event. [New] reads
// /proc/self/mountinfo and polls, in addition to inotify, each root on such
// a file system and each such mount point inside a root ([Subtree]); it
// logs one line per subtree saying why. The poller is adaptive and cheap:
// it stats only the paths of interest ([Watcher.SetInterest]), the hot ones
// (changed in the last two minutes, or named through [Watcher.Notify])
// every 100ms and the rest in slices over [PollCycle]. A directory whose
// modification time moved is listed again, which is how new and removed
// files show. [Options.PollOff] turns this off; [Options.Poll] instead
// walks the whole tree at its interval, comparing size and modification
// time and hashing only the files whose size or time moved.
package watch
