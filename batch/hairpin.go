package batch

// Hairpinning (RFC 7757 section 4.1 and RFC 7915 section 1.3), Jool's
// "intrinsic" mode: an IPv6 packet whose IPv4 destination, after
// translation, lies inside an EAMT IPv4 range is addressed to an IPv6 node
// behind this same translator. translate64 has already turned it into IPv4
// (hop limit decremented once, RFC 6791 source for untranslatable ICMPv6
// error sources); translate46, with t.hairpin set, turns it back into IPv6
// without decrementing again, translating the IPv4-source-side addresses
// (outer source, inner destination of an ICMP error) with pool6 only, and
// gives it verdict To6. Corpus rows gat1 and 6791v66t.

import "github.com/xlatd/xlatd/mapping"

// hairpinned reports whether an IPv6 address a6, translated to a4, is
// hairpinned: it was translated through pool6 (RFC 6052), not by an EAM
// entry of its own, and the result lies in an EAMT IPv4 range (RFC 7757
// section 4.1). An address translated by its EAM entry is an IPv4 host.
// The EAMT IPv4 lookup comes first: it is false for almost every packet.
//
// Without an EAMT nothing is hairpinned: that test is small enough to be
// inlined into the address step, so pool6-only configurations pay no call.
func hairpinned(m *mapping.Table, a6 *[16]byte, a4 *[4]byte) bool {
	return len(m.EAMs()) != 0 && hairpinnedEAMT(m, a6, a4)
}

func hairpinnedEAMT(m *mapping.Table, a6 *[16]byte, a4 *[4]byte) bool {
	return m.InEAMT4(a4) && !m.InEAMT6(a6)
}

// hairpin64 sends the translated IPv4 frame f back through translate46.
func (t *Translator) hairpin64(f *Frame) {
	if hp := t.nat.hp; hp.handoff {
		// NAT64 hairpinning whose destination's state is another
		// worker's: that worker translates the IPv4 packet as if it had
		// come from the IPv4 side (its source is a pool4 address, which
		// RFC 6146 3.8 translates with pool6 like any other).
		t.nat.hp = hairpinState{}
		f.In = Side4
		t.handoff(f, hp.owner)
		return
	}
	t.hairpin = true
	t.translate46(f)
	t.hairpin = false
	t.nat.hp = hairpinState{}
	if f.Verdict == Back {
		// An ICMPv4 error about our own intermediate IPv4 packet would
		// go to an IPv4 address that is really an IPv6 node on the
		// IPv6 side: it cannot be sent as such.
		f.Verdict = Drop
		if f.Reason == ReasonNone {
			f.Reason = ReasonICMPUntranslatable
		}
	}
}
