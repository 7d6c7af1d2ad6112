package afxdp

// FrameStack is a LIFO of free chunk addresses with O(1) Push and Pop and
// no locking: each worker owns its own. LIFO order hands back the most
// recently freed (cache-warm) chunk first.
type FrameStack struct {
	addrs []uint64
	n     int
}

// NewFrameStack returns an empty stack with room for n addresses.
func NewFrameStack(n int) *FrameStack {
	return &FrameStack{addrs: make([]uint64, n)}
}

// Push adds addr. Pushing onto a full stack drops the address and reports
// false (a frame accounted twice is a caller bug; the stack never grows).
func (s *FrameStack) Push(addr uint64) bool {
	if s.n == len(s.addrs) {
		return false
	}
	s.addrs[s.n] = addr
	s.n++
	return true
}

// Pop removes and returns the most recently pushed address.
func (s *FrameStack) Pop() (uint64, bool) {
	if s.n == 0 {
		return 0, false
	}
	s.n--
	return s.addrs[s.n], true
}

// PopN moves up to len(out) addresses into out and returns how many.
func (s *FrameStack) PopN(out []uint64) int {
	k := len(out)
	if k > s.n {
		k = s.n
	}
	copy(out, s.addrs[s.n-k:s.n])
	s.n -= k
	return k
}

// PushN pushes as many of addrs as fit and returns how many.
func (s *FrameStack) PushN(addrs []uint64) int {
	k := copy(s.addrs[s.n:], addrs)
	s.n += k
	return k
}

// Len is the number of addresses on the stack.
func (s *FrameStack) Len() int { return s.n }

// Cap is the capacity given to NewFrameStack.
func (s *FrameStack) Cap() int { return len(s.addrs) }
