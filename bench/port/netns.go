package port

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// NetnsDir is where `ip netns add` keeps its namespace handles.
const NetnsDir = "/run/netns"

// Go runs f on a fresh OS thread that joined network namespace ns (a
// name under /run/netns, or "" to stay) and, if cpu >= 0, is pinned to
// that CPU. The thread never goes back to the Go scheduler's pool: it
// exits with the goroutine. The result of f arrives on the channel.
//
// Sockets and XDP attachments made by f live in ns. Goroutines f starts
// run on other threads, in the process's original namespace.
func Go(ns string, cpu int, f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // deliberately never unlocked
		if err := Enter(ns, cpu); err != nil {
			ch <- err
			return
		}
		ch <- f()
	}()
	return ch
}

// Enter moves the calling (locked) OS thread into ns and pins it to cpu.
func Enter(ns string, cpu int) error {
	if ns != "" {
		fd, err := os.Open(filepath.Join(NetnsDir, ns))
		if err != nil {
			return fmt.Errorf("port: netns %s: %w", ns, err)
		}
		err = unix.Setns(int(fd.Fd()), unix.CLONE_NEWNET)
		fd.Close()
		if err != nil {
			return fmt.Errorf("port: setns %s: %w", ns, err)
		}
	}
	if cpu >= 0 {
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return fmt.Errorf("port: pin to cpu %d: %w", cpu, err)
		}
	}
	return nil
}
