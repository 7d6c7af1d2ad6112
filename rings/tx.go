package rings

// TX is the transmit ring: user space produces descriptors of frames to
// send, the kernel consumes them (and later returns the chunks on the
// completion ring).
type TX struct {
	ring
	descs []Desc
}

// NewTX maps a TX ring of size slots over mem.
func NewTX(mem []byte, off Offsets, size uint32) (*TX, error) {
	r, err := newRing(mem, off, size, DescSize, true)
	if err != nil {
		return nil, err
	}
	return &TX{ring: r, descs: descsAt(mem, off, size)}, nil
}

// Free returns the number of slots currently free, refreshing the cached
// consumer index if fewer than n are known free.
func (t *TX) Free(n uint32) uint32 { return t.free(n) }

// Produce enqueues as many of descs as fit, publishes them with one store of
// the producer index and returns how many were enqueued.
func (t *TX) Produce(descs []Desc) int {
	n := t.free(uint32(len(descs)))
	if n > uint32(len(descs)) {
		n = uint32(len(descs))
	}
	if n == 0 {
		return 0
	}
	p := t.cachedProd
	// At most two copies: up to the end of the array, then from its start.
	k := copy(t.descs[p&t.mask:], descs[:n])
	copy(t.descs, descs[k:n])
	t.cachedProd = p + n
	t.publishProd()
	return int(n)
}
