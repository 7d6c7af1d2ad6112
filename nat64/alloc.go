package nat64

import (
	"math/bits"

	"github.com/xlatd/xlatd/nat64/natlog"
)

// subscriber finds or creates the subscriber of src6. Returns its index + 1
// or a refusal.
func (t *Table) subscriber(now int64, src6 [16]byte) (uint32, Result) {
	p := t.p
	hi, lo := p.subscriberKey(src6)
	if v := t.findSub(hi, lo); v != 0 {
		return v, OK
	}
	ord, ok := p.ordinal(src6)
	if !ok {
		return 0, NotSubscriber
	}
	v := t.popSub()
	if v == 0 {
		return 0, TableFull
	}
	s := &t.subs[v-1]
	*s = subEnt{hi: hi, lo: lo, ord: uint32(ord), used: true}
	t.subTab.insert(t.hashSub(hi, lo), v-1)
	t.subN++
	return v, OK
}

func (t *Table) freeSub(v uint32) {
	s := &t.subs[v-1]
	t.subTab.remove(t.hashSub(s.hi, s.lo), v-1, func(i uint32) uint64 { return t.hashSub(t.subs[i].hi, t.subs[i].lo) })
	*s = subEnt{first: t.subFree}
	t.subFree = v
	t.subN--
}

// allocPort takes a free port (ICMP: identifier) of protocol p for
// subscriber v: from its blocks, densest use first (RFC 6888 REQ-13),
// at a random place inside the block (REQ-15), else from a new block on
// the same address (REQ-2) within max_blocks_per_subscriber (REQ-4).
func (t *Table) allocPort(now int64, v uint32, p Proto) (addr4 [4]byte, port uint16, r Result) {
	s := &t.subs[v-1]
	pi := pidx(p)
	for b := s.first; b != 0; b = t.blocks[b-1].nextInSub {
		if int(t.blocks[b-1].used[pi]) < t.p.bs {
			return t.portIn(b-1, pi)
		}
	}
	b, r := t.newBlock(now, v)
	if r != OK {
		return addr4, 0, r
	}
	return t.portIn(b, pi)
}

// portIn takes a free port of protocol index pi in active block b.
func (t *Table) portIn(b uint32, pi int) ([4]byte, uint16, Result) {
	p := t.p
	blk := &t.blocks[b]
	bm := t.bitmap[(int(b)*3+pi)*p.wpb : (int(b)*3+pi+1)*p.wpb]
	start := int(t.rand() % uint64(p.bs))
	off := freeBit(bm, start, p.bs)
	if off < 0 {
		off = freeBit(bm, 0, start)
	}
	if off < 0 {
		return [4]byte{}, 0, QuotaPorts // cannot happen: used[pi] < bs
	}
	bm[off>>6] |= 1 << (off & 63)
	blk.used[pi]++
	g := int(blk.global)
	return p.addrAt(g / p.bpa), uint16(int(p.portLo) + (g%p.bpa)*p.bs + off), OK
}

// newBlock gives subscriber v one more block, logged.
func (t *Table) newBlock(now int64, v uint32) (uint32, Result) {
	p := t.p
	s := &t.subs[v-1]
	if p.det {
		return t.newDetBlock(now, v)
	}
	if int(s.nblocks) >= p.maxBlocks {
		t.quotaEvent(now, s)
		return 0, QuotaPorts
	}
	if t.blockFull() {
		t.logBlock(now, natlog.AddressExhausted, s, -1)
		return 0, PoolExhausted // every block this worker may hold is active
	}
	nowsec := t.sec(now)
	ai := int(s.addr) - 1
	if ai < 0 {
		// A new subscriber: a random address with a free block.
		start := int(t.rand() % uint64(p.addrs))
		for k := 0; k < p.addrs; k++ {
			a := (start + k) % p.addrs
			if t.addrFreeBlocks[a] > 0 {
				if g := t.freeBlockOn(a, nowsec); g >= 0 {
					return t.activate(now, v, a, g), OK
				}
			}
		}
		t.logBlock(now, natlog.AddressExhausted, s, -1)
		return 0, PoolExhausted
	}
	if g := t.freeBlockOn(ai, nowsec); g >= 0 {
		return t.activate(now, v, ai, g), OK
	}
	// Paired pooling: never another address while the subscriber holds
	// blocks (RFC 6888 REQ-2).
	t.quotaEvent(now, s)
	return 0, QuotaPorts
}

func (t *Table) quotaEvent(now int64, s *subEnt) {
	if !s.quota {
		s.quota = true
		t.logBlock(now, natlog.QuotaExceeded, s, -1)
	}
}

// freeBlockOn finds an owned, free block on address a whose reuse delay
// has passed, starting at a random block (REQ-15); -1 if none.
func (t *Table) freeBlockOn(a int, nowsec uint32) int {
	p := t.p
	start := int(t.rand() % uint64(p.bpa))
	for k := 0; k < p.bpa; k++ {
		g := a*p.bpa + (start+k)%p.bpa
		if p.blockOwner(g) != t.worker {
			continue
		}
		l := t.localBlock(g)
		if t.blockState[l] == 0 && nowsec >= t.blockReuse[l] {
			return g
		}
	}
	return -1
}

// activate makes global block g on address a subscriber v's.
func (t *Table) activate(now int64, v uint32, a, g int) uint32 {
	s := &t.subs[v-1]
	b := t.popBlock() // callers checked blockFull
	blk := &t.blocks[b-1]
	*blk = actBlock{global: uint32(g), sub: v - 1, nextInSub: s.first}
	s.first = b
	s.nblocks++
	s.addr = uint32(a + 1)
	t.blockState[t.localBlock(g)] = b
	t.addrFreeBlocks[a]--
	t.blockN++
	t.C.BlocksAllocated++
	t.logBlock(now, natlog.BlockAlloc, s, g)
	return b - 1
}

// newDetBlock activates the next block of the subscriber's deterministic
// range (RFC 7422): no choice, no log, never beyond the range.
func (t *Table) newDetBlock(now int64, v uint32) (uint32, Result) {
	p := t.p
	s := &t.subs[v-1]
	if int(s.nblocks) >= p.maxBlocks {
		return 0, QuotaPorts
	}
	ai, ri := int(s.ord)/p.rpa, int(s.ord)%p.rpa
	for j := 0; j < p.maxBlocks; j++ {
		g := ai*p.bpa + ri*p.maxBlocks + j
		if t.blockState[t.localBlock(g)] == 0 {
			if t.blockFull() {
				return 0, TableFull
			}
			return t.activate(now, v, ai, g), OK
		}
	}
	return 0, QuotaPorts
}

// freePort returns a port to its block and the block to the pool when it
// is empty (logged; not handed out again for port_reuse_delay, REQ-8).
func (t *Table) freePort(now int64, p Proto, addr4 [4]byte, port uint16) {
	pl := t.p
	ai, ok := pl.addrIndex(addr4)
	if !ok || port < pl.portLo || port > pl.portHi {
		return
	}
	off := int(port - pl.portLo)
	bi := off / pl.bs
	if bi >= pl.usedBlocks() {
		return
	}
	g := ai*pl.bpa + bi
	l := t.localBlock(g)
	b := t.blockState[l]
	if b == 0 {
		return
	}
	pi := pidx(p)
	off -= bi * pl.bs
	w := &t.bitmap[(int(b-1)*3+pi)*pl.wpb+off>>6]
	if *w&(1<<(off&63)) == 0 {
		return
	}
	*w &^= 1 << (off & 63)
	blk := &t.blocks[b-1]
	blk.used[pi]--
	if blk.used[0]|blk.used[1]|blk.used[2] != 0 {
		return
	}
	// Release the block.
	sv := blk.sub + 1
	s := &t.subs[sv-1]
	for pp := &s.first; *pp != 0; pp = &t.blocks[*pp-1].nextInSub {
		if *pp == b {
			*pp = blk.nextInSub
			break
		}
	}
	s.nblocks--
	s.quota = false
	t.blockState[l] = 0
	t.blockReuse[l] = t.sec(now) + pl.reuseDelay
	t.addrFreeBlocks[ai]++
	t.blockN--
	t.C.BlocksReleased++
	t.logBlock(now, natlog.BlockRelease, s, g)
	*blk = actBlock{nextInSub: t.blockFree}
	t.blockFree = b
	if s.nblocks == 0 && s.nsess == 0 {
		t.freeSub(sv)
	}
}

// freeBit is the first zero bit of bm in [from, to), or -1.
func freeBit(bm []uint64, from, to int) int {
	for i := from; i < to; i = (i | 63) + 1 {
		if w := ^bm[i>>6] & (^uint64(0) << (i & 63)); w != 0 {
			if j := i&^63 + bits.TrailingZeros64(w); j < to {
				return j
			}
			return -1
		}
	}
	return -1
}
