package nat64

// Expire runs the timers up to now, visiting at most budget sessions (plus
// held SYNs and fragments), and returns how many it visited. Call it once
// per vector with a small budget (e.g. 64): packets never pay for expiry,
// and a backlog is worked off over the following calls. Expired
// established TCP sessions move to TRANS for tcp_transitory (RFC 6146
// 3.5.2.2, without the keepalive probe); other sessions are deleted, with
// their BIB entry when it was the last (never static ones), and ports and
// blocks go back to the pool.
func (t *Table) Expire(now int64, budget int) int {
	nowms := t.ms(now)
	work := t.held.expire(t, nowms, budget)
	work += t.frags.expire(t, nowms, budget)
	nowTick := t.tick(now)
	n := uint32(len(t.sess))
	for work < budget && int32(nowTick-t.cursor) > 0 {
		head := n + t.cursor&(wheelSlots-1)
		var requeued uint32 = ^uint32(0)
		for i := t.links[head].next; i != head && i != requeued; {
			if work >= budget {
				t.C.ExpireWork += uint64(work)
				return work
			}
			work++
			next := t.links[i].next
			s := &t.sess[i]
			switch {
			case int32(nowms-s.expire) < 0 || s.state == stEst || s.state == stV4Fin || s.state == stV6Fin:
				if int32(nowms-s.expire) >= 0 {
					s.state = stTrans
					s.expire = nowms + t.p.tTrans
				}
				// move to the slot of its (new) expiry
				t.wheelUnlink(i)
				t.wheelLink(i, s.expire)
				if requeued == ^uint32(0) && t.links[head].prev == i {
					requeued = i // a later turn of the wheel: stop there
				}
			default:
				t.delSession(i, now)
				t.C.SessionsExpired++
			}
			i = next
		}
		work++ // the slot itself, so that a late call stays bounded
		t.cursor++
	}
	t.C.ExpireWork += uint64(work)
	return work
}
