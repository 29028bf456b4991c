package watch

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// mountsOf returns the mounts of this process, read from
// /proc/self/mountinfo. Where that cannot be read (a /proc that is not
// mounted), it asks statfs(2) for the file system of each root instead, so
// a silent root is still found, though not a silent mount inside it.
func mountsOf(roots []string) []mount {
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		defer f.Close()
		if ms, err := parseMountinfo(f); err == nil {
			return ms
		}
	}
	var out []mount
	for _, r := range roots {
		var st unix.Statfs_t
		if unix.Statfs(r, &st) == nil {
			if name := magicName(int64(st.Type)); name != "" {
				out = append(out, mount{point: r, fstype: name})
			}
		}
	}
	return out
}

// magicName names the statfs(2) magic number of a file system that
// delivers no events for changes made elsewhere, or returns "".
func magicName(magic int64) string {
	switch magic {
	case 0x01021997:
		return "9p"
	case 0x65735546:
		return "fuse"
	case 0x6969:
		return "nfs"
	case 0xfe534d42:
		return "smb2"
	case 0xff534d42:
		return "cifs"
	case 0x517b:
		return "smbfs"
	case 0x786f4256:
		return "vboxsf"
	}
	return ""
}

// realPath resolves the symbolic links in dir, or returns dir.
func realPath(dir string) string {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		return r
	}
	return dir
}
