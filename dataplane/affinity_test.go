package dataplane

import (
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPinnedWorkerThread: a worker with Pin runs on a thread bound to its
// CPU alone, while the process's other threads keep their whole mask.
func TestPinnedWorkerThread(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	cpu := -1
	for c := len(all)*64 - 1; c >= 0; c-- {
		if all.IsSet(c) {
			cpu = c
			break
		}
	}
	if err := CheckCPUs([]int{cpu}); err != nil {
		t.Fatal(err)
	}
	if err := CheckCPUs([]int{cpu, len(all)*64 - 1}); err == nil {
		t.Error("CheckCPUs accepted CPU 1023")
	}

	before := threadsNotOn(t, all) // a worker of an earlier run that ended on the main thread stays there, pinned

	w := NewWorker(WorkerConfig{Config: srcSource(t), Pin: true, CPU: cpu, PollTimeout: time.Millisecond})
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(&stop)
	}()
	defer func() {
		stop.Store(true)
		<-done
	}()
	deadline := time.Now().Add(5 * time.Second)
	for w.tid.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("worker did not start")
		}
		time.Sleep(time.Millisecond)
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(int(w.tid.Load()), &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(cpu) {
		t.Errorf("worker thread %d: affinity of %d CPUs, want CPU %d alone", w.tid.Load(), set.Count(), cpu)
	}
	// Every other thread of the process keeps the whole mask (the worker may
	// have landed on the main thread: that is fine, the others are not
	// touched).
	for tid, n := range threadsNotOn(t, all) {
		if tid != int(w.tid.Load()) && before[tid] == 0 {
			t.Errorf("thread %d has %d CPUs, want the process's %d", tid, n, all.Count())
		}
	}
}

// threadsNotOn returns the threads of the process whose affinity is not
// mask, with their number of CPUs.
func threadsNotOn(t *testing.T, mask unix.CPUSet) map[int]int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range tasks {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			continue // exited meanwhile
		}
		if set != mask {
			out[tid] = set.Count()
		}
	}
	return out
}

// TestCheckCPUsOutsideStartMask: a CPU outside the mask the process was
// started with (taskset) but inside its cpuset is accepted, and the calling
// thread gets its own mask back.
func TestCheckCPUsOutsideStartMask(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	var cpus []int
	for c := 0; c < len(all)*64 && len(cpus) < 2; c++ {
		if all.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var one unix.CPUSet
	one.Set(cpus[0])
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &all)
	if err := CheckCPUs([]int{cpus[1]}); err != nil {
		t.Errorf("CPU %d refused from a thread on CPU %d: %v", cpus[1], cpus[0], err)
	}
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if after != one {
		t.Errorf("CheckCPUs left the thread on %d CPUs, want CPU %d alone", after.Count(), cpus[0])
	}
}
