package nat64

// heldSYNs tracks IPv4-initiated SYNs that found no mapping (RFC 6146
// section 3.5.2.2): the caller keeps the packets, the table their tuple
// and deadline. Entries live in a ring in arrival order (one timeout for
// all, so the ring is also the expiry order) and a map finds them by
// tuple; both are bounded by max.
type heldSYNs struct {
	ring    []heldEnt
	head, n int
	byTuple map[[12]byte]uint32 // tuple -> generation in the ring
	gen     uint32
	max     int
}

type heldEnt struct {
	key    [12]byte
	expire uint32
	gen    uint32
}

func (h *heldSYNs) init(max int) {
	h.ring = make([]heldEnt, max)
	h.byTuple = make(map[[12]byte]uint32, max)
	h.max = max
}

func heldKey(src4 [4]byte, sport uint16, dst4 [4]byte, dport uint16) [12]byte {
	return [12]byte{src4[0], src4[1], src4[2], src4[3], byte(sport >> 8), byte(sport),
		dst4[0], dst4[1], dst4[2], dst4[3], byte(dport >> 8), byte(dport)}
}

func keyTuple(k [12]byte) Tuple4 {
	return Tuple4{Proto: ProtoTCP, Src: [4]byte(k[0:4]), SrcPort: uint16(k[4])<<8 | uint16(k[5]),
		Dst: [4]byte(k[6:10]), DstPort: uint16(k[10])<<8 | uint16(k[11])}
}

// hold records an IPv4 SYN; a retransmission of a held SYN is held too
// (the caller may replace the bytes it keeps) without a new deadline.
func (h *heldSYNs) hold(t *Table, nowms uint32, src4 [4]byte, sport uint16, dst4 [4]byte, dport uint16) Result {
	k := heldKey(src4, sport, dst4, dport)
	if _, ok := h.byTuple[k]; ok {
		return HoldSYN
	}
	if h.n == h.max {
		t.C.HeldSYNDropped++
		return NoMapping
	}
	h.gen++
	h.ring[(h.head+h.n)%h.max] = heldEnt{key: k, expire: nowms + t.p.tSYN, gen: h.gen}
	h.n++
	h.byTuple[k] = h.gen
	return HoldSYN
}

// cancel ends a held SYN that an outbound SYN of the same connection met:
// the caller drops it without an ICMP error (RFC 5382 REQ-4).
func (h *heldSYNs) cancel(t *Table, src4 [4]byte, sport uint16, remote [4]byte, rport uint16) {
	if len(h.byTuple) == 0 {
		return
	}
	k := heldKey(remote, rport, src4, sport)
	if _, ok := h.byTuple[k]; ok {
		delete(h.byTuple, k)
		t.notice(Notice{Kind: SYNDiscard, Tuple4: keyTuple(k)})
	}
}

func (h *heldSYNs) expire(t *Table, nowms uint32, budget int) int {
	work := 0
	for h.n > 0 && work < budget {
		e := &h.ring[h.head]
		if int32(nowms-e.expire) < 0 {
			break
		}
		work++
		if g, ok := h.byTuple[e.key]; ok && g == e.gen {
			delete(h.byTuple, e.key)
			t.C.HeldSYNExpired++
			t.notice(Notice{Kind: SYNUnreachable, Tuple4: keyTuple(e.key)})
		}
		h.head = (h.head + 1) % h.max
		h.n--
	}
	return work
}

// HeldSYNs is the number of IPv4 SYNs held now.
func (t *Table) HeldSYNs() int { return len(t.held.byTuple) }
