package nat64

// FragKey identifies the fragments of one packet: (source, destination,
// protocol, identification) as received (IPv4 addresses in the first 4
// bytes of Src and Dst with V4 set; the IPv4 ID or the IPv6 Fragment
// header's identification). Non-first fragments carry no ports, so they
// are matched to their packet's flow through it.
type FragKey struct {
	Src, Dst [16]byte
	ID       uint32
	Proto    Proto
	V4       bool
}

// maxHeldPerPacket bounds the fragments of one packet held before its
// first fragment arrives.
const maxHeldPerPacket = 16

type fragEnt struct {
	key    FragKey
	addr   [16]byte // what the caller recorded with FragFirst
	expire uint32
	gen    uint32
	first  bool
	held   uint8
}

// fragTable matches fragments, bounded by max packets, each remembered for
// the fragment timeout from its first sighting (RFC 6146 section 4).
type fragTable struct {
	ring    []fragEnt
	head, n int
	byKey   map[FragKey]int // -> ring index
	gen     uint32
	max     int
}

func (f *fragTable) init(max int) {
	f.ring = make([]fragEnt, max)
	f.byKey = make(map[FragKey]int, max)
	f.max = max
}

func (f *fragTable) add(t *Table, nowms uint32, k FragKey) (*fragEnt, bool) {
	if f.n == f.max {
		return nil, false
	}
	i := (f.head + f.n) % f.max
	f.n++
	f.gen++
	f.ring[i] = fragEnt{key: k, expire: nowms + t.p.tFrag, gen: f.gen}
	f.byKey[k] = i
	return &f.ring[i], true
}

// FragFirst records, for the first fragment of packet k whose flow the
// caller translated (Outbound or Inbound returned OK), the translated
// address the other fragments need (6 to 4: the pool4 source in the first
// 4 bytes; 4 to 6: the IPv6 destination). It returns how many fragments
// the caller holds for k (HoldFrag): translate them now with FragNext.
// false when there is no room: the caller drops the other fragments when
// they come (FragUnmatched).
func (t *Table) FragFirst(now int64, k FragKey, addr [16]byte) (held int, ok bool) {
	nowms := t.ms(now)
	f := &t.frags
	var e *fragEnt
	if i, found := f.byKey[k]; found {
		e = &f.ring[i]
	} else if e, ok = f.add(t, nowms, k); !ok {
		return 0, false
	}
	e.first, e.addr = true, addr
	held = int(e.held)
	e.held = 0
	return held, true
}

// FragNext matches a non-first fragment of packet k: OK with the address
// recorded by FragFirst; HoldFrag when the first fragment has not come
// yet (the caller keeps it; a FragExpired Notice or a later FragFirst ends
// it); FragUnmatched when there is no room to wait (drop, counter).
func (t *Table) FragNext(now int64, k FragKey) (addr [16]byte, r Result) {
	nowms := t.ms(now)
	f := &t.frags
	if i, found := f.byKey[k]; found {
		e := &f.ring[i]
		if e.first {
			return e.addr, OK
		}
		if e.held >= maxHeldPerPacket {
			t.C.FragsUnmatched++
			return addr, FragUnmatched
		}
		e.held++
		t.C.FragsHeld++
		return addr, HoldFrag
	}
	e, ok := f.add(t, nowms, k)
	if !ok {
		t.C.FragsUnmatched++
		return addr, FragUnmatched
	}
	e.held = 1
	t.C.FragsHeld++
	return addr, HoldFrag
}

func (f *fragTable) expire(t *Table, nowms uint32, budget int) int {
	work := 0
	for f.n > 0 && work < budget {
		e := &f.ring[f.head]
		if int32(nowms-e.expire) < 0 {
			break
		}
		work++
		delete(f.byKey, e.key)
		if e.held > 0 {
			t.C.FragsExpired += uint64(e.held)
			t.notice(Notice{Kind: FragExpired, Frag: e.key})
		}
		f.head = (f.head + 1) % f.max
		f.n--
	}
	return work
}
