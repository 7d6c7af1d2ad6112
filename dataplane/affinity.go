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

// CheckCPUs reports an error naming the first of cpus that a worker
// cannot be pinned to. It tries each on the calling thread and restores
// that thread's mask afterwards: the kernel allows any CPU of the
// process's cpuset (cgroup), even one outside the mask the process was
// started with (taskset), which is how the Go runtime's threads can be
// kept off the workers' CPUs altogether.
func CheckCPUs(cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var saved unix.CPUSet
	if err := unix.SchedGetaffinity(0, &saved); err != nil {
		return fmt.Errorf("datapath.cpus: reading the CPU affinity: %w", err)
	}
	var bad error
	for _, c := range cpus {
		var set unix.CPUSet
		if c < 0 || c >= len(set)*64 {
			bad = fmt.Errorf("datapath.cpus: CPU %d does not exist", c)
			break
		}
		set.Set(c)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			bad = fmt.Errorf("datapath.cpus: CPU %d is not available to xlatd: %w", c, err)
			break
		}
	}
	if err := unix.SchedSetaffinity(0, &saved); err != nil {
		// The thread must not go back to the runtime with a worker's
		// mask: keep it locked, so that it exits with this goroutine.
		runtime.LockOSThread()
		return fmt.Errorf("datapath.cpus: restoring the CPU affinity: %w", err)
	}
	return bad
}
