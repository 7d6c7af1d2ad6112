package dataplane

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// pinThread locks the calling goroutine to its OS thread and binds that
// thread, and only that thread, to cpu: sched_setaffinity with pid 0 acts
// on the calling thread. The Go runtime creates new threads from its
// template thread while a goroutine is locked, so they do not inherit the
// binding. The lock is never undone: when the goroutine ends, its thread
// exits with it rather than carry the binding back into the runtime's pool.
func pinThread(cpu int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pinning the worker thread to CPU %d: %w", cpu, err)
	}
	return nil
}

// CheckCPUs reports an error naming the first of cpus that the process may
// not run on (its affinity mask, as taskset or a cgroup set it).
func CheckCPUs(cpus []int) error {
	var set unix.CPUSet
	// The calling thread's mask: any thread but a pinned worker's (those
	// are locked to their workers) has the process's mask.
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return fmt.Errorf("datapath.cpus: reading the process's CPU affinity: %w", err)
	}
	for _, c := range cpus {
		if c < 0 || c >= len(set)*64 || !set.IsSet(c) {
			return fmt.Errorf("datapath.cpus: CPU %d is not available to xlatd (it may run on %d CPUs)", c, set.Count())
		}
	}
	return nil
}
