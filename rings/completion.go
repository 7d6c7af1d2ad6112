package rings

// Completion is the completion ring: the kernel produces the chunk addresses
// of transmitted frames, user space consumes them.
type Completion struct {
	ring
	addrs []uint64
}

// NewCompletion maps a completion ring of size slots over mem.
func NewCompletion(mem []byte, off Offsets, size uint32) (*Completion, error) {
	r, err := newRing(mem, off, size, 8, false)
	if err != nil {
		return nil, err
	}
	return &Completion{ring: r, addrs: addrsAt(mem, off, size)}, nil
}

// Avail returns the number of entries ready to consume, up to n.
func (c *Completion) Avail(n uint32) uint32 { return c.avail(n) }

// Consume copies up to len(out) completed addresses into out, releases their
// slots with one store of the consumer index and returns how many it copied.
func (c *Completion) Consume(out []uint64) int {
	n := c.avail(uint32(len(out)))
	if n == 0 {
		return 0
	}
	q := c.cachedCons
	// At most two copies: up to the end of the array, then from its start.
	k := copy(out[:n], c.addrs[q&c.mask:])
	copy(out[k:n], c.addrs)
	c.cachedCons = q + n
	c.publishCons()
	return int(n)
}
