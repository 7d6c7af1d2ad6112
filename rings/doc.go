// Package rings implements the four AF_XDP rings (fill, completion, RX, TX)
// over memory shared with the kernel.
//
// Each ring is a small value type holding pointers to the shared producer and
// consumer indices, the flags word and the descriptor array, plus cached
// local copies of the indices so that the shared cache lines are touched once
// per batch rather than once per descriptor. The shared indices are read and
// written with sync/atomic (load-acquire / store-release semantics on every
// architecture Go supports), which gives the ordering the kernel expects:
// descriptors are written before the producer index is published, and read
// after the producer index is observed.
//
// The user-space side owns the producer of the fill and TX rings and the
// consumer of the completion and RX rings; the kernel owns the other ends.
//
// All uses of package unsafe live in unsafe.go.
package rings
