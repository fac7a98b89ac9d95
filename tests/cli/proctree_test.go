package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procTree is a snapshot of the machine's processes (Linux /proc): each
// process's children and command name.
type procTree struct {
	children map[int][]int
	comm     map[int]string
}

// readProcTree reads /proc/PID/stat of every process: "pid (comm) state
// ppid ...", where comm may hold spaces and parentheses, so the fields are
// split after the last ")".
func readProcTree(t *testing.T) procTree {
	t.Helper()
	p := procTree{children: map[int][]int{}, comm: map[int]string{}}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		lp, rp := strings.IndexByte(string(stat), '('), strings.LastIndexByte(string(stat), ')')
		if lp < 0 || rp < lp {
			continue
		}
		fields := strings.Fields(string(stat)[rp+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		p.children[ppid] = append(p.children[ppid], pid)
		p.comm[pid] = string(stat)[lp+1 : rp]
	}
	return p
}

// under is root and every process below it.
func (p procTree) under(root int) []int {
	out := []int{root}
	for _, c := range p.children[root] {
		out = append(out, p.under(c)...)
	}
	return out
}

// kill sends SIGKILL to pids (one already gone is fine) and returns how
// many there were.
func (p procTree) kill(t *testing.T, pids []int) int {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			t.Errorf("kill %d (%s): %v", pid, p.comm[pid], err)
		}
	}
	return len(pids)
}

// killTree sends SIGKILL to root and everything under it; it returns how
// many processes that was.
func killTree(t *testing.T, root int) int {
	t.Helper()
	p := readProcTree(t)
	return p.kill(t, p.under(root))
}

// killEngine sends SIGKILL to every pulumi process this test process
// started and to everything they started (the provider plugins): what a
// runner that vanishes does to them.
func killEngine(t *testing.T) int {
	t.Helper()
	p := readProcTree(t)
	var pids []int
	for _, c := range p.children[os.Getpid()] {
		if p.comm[c] == "pulumi" {
			pids = append(pids, p.under(c)...)
		}
	}
	if len(pids) == 0 {
		t.Fatal("no pulumi process to kill")
	}
	return p.kill(t, pids)
}

// killTree finds a process's children and grandchildren and kills them
// all: a shell with two background sleeps is three processes.
func TestKillTreeKillsTheWholeTree(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 300 & sleep 300 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	var kids []int
	for time.Now().Before(deadline) {
		p := readProcTree(t)
		if kids = p.children[cmd.Process.Pid]; len(kids) == 2 && p.comm[kids[0]] == "sleep" && p.comm[kids[1]] == "sleep" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(kids) != 2 {
		_ = cmd.Process.Kill()
		t.Fatalf("the shell's children: %v", kids)
	}
	if n := killTree(t, cmd.Process.Pid); n != 3 {
		t.Errorf("killed %d processes, want 3", n)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the shell survived")
	}
	// The sleeps die too (SIGKILL is delivered asynchronously): no such
	// process soon, or a zombie waiting for init.
	for _, k := range kids {
		var stat []byte
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			var err error
			if stat, err = os.ReadFile(filepath.Join("/proc", strconv.Itoa(k), "stat")); err != nil || strings.Contains(string(stat), ") Z ") {
				stat = nil
				break
			}
		}
		if stat != nil {
			t.Errorf("sleep %d still runs: %s", k, stat)
		}
	}
}
