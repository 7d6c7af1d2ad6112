package rings

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// NeedWakeup is XDP_RING_NEED_WAKEUP, the bit of a ring's flags word that the
// kernel sets when it wants a syscall before it processes the ring again.
const NeedWakeup = 1

// ErrSize is returned for a ring size that is zero or not a power of two.
var ErrSize = errors.New("rings: size must be a power of two")

// ErrShort is returned when the mapped memory is too small for the ring.
var ErrShort = errors.New("rings: mapped memory too small for ring")

// ring is the state common to all four rings: the shared indices and the
// cached local copies.
//
// For a producer ring (fill, TX) cachedProd is our private producer index
// (published with a release store) and cachedCons is the last consumer index
// we read plus the ring size, so cachedCons-cachedProd is the number of free
// slots known without touching shared memory.
//
// For a consumer ring (completion, RX) cachedCons is our private consumer
// index and cachedProd the last producer index we read, so
// cachedProd-cachedCons is the number of entries known to be ready.
type ring struct {
	sh         shared
	mask       uint32
	size       uint32
	cachedProd uint32
	cachedCons uint32
}

func newRing(mem []byte, off Offsets, size uint32, elem int, producer bool) (ring, error) {
	if size == 0 || size&(size-1) != 0 {
		return ring{}, fmt.Errorf("%w: %d", ErrSize, size)
	}
	need := off.Desc + uint64(size)*uint64(elem)
	for _, o := range []uint64{off.Producer + 4, off.Consumer + 4, off.Flags + 4} {
		if o > need {
			need = o
		}
	}
	if uint64(len(mem)) < need {
		return ring{}, fmt.Errorf("%w: have %d bytes, need %d", ErrShort, len(mem), need)
	}
	if off.Producer%4 != 0 || off.Consumer%4 != 0 || off.Flags%4 != 0 || off.Desc%8 != 0 {
		return ring{}, fmt.Errorf("rings: misaligned offsets %+v", off)
	}
	r := ring{sh: sharedAt(mem, off), mask: size - 1, size: size}
	r.cachedProd = atomic.LoadUint32(r.sh.producer)
	r.cachedCons = atomic.LoadUint32(r.sh.consumer)
	if producer {
		r.cachedCons += size
	}
	return r, nil
}

// Size is the number of slots of the ring.
func (r *ring) Size() uint32 { return r.size }

// NeedWakeup reports whether the kernel has set XDP_RING_NEED_WAKEUP on the
// ring (meaningful only when the socket was bound with XDP_USE_NEED_WAKEUP).
func (r *ring) NeedWakeup() bool {
	return atomic.LoadUint32(r.sh.flags)&NeedWakeup != 0
}

// free returns how many slots a producer may fill, refreshing the cached
// consumer index only when fewer than n are known to be free.
func (r *ring) free(n uint32) uint32 {
	f := r.cachedCons - r.cachedProd
	if f >= n {
		return f
	}
	r.cachedCons = atomic.LoadUint32(r.sh.consumer) + r.size
	return r.cachedCons - r.cachedProd
}

// avail returns how many entries a consumer may take, up to n, refreshing the
// cached producer index only when fewer than n are known to be ready.
func (r *ring) avail(n uint32) uint32 {
	e := r.cachedProd - r.cachedCons
	if e < n {
		r.cachedProd = atomic.LoadUint32(r.sh.producer)
		e = r.cachedProd - r.cachedCons
	}
	if e > n {
		e = n
	}
	return e
}

// publishProd makes produced entries visible to the other side. The atomic
// store orders all earlier writes to the descriptor array before it.
func (r *ring) publishProd() { atomic.StoreUint32(r.sh.producer, r.cachedProd) }

// publishCons returns consumed slots to the other side. The atomic store
// orders all earlier reads of the descriptor array before it.
func (r *ring) publishCons() { atomic.StoreUint32(r.sh.consumer, r.cachedCons) }

// Pending is the number of entries produced but not yet consumed, as seen
// from the shared indices (a diagnostic: it touches shared memory).
func (r *ring) Pending() uint32 {
	return atomic.LoadUint32(r.sh.producer) - atomic.LoadUint32(r.sh.consumer)
}
