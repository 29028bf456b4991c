package run

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ListeningPorts returns the TCP ports (IPv4 and IPv6, sorted, without
// duplicates) on which the process pid or a member of the process group it
// leads is listening. It reads the sockets from /proc/PID/fd and their state
// from /proc/PID/net/tcp and tcp6. It is used to tell the user that the app
// listens on, say, :8080 rather than on $PORT.
func ListeningPorts(pid int) ([]int, error) {
	inodes := map[string]bool{}
	if err := addSockets(inodes, pid); err != nil {
		return nil, fmt.Errorf("run: listening ports of %d: %w", pid, err)
	}
	for _, member := range groupMembers(pid) {
		_ = addSockets(inodes, member) // best effort: members come and go
	}
	var ports []int
	for _, name := range []string{"tcp", "tcp6"} {
		found, err := localPorts(filepath.Join("/proc", strconv.Itoa(pid), "net", name), inodes, tcpListen)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("run: listening ports of %d: %w", pid, err)
		}
		ports = append(ports, found...)
	}
	slices.Sort(ports)
	return slices.Compact(ports), nil
}

// addSockets adds the inodes of the sockets open in process pid.
func addSockets(inodes map[string]bool, pid int) error {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return nil
}

// groupMembers returns the processes other than pgid in process group pgid.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pgid {
			continue
		}
		if _, pgrp, _, ok := procStat(pid); ok && pgrp == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Socket states in /proc/net/tcp{,6}.
const (
	tcpEstablished = "01"
	tcpListen      = "0A"
)

// localPorts returns the local ports of the sockets in state (tcpListen,
// tcpEstablished) of a /proc/net/tcp{,6} table whose inode is in inodes.
func localPorts(table string, inodes map[string]bool, state string) ([]int, error) {
	f, err := os.Open(table)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ports []int
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != state || !inodes[fields[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err == nil {
			ports = append(ports, int(port))
		}
	}
	return ports, sc.Err()
}

// PortHolder returns the pid and command name of a process that listens
// on the TCP port (IPv4 or IPv6), from /proc; an error when none can be
// found, or the process is not readable (another user's).
func PortHolder(port int) (int, string, error) {
	want := map[string]bool{}
	for _, name := range []string{"tcp", "tcp6"} {
		for _, inode := range listenInodes(filepath.Join("/proc/net", name), port) {
			want[inode] = true
		}
	}
	if len(want) > 0 {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			inodes := map[string]bool{}
			if addSockets(inodes, pid) != nil {
				continue
			}
			for inode := range inodes {
				if want[inode] {
					comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
					return pid, strings.TrimSpace(string(comm)), nil
				}
			}
		}
	}
	return 0, "", fmt.Errorf("run: no readable process listens on port %d", port)
}

// listenInodes returns the inodes of the listening sockets on port in a
// /proc/net/tcp{,6} table.
func listenInodes(table string, port int) []string {
	f, err := os.Open(table)
	if err != nil {
		return nil
	}
	defer f.Close()
	var inodes []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		if _, hexPort, ok := strings.Cut(fields[1], ":"); ok {
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes = append(inodes, fields[9])
			}
		}
	}
	return inodes
}
