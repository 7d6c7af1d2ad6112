package nat64

// Flush ends all of t's dynamic state at once (`xlatd nat64 flush`): every
// session (those of static BIB entries too) and every dynamic BIB entry,
// with the same delete paths as expiry and pool4 retirement, so ports go
// back to their blocks and emptied blocks are released and logged
// (natlog.BlockRelease) and wait out port_reuse_delay as usual. Static BIB
// entries stay. Held IPv4 SYNs and held fragments are forgotten: a
// SYNDiscard notice (dropped without an ICMP error) for each held SYN, a
// FragExpired notice for each packet with fragments held, so that the
// caller drops the packets it keeps. It returns the sessions and the
// dynamic BIB entries it ended. Call it from the table's goroutine,
// between vectors; it visits every session slot and BIB entry once.
func (t *Table) Flush(now int64) (sessions, bib int) {
	deleted := t.C.BIBDeleted
	for i := uint32(0); i < uint32(len(t.sess)); {
		if t.sess[i].bib != 0 { // the last session takes a dynamic entry with it
			t.delSession(i, now) // and another session may move into slot i
			sessions++
			continue
		}
		i++
	}
	for i := uint32(0); i < t.bibHigh; i++ {
		if e := &t.bib[i]; e.used() && !e.static {
			t.delBIB(i+1, now) // a dynamic entry without sessions (none is left so, but be sure)
		}
	}
	t.flushHeld()
	return sessions, int(t.C.BIBDeleted - deleted)
}

// flushHeld forgets the held SYNs and fragments, with the notices that
// end the packets the caller keeps for them.
func (t *Table) flushHeld() {
	h := &t.held
	for k := range h.byTuple {
		t.notice(Notice{Kind: SYNDiscard, Tuple4: keyTuple(k)})
	}
	clear(h.byTuple)
	h.head, h.n = 0, 0
	f := &t.frags
	for j := 0; j < f.n; j++ {
		e := &f.ring[(f.head+j)%f.max]
		if g, ok := f.byKey[e.key]; ok && g == (f.head+j)%f.max && e.held > 0 {
			t.C.FragsExpired += uint64(e.held)
			t.notice(Notice{Kind: FragExpired, Frag: e.key})
		}
	}
	clear(f.byKey)
	f.head, f.n = 0, 0
}
