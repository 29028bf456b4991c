package config

import (
	"os"
	"path/filepath"
	"strings"
)

// ContainerAddr is the default public address inside a container: a
// published port (docker run -p 8080:8080) reaches the container's own
// interfaces, never its loopback.
const ContainerAddr = "0.0.0.0:8080"

// DetectContainer says why this process seems to run in a container
// ("/.dockerenv", "/run/.containerenv", "the cgroup of pid 1 (docker)"),
// or returns "" outside one.
func DetectContainer() string { return detectContainer("/") }

// detectContainer is [DetectContainer] on the file system rooted at root.
func detectContainer(root string) string {
	for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			return f
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "proc/1/cgroup"))
	if err != nil {
		return ""
	}
	for _, rt := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
		if strings.Contains(string(b), rt) {
			return "the cgroup of pid 1 (" + rt + ")"
		}
	}
	return ""
}

// ForContainer sets Addr to [ContainerAddr] when why (from
// [DetectContainer]) is not empty and neither the config file nor the
// overrides chose an address, and reports whether it did.
func (c *Config) ForContainer(why string) bool {
	if why == "" || c.AddrSet {
		return false
	}
	c.Addr = ContainerAddr
	return true
}
