package nat64

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"

	"github.com/xlatd/xlatd/nat64/natlog"
)

// TCPFlags are the TCP header's flag bits the state machine reads.
type TCPFlags uint8

// TCP flags, as in the header.
const (
	FIN TCPFlags = 0x01
	SYN TCPFlags = 0x02
	RST TCPFlags = 0x04
	ACK TCPFlags = 0x10
)

// Result tells the caller what to do with a packet.
type Result uint8

// Results. OK translates with the returned tuple; everything else drops
// the packet (with a counter named after the Result) unless said otherwise.
const (
	OK            Result = iota
	NoMapping            // inbound: no BIB entry or session admits it
	Filtered             // inbound: address-dependent filtering refused it
	HoldSYN              // inbound TCP SYN without mapping: the caller keeps the packet; a Notice ends it (RFC 6146 3.5.2.2)
	QuotaPorts           // outbound: the subscriber holds all its ports: drop, ICMPv6 error, counter (RFC 6888 REQ-4)
	QuotaSessions        // outbound: the subscriber is at max_sessions_per_subscriber: drop, ICMPv6 error, counter
	TableFull            // max_sessions reached: drop, ICMPv6 error, counter
	PoolExhausted        // no pool4 address has a free block for a new subscriber: drop, ICMPv6 error, counter
	NotSubscriber        // the source is outside nat64.subscribers: drop, ICMPv6 error, counter
	Unsupported          // a protocol without state
	HoldFrag             // a fragment before its first fragment: the caller keeps it; a Notice ends it
	FragUnmatched        // a fragment of no known packet and no room to wait: drop, counter
	numResults
)

var resultNames = [...]string{"ok", "no_mapping", "filtered", "hold_syn", "quota_ports", "quota_sessions",
	"table_full", "pool_exhausted", "not_subscriber", "unsupported", "hold_frag", "frag_unmatched"}

// String is the counter name of r.
func (r Result) String() string {
	if r < numResults {
		return resultNames[r]
	}
	return "result?"
}

// TCP states of RFC 6146 section 3.5.2.2.
const (
	stClosed uint8 = iota
	stV4Init
	stV6Init
	stEst
	stV4Fin
	stV6Fin
	stV4V6Fin
	stTrans
	stUDP
	stICMP
)

var stateNames = [...]string{"CLOSED", "V4_INIT", "V6_INIT", "ESTABLISHED", "V4_FIN_RCV", "V6_FIN_RCV", "V4_FIN_V6_FIN_RCV", "TRANS", "UDP", "ICMP"}

// bibEnt is a BIB entry: (Proto, X', x) <-> (T, t). 28 bytes, 2-byte
// aligned, no pointers. Its subscriber is not stored: it is the holder of
// the port block of (T, t) (subOf); its sessions are counted, not listed
// (the lists of address-dependent filtering live beside, bibHead).
type bibEnt struct {
	addr6  [16]byte
	addr4  [4]byte // free list link + 1 (little-endian) when free
	port6  uint16
	port4  uint16
	nsess  uint16 // sessions; manySess: the count is in Table.manySess
	proto  Proto  // 0 = free
	static bool
}

// manySess marks a BIB entry with more sessions than a uint16 holds.
const manySess = 0xffff

func (e *bibEnt) used() bool { return e.proto != 0 }

// sessEnt is a session: a BIB entry and the remote (Z, z), with its
// expiry (the sweep of Expire reads it). 16 bytes: four to a cache line,
// never straddling two. Sessions are not indexed: they live in the slots
// of their own open-addressing table (Table.sess, see findSess), so that
// a lookup reads the session's line without reading an index first.
type sessEnt struct {
	bib    uint32 // BIB index + 1; 0 = empty slot
	remote [4]byte
	rport  uint16
	state  uint8
	_      uint8
	expire uint32 // ms since the table's base
}

// subEnt is a subscriber with its blocks.
type subEnt struct {
	hi, lo  uint64 // prefix
	nsess   uint32
	nblocks uint32
	first   uint32 // first active block + 1 (list through actBlock.nextInSub); free list link when free
	addr    uint32 // pool4 address index + 1 of its blocks (paired pooling)
	ord     uint32 // deterministic ordinal
	quota   bool   // quota event logged since the last release
	used    bool
}

// actBlock is a port block in use: bitmaps of used ports per protocol live
// in Table.bitmap at index*3*wpb.
type actBlock struct {
	global    uint32
	sub       uint32 // subscriber index
	nextInSub uint32 // + 1
	used      [3]uint16
	_         uint16
}

// Table is one worker's NAT64 state. Not safe for concurrent use.
type Table struct {
	p      *Plan
	worker int
	base   int64 // ns; ms(now) = (now-base)/1e6
	sink   natlog.Sink

	bib            []bibEnt
	bibFree        uint32            // + 1; free list through bibEnt.addr4
	manySess       map[uint32]uint32 // session counts of BIB entries (index + 1) with manySess
	bibHigh        uint32            // entries ever used
	bibCap         uint32
	bibN           int
	bib6, bib4     otab
	sess           []sessEnt // open addressing: sessBuckets lines of sessBucket slots
	sessBuckets    uint64
	sessCap        int // max_sessions
	sessN          int
	sweep          sweep
	bibHead        []uint32 // address-dependent filtering only: first session + 1 of each BIB entry
	sessNext       []uint32 // and the next session + 1 of the same BIB entry
	subs           []subEnt
	subFree        uint32 // through subEnt.first
	subHigh        uint32
	subCap         uint32
	subN           int
	subTab         otab
	blocks         []actBlock
	blockFree      uint32 // through actBlock.nextInSub
	blockHigh      uint32
	blockCap       uint32
	blockN         int
	bitmap         []uint64
	blockState     []uint32 // per owned block: active index + 1, 0 = free
	blockReuse     []uint32 // per owned block: second (since base) when it may be handed out again
	addrFreeBlocks []uint32 // per address: owned blocks not active
	rng            uint64
	touched        uint32   // keeps the batch prefetch loads alive
	mapped         [][]byte // tables mapped outside the Go heap (bigSlice)
	prefaulted     bool     // Prefault ran: tables mapped later are faulted in too

	held    heldSYNs
	frags   fragTable
	notices []Notice

	// C are the counters; the caller publishes them.
	C Counters
}

// Counters are plain integers, one per Result and event.
type Counters struct {
	Results         [numResults]uint64 // of Outbound and Inbound
	SessionsCreated uint64
	SessionsExpired uint64
	BIBCreated      uint64
	BIBDeleted      uint64
	BlocksAllocated uint64
	BlocksReleased  uint64
	HeldSYNExpired  uint64 // ICMP port unreachable due
	HeldSYNDropped  uint64 // held table full
	FragsHeld       uint64
	FragsExpired    uint64
	FragsUnmatched  uint64 // FragNext without room to wait
	NoticesDropped  uint64
	ExpireWork      uint64 // sessions (64 empty slots count one), held SYNs and fragments visited by Expire
}

// NewTable builds worker's table of the plan. Every now of the API is Unix
// time in nanoseconds (time.Now().UnixNano(), read once per vector); it
// stamps the mapping events. sink receives them (nil: none).
func NewTable(p *Plan, worker int, now int64, sink natlog.Sink) *Table {
	if sink == nil {
		sink = natlog.Discard{}
	}
	t := &Table{p: p, worker: worker, base: now, sink: sink, manySess: map[uint32]uint32{}}
	n := p.maxSess
	nb := p.maxBIB + len(p.static) + 1
	t.bib = bigSlice[bibEnt](nb, &t.mapped)
	t.bib6 = newOtab(nb, &t.mapped)
	t.bib4 = newOtab(nb, &t.mapped)
	t.sessBuckets = sessBucketsFor(n)
	t.sess = bigSlice[sessEnt](int(t.sessBuckets)*sessBucket, &t.mapped)
	// Free lists start empty: entries never used are taken in index order
	// (high-water marks), so the pages of a mapped table stay untouched
	// until needed (the session slots are spread by their hashes).
	t.bibCap, t.sessCap = uint32(nb), n
	owned := t.ownedBlocks()
	nact := owned
	if nact > n {
		nact = n
	}
	nsub := nact
	t.subs = bigSlice[subEnt](nsub, &t.mapped)
	t.subTab = newOtab(nsub, &t.mapped)
	t.blocks = bigSlice[actBlock](nact, &t.mapped)
	t.bitmap = bigSlice[uint64](nact*3*p.wpb, &t.mapped)
	t.subCap, t.blockCap = uint32(nsub), uint32(nact)
	t.blockState = bigSlice[uint32](owned, &t.mapped)
	t.blockReuse = bigSlice[uint32](owned, &t.mapped)
	t.addrFreeBlocks = make([]uint32, p.addrs)
	for g := 0; g < p.addrs*p.bpa; g++ {
		if p.blockOwner(g) == worker {
			t.addrFreeBlocks[g/p.bpa]++
		}
	}
	t.rng = p.seed ^ uint64(worker+1)*0x9e3779b97f4a7c15
	t.notices = make([]Notice, 0, 4*(p.maxHeldSYN+p.maxFrags)) // the bound of notice()
	t.held.init(p.maxHeldSYN)
	t.frags.init(p.maxFrags)
	t.sweep.start = t.ms(now)
	if p.adf {
		t.buildLists()
	}
	for _, st := range p.static {
		if p.Owner6(st.Addr6) == worker {
			t.addStatic(st)
		}
	}
	return t
}

// MappedBytes is the memory of the tables mapped outside the Go heap
// (runtime.MemStats does not count it).
func (t *Table) MappedBytes() int {
	n := 0
	for _, b := range t.mapped {
		n += len(b)
	}
	return n
}

// Close returns the tables mapped outside the Go heap; t must not be used
// afterwards.
func (t *Table) Close() {
	for _, b := range t.mapped {
		unmap(b)
	}
	t.mapped = nil
	t.bib, t.sess, t.bibHead, t.sessNext = nil, nil, nil, nil
	t.bib6, t.bib4, t.subTab = otab{}, otab{}, otab{}
}

// ms is the time in milliseconds since the table's start, wrapping every
// 49 days: expiries are compared as int32 differences, safe for lifetimes
// up to 24 days.
func (t *Table) ms(now int64) uint32 { return uint32((now - t.base) / 1e6) }

// sec is the time in seconds since the table's start (136 years).
func (t *Table) sec(now int64) uint32 { return uint32((now - t.base) / 1e9) }

func (t *Table) rand() uint64 {
	t.rng ^= t.rng << 13
	t.rng ^= t.rng >> 7
	t.rng ^= t.rng << 17
	return t.rng
}

// ownedBlocks is the number of blocks of pool4 this worker owns, and the
// size of its block state arrays (indexed by localBlock).
func (t *Table) ownedBlocks() int {
	n := 0
	for g := 0; g < t.p.addrs*t.p.bpa; g++ {
		if t.p.blockOwner(g) == t.worker {
			n++
		}
	}
	return n
}

// localBlock maps an owned global block to its index in blockState.
func (t *Table) localBlock(g int) int {
	p := t.p
	if !p.det {
		return g / p.workers
	}
	ai, bi := g/p.bpa, g%p.bpa
	r := ai*p.rpa + bi/p.maxBlocks
	return (r/p.workers)*p.maxBlocks + bi%p.maxBlocks
}

// --- open addressing index -------------------------------------------------

// otab is an open-addressing (linear probing) index of uint32 entry
// numbers + 1; 0 is empty. It has otabSlots slots per entry it is sized
// for (not rounded to a power of two: the home slot of a hash is its low
// 32 bits times the slot count, shifted down), and never grows.
//
// The bits of a slot above the entry number (vmask) hold a tag: high bits
// of the entry's hash. A probe whose tag differs is skipped without
// reading the entry it names, so a lookup touches one entry (the one it
// finds) instead of one per probe: at a million sessions every entry read
// is a cache miss, while the slots of a probe sequence share a line or
// two. With n entries the tag has 32 - bits.Len(n) bits (11 at 1M, 8 at
// 10M per table); a table of 2^32-1 entries has none.
type otab struct {
	s     []uint32
	n     uint64 // slots
	vmask uint32 // entry number + 1 bits of a slot
	shift uint8  // bits.Len32(vmask): where the tag starts
}

// otabSlots is the slots per entry of an index, as a fraction
// otabSlotsNum/otabSlotsDen: 4/3, at most 75% full.
const otabSlotsNum, otabSlotsDen = 4, 3

func newOtab(n int, mapped *[][]byte) otab {
	c := max(16, int(uint64(n)*otabSlotsNum/otabSlotsDen)+1)
	sh := uint8(bits.Len64(uint64(n)))
	vm := ^uint32(0)
	if sh < 32 {
		vm = 1<<sh - 1
	}
	return otab{s: bigSlice[uint32](c, mapped), n: uint64(c), vmask: vm, shift: sh}
}

// home is the first slot of hash h in an index of n slots.
func home(h, n uint64) uint64 { return uint64(uint32(h)) * n >> 32 }

// next is the slot after i in an index of n slots.
func next(i, n uint64) uint64 {
	if i++; i == n {
		return 0
	}
	return i
}

// tag is the tag bits of a slot for hash h (0 when no bits are left).
func (o *otab) tag(h uint64) uint32 {
	if o.shift >= 32 {
		return 0
	}
	return uint32(h>>40) << o.shift
}

func (o *otab) insert(h uint64, v uint32) {
	i := home(h, o.n)
	for o.s[i] != 0 {
		i = next(i, o.n)
	}
	o.s[i] = v + 1 | o.tag(h)
}

// remove deletes entry v (hash h) with backward shifting; hashOf gives the
// hash of another entry.
func (o *otab) remove(h uint64, v uint32, hashOf func(uint32) uint64) {
	i := home(h, o.n)
	for o.s[i]&o.vmask != v+1 {
		if o.s[i] == 0 {
			return
		}
		i = next(i, o.n)
	}
	for {
		o.s[i] = 0
		j := i
		for {
			j = next(j, o.n)
			if o.s[j] == 0 {
				return
			}
			if shiftsBack(i, j, home(hashOf(o.s[j]&o.vmask-1), o.n)) {
				o.s[i] = o.s[j]
				i = j
				break
			}
		}
	}
}

// shiftsBack is backward-shift deletion's test in a linear-probing table:
// the entry at slot j, whose home slot is k, moves to the hole at slot i
// when k is not cyclically in (i, j] (it would no longer be found past
// the hole otherwise). otab.remove and removeSess share it.
func shiftsBack(i, j, k uint64) bool {
	return (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j)
}

// --- hashes ------------------------------------------------------------------

func (t *Table) hash6(p Proto, a [16]byte, port uint16) uint64 {
	hi := binary.LittleEndian.Uint64(a[:8])
	lo := binary.LittleEndian.Uint64(a[8:])
	return mix(hi^t.p.seed, lo^(uint64(port)<<8|uint64(p))*0xff51afd7ed558ccd)
}

func (t *Table) hash4(p Proto, a [4]byte, port uint16) uint64 {
	return mix(uint64(binary.LittleEndian.Uint32(a[:]))<<24|uint64(port)<<8|uint64(p), t.p.seed)
}

func (t *Table) hashSess(b uint32, a [4]byte, port uint16) uint64 {
	return mix(uint64(b)<<32|uint64(binary.LittleEndian.Uint32(a[:])), uint64(port)^t.p.seed)
}

func (t *Table) hashSub(hi, lo uint64) uint64 { return mix(hi^t.p.seed, lo) }

// --- lookups -----------------------------------------------------------------

// findBIB6 returns the BIB index + 1 of (p, a, port) on the IPv6 side.
func (t *Table) findBIB6(h uint64, p Proto, a [16]byte, port uint16) uint32 {
	o := &t.bib6
	s, n, vm, tg := o.s, o.n, o.vmask, o.tag(h)
	for i := home(h, n); ; i = next(i, n) {
		v := s[i]
		if v == 0 {
			return 0
		}
		if v&^vm != tg {
			continue
		}
		v &= vm
		e := &t.bib[v-1]
		if e.addr6 == a && e.port6 == port && e.proto == p {
			return v
		}
	}
}

// isBIB6 reports whether BIB entry v (+1) is (p, a, port) on the IPv6
// side: a candidate of the batch calls' touch pass is checked so.
func (t *Table) isBIB6(v uint32, p Proto, a [16]byte, port uint16) bool {
	e := &t.bib[v-1]
	return e.addr6 == a && e.port6 == port && e.proto == p
}

func (t *Table) isBIB4(v uint32, p Proto, a [4]byte, port uint16) bool {
	e := &t.bib[v-1]
	return e.addr4 == a && e.port4 == port && e.proto == p
}

func (t *Table) findBIB4(h uint64, p Proto, a [4]byte, port uint16) uint32 {
	o := &t.bib4
	s, n, vm, tg := o.s, o.n, o.vmask, o.tag(h)
	for i := home(h, n); ; i = next(i, n) {
		v := s[i]
		if v == 0 {
			return 0
		}
		if v&^vm != tg {
			continue
		}
		v &= vm
		e := &t.bib[v-1]
		if e.addr4 == a && e.port4 == port && e.proto == p {
			return v
		}
	}
}

// findSess returns the slot + 1 of session (b, a, port), hash h
// (hashSess), 0 when there is none.
func (t *Table) findSess(h uint64, b uint32, a [4]byte, port uint16) uint32 {
	s, n := t.sess, uint64(len(t.sess))
	for i := sessHome(h, t.sessBuckets); ; i = next(i, n) {
		e := &s[i]
		if e.bib == 0 {
			return 0
		}
		if e.bib == b && e.remote == a && e.rport == port {
			return uint32(i) + 1
		}
	}
}

// The session table: linear probing over the slots of Table.sess, a
// session's probe sequence starting at the first slot of its home bucket
// (sessBucket slots, one 64-byte line: the mapped tables are page-aligned),
// so that the one line a batch's load pass reads for a flow holds its
// session most of the time. With a session in its slot, a lookup reads
// one line where an index slot and the entry it names would be two, in
// one round of misses instead of two; the price is that sessions move
// (backward-shift deletion), so nothing outside the table keeps a slot
// number across a deletion but address-dependent filtering's lists,
// which moveSess mends. sessSlotsNum/sessSlotsDen slots per session, as
// the indexes (at most 75% full).
const sessBucket, sessSlotsNum, sessSlotsDen = 4, 4, 3

func sessBucketsFor(n int) uint64 {
	return uint64(max(4, (n*sessSlotsNum/sessSlotsDen+sessBucket)/sessBucket))
}

// sessHome is the first slot of session hash h in a table of nb buckets.
func sessHome(h, nb uint64) uint64 { return home(h, nb) * sessBucket }

// insertSess puts session e in the first empty slot of its probe
// sequence and returns the slot.
func (t *Table) insertSess(h uint64, e sessEnt) uint32 {
	s, n := t.sess, uint64(len(t.sess))
	i := sessHome(h, t.sessBuckets)
	for s[i].bib != 0 {
		i = next(i, n)
	}
	s[i] = e
	return uint32(i)
}

// removeSess empties slot i with backward shifting (shiftsBack): sessions
// after it in its cluster move back, each to the hole the last left
// (moveSess).
func (t *Table) removeSess(i uint64) {
	s, n, nb := t.sess, uint64(len(t.sess)), t.sessBuckets
	s[i] = sessEnt{}
	for j := i; ; {
		j = next(j, n)
		x := &s[j]
		if x.bib == 0 {
			return
		}
		if shiftsBack(i, j, sessHome(t.hashSess(x.bib, x.remote, x.rport), nb)) {
			t.moveSess(j, i)
			i = j
		}
	}
}

// moveSess moves the session of slot j to the empty slot i, mending what
// refers to its slot: address-dependent filtering's list of its BIB
// entry, and the sweep (a session that moves behind a running pass
// lowers the earliest expiry, as one outside a pass must).
func (t *Table) moveSess(j, i uint64) {
	s := &t.sess[j]
	t.sess[i] = *s
	*s = sessEnt{}
	e := &t.sess[i]
	if t.bibHead != nil {
		pp := &t.bibHead[e.bib-1]
		for *pp != uint32(j)+1 {
			pp = &t.sessNext[*pp-1]
		}
		*pp = uint32(i) + 1
		t.sessNext[i], t.sessNext[j] = t.sessNext[j], 0
	}
	t.noteDue(e.expire)
}

func (t *Table) findSub(hi, lo uint64) uint32 {
	h := t.hashSub(hi, lo)
	o := &t.subTab
	s, n, vm, tg := o.s, o.n, o.vmask, o.tag(h)
	for i := home(h, n); ; i = next(i, n) {
		v := s[i]
		if v == 0 {
			return 0
		}
		if v&^vm != tg {
			continue
		}
		v &= vm
		if e := &t.subs[v-1]; e.hi == hi && e.lo == lo {
			return v
		}
	}
}

// --- subscribers of BIB entries, lists ---------------------------------------

// subOf is the subscriber index + 1 of BIB entry e, 0 for a static one: the
// holder of the active block of its pool4 port (a dynamic entry holds its
// port, so the block stays active while the entry lives).
func (t *Table) subOf(e *bibEnt) uint32 {
	if e.static {
		return 0
	}
	p := t.p
	ai, _ := p.addrIndex(e.addr4)
	g := ai*p.bpa + int(e.port4-p.portLo)/p.bs
	return t.blocks[t.blockState[t.localBlock(g)]-1].sub + 1
}

// bibSessions is the number of sessions of BIB entry b (index + 1).
func (t *Table) bibSessions(b uint32) uint32 {
	if n := t.bib[b-1].nsess; n != manySess {
		return uint32(n)
	}
	return t.manySess[b]
}

// addBIBSessions adds d (1 or -1) to the sessions of BIB entry b and
// returns the new count. Past 65534 the count moves to Table.manySess (a
// Go map: a server behind a static entry, a busy peer-to-peer port;
// adding the first such entry allocates) and back below.
func (t *Table) addBIBSessions(b uint32, d int32) uint32 {
	e := &t.bib[b-1]
	if e.nsess != manySess {
		n := uint32(int32(e.nsess) + d)
		if n < manySess {
			e.nsess = uint16(n)
		} else {
			e.nsess = manySess
			t.manySess[b] = n
		}
		return n
	}
	n := uint32(int32(t.manySess[b]) + d)
	if n < manySess {
		delete(t.manySess, b)
		e.nsess = uint16(n)
	} else {
		t.manySess[b] = n
	}
	return n
}

// buildLists sets up the per-BIB session lists that address-dependent
// filtering reads (hasRemote), from the sessions there are: at start or
// when a reload turns such filtering on. They stay afterwards (a later
// reload may turn it on again). 8 bytes per session; endpoint-independent
// filtering (the default) does without.
func (t *Table) buildLists() {
	if t.bibHead != nil {
		return
	}
	m := len(t.mapped)
	t.bibHead = bigSlice[uint32](len(t.bib), &t.mapped)
	t.sessNext = bigSlice[uint32](len(t.sess), &t.mapped)
	if t.prefaulted { // a reload: as Prefault did for the others (best effort)
		for _, b := range t.mapped[m:] {
			_ = populate(b)
		}
	}
	for i := range t.sess {
		if b := t.sess[i].bib; b != 0 {
			t.sessNext[i] = t.bibHead[b-1]
			t.bibHead[b-1] = uint32(i) + 1
		}
	}
}

// timeout is the lifetime of a session in state st.
func (t *Table) timeout(st uint8) uint32 {
	switch st {
	case stUDP:
		return t.p.tUDP
	case stICMP:
		return t.p.tICMP
	case stEst, stV4Fin, stV6Fin:
		return t.p.tEst
	}
	return t.p.tTrans
}

// --- notices -------------------------------------------------------------------

// NoticeKind says how something the caller holds ends.
type NoticeKind uint8

// Notice kinds.
const (
	SYNUnreachable NoticeKind = iota + 1 // a held SYN timed out: send ICMPv4 port unreachable (type 3 code 3) to its source, drop it
	SYNDiscard                           // a held SYN met its outbound SYN (simultaneous open): drop it silently
	FragExpired                          // held fragments of Frag timed out: drop them (counter)
)

// Notice ends a held SYN (Tuple4) or held fragments (Frag).
type Notice struct {
	Kind   NoticeKind
	Tuple4 Tuple4
	Frag   FragKey
}

// Tuple4 is an IPv4-side 5-tuple.
type Tuple4 struct {
	Proto            Proto
	Src, Dst         [4]byte
	SrcPort, DstPort uint16
}

func (t *Table) notice(n Notice) {
	if len(t.notices) >= 4*(t.p.maxHeldSYN+t.p.maxFrags) {
		t.C.NoticesDropped++
		return
	}
	t.notices = append(t.notices, n)
}

// Notices appends the pending notices to dst and forgets them. Call it
// after Expire and after a vector of Outbound calls.
func (t *Table) Notices(dst []Notice) []Notice {
	dst = append(dst, t.notices...)
	t.notices = t.notices[:0]
	return dst
}

// --- logging -------------------------------------------------------------------

func (t *Table) subPrefix(s *subEnt) netip.Prefix {
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], s.hi)
	binary.BigEndian.PutUint64(a[8:], s.lo)
	return netip.PrefixFrom(netip.AddrFrom16(a), t.p.spl)
}

func (t *Table) logBlock(now int64, k natlog.Kind, s *subEnt, g int) {
	if t.p.det {
		return // RFC 7422: the configuration is the log
	}
	ev := natlog.Event{Time: time.Unix(0, now), Kind: k}
	if s != nil {
		ev.Subscriber = t.subPrefix(s)
	}
	if g >= 0 {
		ev.Pool4 = netip.AddrFrom4(t.p.addrAt(g / t.p.bpa))
		lo := int(t.p.portLo) + (g%t.p.bpa)*t.p.bs
		ev.PortLo, ev.PortHi = uint16(lo), uint16(lo+t.p.bs-1)
	}
	t.sink.Write(ev)
}

// Free lists: freed entries first, then the never-used ones in order. Each
// returns an index + 1, or 0 when the table is full.

func (t *Table) popBIB() uint32 {
	if v := t.bibFree; v != 0 {
		t.bibFree = binary.LittleEndian.Uint32(t.bib[v-1].addr4[:])
		return v
	}
	if t.bibHigh < t.bibCap {
		t.bibHigh++
		return t.bibHigh
	}
	return 0
}

func (t *Table) popSub() uint32 {
	if v := t.subFree; v != 0 {
		t.subFree = t.subs[v-1].first
		return v
	}
	if t.subHigh < t.subCap {
		t.subHigh++
		return t.subHigh
	}
	return 0
}

func (t *Table) popBlock() uint32 {
	if v := t.blockFree; v != 0 {
		t.blockFree = t.blocks[v-1].nextInSub
		return v
	}
	if t.blockHigh < t.blockCap {
		t.blockHigh++
		return t.blockHigh
	}
	return 0
}

func (t *Table) sessFull() bool  { return t.sessN >= t.sessCap }
func (t *Table) bibFull() bool   { return t.bibFree == 0 && t.bibHigh == t.bibCap }
func (t *Table) blockFull() bool { return t.blockFree == 0 && t.blockHigh == t.blockCap }

// Prefault faults in every table mapped outside the Go heap, so that new
// sessions never pay a first-touch page fault (with huge pages, zeroing
// 2 MiB) on the packet path; the memory is then committed at once instead
// of as the tables fill. Call it before the table sees traffic. It returns
// the bytes faulted in.
func (t *Table) Prefault() (int, error) {
	t.prefaulted = true
	n := 0
	for _, b := range t.mapped {
		if err := populate(b); err != nil {
			return n, err
		}
		n += len(b)
	}
	return n, nil
}
