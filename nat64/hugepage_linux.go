package nat64

import (
	"syscall"
	"unsafe"
)

// bigSlice returns n zeroed Ts. Large tables are mapped outside the Go heap
// with transparent huge pages requested before the first touch: the GC
// never sees them, and random lookups over hundreds of megabytes do not
// pay a TLB miss (a two-dimensional page walk under virtualisation) on
// nearly every access. T must hold no pointers. The mapping is recorded in
// *mapped for Close. This file holds the package's only unsafe code.
func bigSlice[T any](n int, mapped *[][]byte) []T {
	var z T
	size := uintptr(n) * unsafe.Sizeof(z)
	if size < 4<<20 {
		return make([]T, n)
	}
	const huge = 2 << 20
	size = (size + huge - 1) &^ (huge - 1)
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return make([]T, n)
	}
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE
	*mapped = append(*mapped, b)
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

func unmap(b []byte) { _ = syscall.Munmap(b) }

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault the range in
// writable, as a first write would, with huge pages where MADV_HUGEPAGE
// asked for them.
const madvPopulateWrite = 23

// populate faults in the pages of b so that the packet path never takes a
// first-touch page fault on it. Kernels without MADV_POPULATE_WRITE get
// one write per 4 KiB page (the byte written is the zero already there).
func populate(b []byte) error {
	if err := syscall.Madvise(b, madvPopulateWrite); err == nil {
		return nil
	} else if err != syscall.EINVAL {
		return err
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 0
	}
	return nil
}
