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

// hairpin64 sends the translated IPv4 frame f back through translate46.
func (t *Translator) hairpin64(f *Frame) {
	t.hairpin = true
	t.translate46(f)
	t.hairpin = false
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
