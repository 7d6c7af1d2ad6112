package batch

// Sources of translated ICMP errors whose source has no mapping (RFC 6791).

import "encoding/binary"

// rfc6791Src sets src to the RFC 6791 source of translated ICMP errors
// whose source has no mapping: Config.RFC6791v6, else Config.ICMPv6Source.
// A pool wider than one address gives a random address from it, as RFC
// 6791 section 3 suggests ("randomly selected ... to minimize the chance
// of creating a hot spot" in the IPv4 case).
func (t *Translator) rfc6791Src(src *[16]byte) bool {
	if p := t.cfg.RFC6791v6; p.IsValid() && p.Addr().Is6() {
		*src = p.Addr().As16()
		if n := p.Bits(); n < 128 {
			*src = p.Masked().Addr().As16()
			hi := binary.BigEndian.Uint64(src[:8])
			lo := binary.BigEndian.Uint64(src[8:])
			r1, r2 := t.rand64(), t.rand64()
			if n < 64 {
				hi |= r1 >> n
				lo = r2
			} else {
				lo |= r2 >> (n - 64)
			}
			binary.BigEndian.PutUint64(src[:8], hi)
			binary.BigEndian.PutUint64(src[8:], lo)
		}
	} else if a := t.cfg.ICMPv6Source; a.Is6() {
		*src = a.As16()
	} else {
		return false
	}
	t.Counters.Events[EvRFC6791Source]++
	return true
}

// rfc6791Src4 sets src to the source of a translated ICMPv6 error whose
// source has no IPv4 mapping (RFC 6791): an address of Config.RFC6791v4
// (random host bits when the prefix is shorter than /32), else
// Config.ICMPv4Source.
func (t *Translator) rfc6791Src4(src *[4]byte) bool {
	if p := t.cfg.RFC6791v4; p.IsValid() && p.Addr().Is4() {
		b := p.Masked().Addr().As4()
		a := binary.BigEndian.Uint32(b[:])
		if host := 32 - p.Bits(); host > 0 {
			r := uint32(t.nextID())<<16 | uint32(t.nextID())
			a |= r & (1<<host - 1)
		}
		binary.BigEndian.PutUint32(src[:], a)
	} else if s := t.cfg.ICMPv4Source; s.Is4() {
		*src = s.As4()
	} else {
		return false
	}
	t.Counters.Events[EvRFC6791Source]++
	return true
}
