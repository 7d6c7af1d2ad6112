package rings

// RX is the receive ring: the kernel produces descriptors of received
// frames, user space consumes them.
type RX struct {
	ring
	descs []Desc
}

// NewRX maps an RX ring of size slots over mem.
func NewRX(mem []byte, off Offsets, size uint32) (*RX, error) {
	r, err := newRing(mem, off, size, DescSize, false)
	if err != nil {
		return nil, err
	}
	return &RX{ring: r, descs: descsAt(mem, off, size)}, nil
}

// Avail returns the number of descriptors ready to consume, up to n.
func (r *RX) Avail(n uint32) uint32 { return r.avail(n) }

// Consume copies up to len(out) received descriptors into out, releases
// their slots with one store of the consumer index and returns how many.
func (r *RX) Consume(out []Desc) int {
	n := r.avail(uint32(len(out)))
	if n == 0 {
		return 0
	}
	q := r.cachedCons
	// At most two copies: up to the end of the array, then from its start.
	k := copy(out[:n], r.descs[q&r.mask:])
	copy(out[k:n], r.descs)
	r.cachedCons = q + n
	r.publishCons()
	return int(n)
}
