package watch

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// mount is one line of /proc/self/mountinfo: where a file system is
// mounted and its type.
type mount struct {
	point  string // clean, absolute mount point
	fstype string // "ext4", "fuse.grpcfuse", "9p", …
	source string // what is mounted ("/dev/sda1", "C:\134", a FUSE daemon's name)
}

// Subtree is a directory that the watcher polls in addition to inotify,
// because the file system it lies on delivers no events for changes made
// outside this machine (a host editor behind a container's bind mount, a
// Windows editor behind WSL's /mnt/c, another NFS client).
type Subtree struct {
	// Dir is the absolute directory polled: a watched root, or a mount
	// point inside one.
	Dir string
	// FSType is the file system type that needs polling, as mountinfo
	// names it ("fuse.grpcfuse", "9p", "nfs4").
	FSType string
}

// Reason says in words why s is polled, for the terminal and the event log.
func (s Subtree) Reason() string {
	return s.FSType + " delivers no events for changes made outside this machine"
}

// silentFS reports whether a file system of type fstype (as mountinfo
// names it) delivers no inotify events for changes made on the other side:
// 9p and v9fs (WSL's /mnt/*, older Docker Desktop sharing), every FUSE file
// system (fuse.grpcfuse, fuse.sshfs, vmhgfs-fuse, bindfs, osxfs,
// fakeowner), NFS, CIFS and SMB, VirtualBox's vboxsf, Parallels' prl_fs and
// WSL 1's drvfs.
func silentFS(fstype string) bool {
	switch fstype {
	case "9p", "v9fs", "fuse", "fuseblk", "osxfs", "fakeowner",
		"nfs", "nfs4", "cifs", "smb3", "smbfs", "smb2", "vboxsf", "prl_fs", "drvfs", "vmhgfs":
		return true
	}
	return strings.HasPrefix(fstype, "fuse.") || strings.HasPrefix(fstype, "fuseblk.")
}

// parseMountinfo reads the format of /proc/PID/mountinfo (proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
//
// The mount point is the fifth field, with spaces and other special bytes
// written as octal escapes (\040); the file system type and source follow
// the "-" that ends the optional fields.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var out []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		sep := slices.Index(f, "-")
		if len(f) < 5 || sep < 6 || sep+2 >= len(f) {
			return nil, fmt.Errorf("watch: mountinfo line %d: not in the format of proc(5)", n)
		}
		out = append(out, mount{
			point:  filepath.Clean(unescapeMount(f[4])),
			fstype: unescapeMount(f[sep+1]),
			source: unescapeMount(f[sep+2]),
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("watch: mountinfo: %w", err)
	}
	return out, nil
}

// unescapeMount undoes the kernel's octal escapes of space, tab, newline
// and backslash in a mountinfo field.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// silentSubtrees returns the parts of roots that must be polled: each root
// that lies on a silent file system, and each silent mount point inside a
// root, outermost first, none inside another. A later line of mountinfo
// mounted over an earlier one at the same point wins, as in the kernel.
// real maps a root to its path with symbolic links resolved (the mount
// points in mounts are real paths); a root missing from it is used as is.
func silentSubtrees(roots []string, real map[string]string, mounts []mount) []Subtree {
	var out []Subtree
	covered := func(dir string) bool {
		for _, s := range out {
			if within(dir, s.Dir) {
				return true
			}
		}
		return false
	}
	for _, root := range roots {
		rr := root
		if r, ok := real[root]; ok {
			rr = r
		}
		// The mount holding the root is the last one whose point is the
		// longest prefix of it.
		var at *mount
		for i := range mounts {
			m := &mounts[i]
			if within(rr, m.point) && (at == nil || len(m.point) >= len(at.point)) {
				at = m
			}
		}
		if at != nil && silentFS(at.fstype) && !covered(root) {
			out = append(out, Subtree{Dir: root, FSType: at.fstype})
		}
		// Mount points below the root, shallowest first so that the
		// outermost silent one covers what is mounted inside it.
		inner := map[string]string{} // point → fstype of the last mount there
		for _, m := range mounts {
			if m.point != rr && within(m.point, rr) {
				inner[m.point] = m.fstype
			}
		}
		points := make([]string, 0, len(inner))
		for p := range inner {
			points = append(points, p)
		}
		slices.Sort(points)
		for _, p := range points {
			if !silentFS(inner[p]) {
				continue
			}
			dir := filepath.Join(root, strings.TrimPrefix(p, rr))
			if !covered(dir) {
				out = append(out, Subtree{Dir: dir, FSType: inner[p]})
			}
		}
	}
	return out
}
