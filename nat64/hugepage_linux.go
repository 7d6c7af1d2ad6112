package nat64

import (
	"syscall"
	"unsafe"
)

// hugePages asks the kernel to back a large table with transparent huge
// pages (with THP in "madvise" mode, the common default): random lookups
// over hundreds of megabytes otherwise pay a TLB miss, a two-dimensional
// page walk under virtualisation, on nearly every access. The only unsafe
// code of the package: the slice's bytes are viewed, not kept.
func hugePages[T any](s []T) {
	if len(s) == 0 {
		return
	}
	var z T
	n := uintptr(len(s)) * unsafe.Sizeof(z)
	if n < 4<<20 {
		return
	}
	base := unsafe.Pointer(&s[0])
	p := uintptr(base)
	const huge = 2 << 20
	start := (p + huge - 1) &^ (huge - 1)
	end := (p + n) &^ (huge - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, start-p)), end-start), 14) // MADV_HUGEPAGE
}
