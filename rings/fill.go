package rings

// Fill is the fill ring: user space produces chunk addresses that the kernel
// consumes to receive into.
type Fill struct {
	ring
	addrs []uint64
}

// NewFill maps a fill ring of size slots (a power of two) over mem, laid out
// as described by off.
func NewFill(mem []byte, off Offsets, size uint32) (*Fill, error) {
	r, err := newRing(mem, off, size, 8, true)
	if err != nil {
		return nil, err
	}
	return &Fill{ring: r, addrs: addrsAt(mem, off, size)}, nil
}

// Free returns the number of slots currently free, refreshing the cached
// consumer index if fewer than n are known free.
func (f *Fill) Free(n uint32) uint32 { return f.free(n) }

// Produce enqueues as many of addrs as fit and publishes them with one
// store of the producer index. It returns how many were enqueued.
func (f *Fill) Produce(addrs []uint64) int {
	n := f.free(uint32(len(addrs)))
	if n > uint32(len(addrs)) {
		n = uint32(len(addrs))
	}
	if n == 0 {
		return 0
	}
	p := f.cachedProd
	// At most two copies: up to the end of the array, then from its start.
	k := copy(f.addrs[p&f.mask:], addrs[:n])
	copy(f.addrs, addrs[k:n])
	f.cachedProd = p + n
	f.publishProd()
	return int(n)
}
