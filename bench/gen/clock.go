package gen

import _ "unsafe" // go:linkname

// Now returns CLOCK_MONOTONIC in nanoseconds through the runtime's vDSO
// clock, so that a generator and a sink in different goroutines or
// processes on one host read the same clock without a system call.
func Now() int64 { return nanotime() }

//go:linkname nanotime runtime.nanotime
func nanotime() int64
