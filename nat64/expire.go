package nat64

// The session timer is a sweep over the session table: no per-session
// links, only each session's own expiry. A pass visits every slot once (a
// slot again when a deletion moved another session into it), deleting
// (or moving to TRANS) what is due, and records the earliest expiry it
// leaves behind (due; new sessions and shortened lifetimes lower it too).
// A pass starts when due has come (and at most every sweepGap of a large
// table), and runs at the caller's budget per call, but never slower than
// one whole pass per sweepPeriod: each call does at least the share of
// the pass the time since the pass started asks for. So a session ends at most sweepGap + sweepPeriod (2 x
// 4 s, less with short timeouts) after its expiry, given Expire calls at
// least every 100 ms; RFC 6146's lifetimes are minimums. See
// docs/DESIGN.md, "Stateful NAT64 state".

// sweepPeriodMax is the longest a pass may take, in ms; shorter when a
// quarter of the shortest session timeout is shorter.
const sweepPeriodMax = 4000

// sweepSlotNs paces the start of passes of a large table: at most one
// pass per sweepSlotNs x slots (up to sweepPeriodMax): 400 ns a slot,
// one pass every 4 s at 10M sessions, so that a table busy enough to
// always have something due spends about 0.5% of a core sweeping.
const sweepSlotNs = 400

// emptyPerUnit is how many empty slots a sweep visits for one unit of
// Expire's budget (one session).
const emptyPerUnit = 64

// sweep is the state of the session sweep.
type sweep struct {
	on     bool
	pos    uint32 // next slot of the pass
	end    uint32 // the high-water mark when the pass started
	start  uint32 // ms when the pass (or the last) started
	due    uint32 // no live session expires before: outside [pos, end) of a running pass
	dueSet bool   // false: no session outside the running pass
}

// noteDue lowers the sweep's earliest expiry to e.
func (t *Table) noteDue(e uint32) {
	w := &t.sweep
	if !w.dueSet || int32(e-w.due) < 0 {
		w.due, w.dueSet = e, true
	}
}

// sweepPeriod is the longest a pass may take (ms).
func (t *Table) sweepPeriod() uint32 {
	p := t.p
	return max(1, min(sweepPeriodMax, min(p.tUDP, p.tICMP, p.tEst, p.tTrans)/4))
}

// sweepGap is the shortest time between the starts of two passes (ms).
func (t *Table) sweepGap() uint32 {
	return min(t.sweepPeriod(), uint32(uint64(len(t.sess))*sweepSlotNs/1e6))
}

// Expire runs the timers up to now and returns the slots (and held SYNs
// and fragments) it visited, an empty session slot counting 1/64. Call it
// once per vector with a small budget (e.g. 128): packets never pay for
// expiry. It visits up to budget sessions (and 64 empty slots for one)
// while a pass runs, more when the pass is behind its schedule (a
// share of the table proportional to the time since the pass started: the
// whole rest of it after sweepPeriod, e.g. on the first call after a long
// pause), none when no session can be due. Expired established TCP
// sessions move to TRANS for tcp_transitory (RFC 6146 3.5.2.2, without
// the keepalive probe); other sessions are deleted, with their BIB entry
// when it was the last (never static ones), and ports and blocks go back
// to the pool.
func (t *Table) Expire(now int64, budget int) int {
	nowms := t.ms(now)
	work := t.held.expire(t, nowms, budget)
	work += t.frags.expire(t, nowms, budget)
	w := &t.sweep
	if !w.on {
		if t.sessN == 0 {
			// Nothing to wait for: the next session may start a pass
			// (and a start from long ago must not look like a recent one
			// once the millisecond clock has wrapped).
			w.dueSet, w.start = false, nowms-sweepPeriodMax
		}
		if !w.dueSet || int32(nowms-w.due) < 0 || int32(nowms-w.start) < int32(t.sweepGap()) {
			t.C.ExpireWork += uint64(work)
			return work
		}
		*w = sweep{on: true, end: uint32(len(t.sess)), start: nowms}
	}
	// The budget counts sessions; empty slots, a load and a compare each,
	// count emptyPerUnit to one (so a table with few sessions is swept in
	// a call or a few, as soon as something is due). behind is the slots
	// the schedule asks for now whatever the budget.
	limit, behind := budget-work, 0
	if el, per := nowms-w.start, t.sweepPeriod(); int32(el) >= int32(per) {
		behind = int(w.end - w.pos) // behind: finish the pass
	} else if int32(el) > 0 {
		behind = int(uint64(w.end)*uint64(el)/uint64(per)) - int(w.pos)
	}
	units, slots, empty := 0, 0, 0
	for ; w.pos < w.end && (units < limit || slots < behind); slots++ {
		i := w.pos
		w.pos++
		s := &t.sess[i]
		if s.bib == 0 {
			if empty++; empty == emptyPerUnit {
				units, empty = units+1, 0
			}
			continue
		}
		units++
		if int32(nowms-s.expire) < 0 {
			t.noteDue(s.expire)
			continue
		}
		switch s.state {
		case stEst, stV4Fin, stV6Fin:
			s.state = stTrans
			s.expire = nowms + t.p.tTrans
			t.noteDue(s.expire)
		default:
			t.delSession(i, now)
			t.C.SessionsExpired++
			// Another session may have moved into slot i: look at it
			// again (the deletion was a unit of work, the session that
			// moved in is another).
			w.pos--
			slots--
		}
	}
	if empty > 0 {
		units++
	}
	if w.pos >= w.end {
		w.on = false
	}
	work += units
	t.C.ExpireWork += uint64(work)
	return work
}
