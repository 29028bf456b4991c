package watch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSilentSubtrees finds the subtrees to poll from sample
// /proc/self/mountinfo files (testdata/mountinfo): roots on a silent file
// system, silent mounts inside a root, shadowed mounts and roots reached
// through a symbolic link.
func TestSilentSubtrees(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		roots           []string
		real            map[string]string
		want            []Subtree
	}{
		{"docker desktop bind mount", "docker-desktop", []string{"/app"}, nil,
			[]Subtree{{Dir: "/app", FSType: "fuse.grpcfuse"}}},
		{"a volume inside a polled root is covered by it", "docker-desktop", []string{"/app/web"}, nil,
			[]Subtree{{Dir: "/app/web", FSType: "fuse.grpcfuse"}}},
		{"a root on a container's own layer", "docker-desktop", []string{"/go/src/app"}, nil, nil},
		{"wsl windows drive", "wsl", []string{"/mnt/c/Users/me/app"}, nil,
			[]Subtree{{Dir: "/mnt/c/Users/me/app", FSType: "9p"}}},
		{"wsl linux file system", "wsl", []string{"/home/me/app"}, nil, nil},
		{"nfs mount inside a local root", "nfs-inside", []string{"/srv/app"}, nil,
			[]Subtree{{Dir: "/srv/app/web", FSType: "nfs4"}}},
		{"escaped mount point", "nfs-inside", []string{"/srv/app copy/cmd"}, nil,
			[]Subtree{{Dir: "/srv/app copy/cmd", FSType: "cifs"}}},
		{"local mounts only", "local", []string{"/home/me/app"}, nil, nil},
		{"a later mount at the same point wins", "shadowed", []string{"/work"}, nil,
			[]Subtree{{Dir: "/work/web", FSType: "fuse.sshfs"}}},
		{"two roots", "shadowed", []string{"/work/api", "/work/web/ui"}, nil,
			[]Subtree{{Dir: "/work/web/ui", FSType: "fuse.sshfs"}}},
		{"root through a symlink", "wsl", []string{"/home/me/win"}, map[string]string{"/home/me/win": "/mnt/c/src"},
			[]Subtree{{Dir: "/home/me/win", FSType: "9p"}}},
		{"mount inside a root through a symlink", "nfs-inside", []string{"/home/me/app"}, map[string]string{"/home/me/app": "/srv/app"},
			[]Subtree{{Dir: "/home/me/app/web", FSType: "nfs4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "mountinfo", tt.mountinfo))
			must(t, err)
			defer f.Close()
			ms, err := parseMountinfo(f)
			must(t, err)
			got := silentSubtrees(tt.roots, tt.real, ms)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("silentSubtrees (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseMountinfoFields checks the fields taken from each line,
// including octal escapes and optional fields, and that a line not in the
// kernel's format is an error rather than a guess.
func TestParseMountinfoFields(t *testing.T) {
	ms, err := parseMountinfo(strings.NewReader(
		"85 61 0:60 / /mnt/c rw,noatime - 9p C:\\134 rw\n" +
			"40 22 0:45 / /srv/a\\040b rw shared:20 master:3 - nfs4 files:/export rw\n"))
	must(t, err)
	want := []mount{{point: "/mnt/c", fstype: "9p", source: `C:\`}, {point: "/srv/a b", fstype: "nfs4", source: "files:/export"}}
	if diff := cmp.Diff(want, ms, cmp.AllowUnexported(mount{})); diff != "" {
		t.Errorf("parseMountinfo (-want +got):\n%s", diff)
	}
	if _, err := parseMountinfo(strings.NewReader("85 61 0:60 / /mnt/c rw 9p\n")); err == nil {
		t.Error("a line without the separator was accepted")
	}
}

// TestSilentFS names the file systems polled and some that are not.
func TestSilentFS(t *testing.T) {
	for _, fs := range []string{"9p", "v9fs", "fuse", "fuseblk", "fuse.grpcfuse", "fuse.sshfs", "fuse.vmhgfs-fuse", "fakeowner", "osxfs", "nfs", "nfs4", "cifs", "smb3", "vboxsf", "prl_fs", "drvfs"} {
		if !silentFS(fs) {
			t.Errorf("silentFS(%q) = false, want true", fs)
		}
	}
	for _, fs := range []string{"ext4", "xfs", "btrfs", "overlay", "tmpfs", "zfs", "virtiofs", "fusectl"} {
		if silentFS(fs) {
			t.Errorf("silentFS(%q) = true, want false", fs)
		}
	}
}
