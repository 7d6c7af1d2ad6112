package batch

// Fragmentation of IPv4 packets without DF that would become IPv6 packets
// larger than lowest_ipv6_mtu (RFC 7915 section 4: "the translator MUST
// ... fragment the IPv4 packet ... so that it fits in IPv6 packets of that
// size"; section 4.1: Fragment header with Identification = the IPv4
// Identification, offsets and M from the IPv4 fragment fields).
//
// The first fragment stays in the original frame (simply shortened); the
// others are copied into buffers from the Allocator and appended to
// Vector.Extra with their own verdict.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/header"
)

// fragment46 splits the translated frame f, whose IPv6 header is followed
// by a Fragment header describing the whole (unsplit) payload, into
// fragments of at most mpl bytes (IPv6 header included). base is the
// packet's own fragment offset (8-byte units) and mf its MF flag: an IPv4
// fragment is re-fragmented, the last piece keeping the original M.
func (t *Translator) fragment46(f *Frame, mpl int, base uint16, mf bool) {
	const hdrs = header.EthernetLen + header.IPv6Len + header.IPv6FragmentLen
	b := f.Buf
	v6 := f.Off + header.EthernetLen
	data := f.Off + hdrs
	plen := f.Len - hdrs
	per := (mpl - header.IPv6Len - header.IPv6FragmentLen) &^ 7
	if plen <= per {
		return
	}
	nextra := (plen - 1) / per
	v := t.v
	if t.alloc == nil || v == nil || v.NExtra+nextra > ExtraSize {
		t.drop(f, ReasonNoBuffer)
		return
	}
	first := v.NExtra
	for i := 1; i <= nextra; i++ {
		start := i * per
		size := plen - start
		last := true
		if size > per {
			size, last = per, false
		}
		buf := t.alloc.Get()
		if len(buf) < Headroom+hdrs+size {
			// Give back what was taken: the caller owns Extra buffers.
			for j := first; j < v.NExtra; j++ {
				v.Extra[j].Verdict = Drop
				v.Extra[j].Reason = ReasonNone // a buffer handed back, not a packet: not counted
			}
			if buf != nil {
				v.Extra[v.NExtra] = Frame{Buf: buf, Off: Headroom, In: f.In, Verdict: Drop, Reason: ReasonNone}
				v.NExtra++
			}
			t.drop(f, ReasonNoBuffer)
			return
		}
		copy(buf[Headroom:Headroom+hdrs], b[f.Off:f.Off+hdrs])
		copy(buf[Headroom+hdrs:Headroom+hdrs+size], b[data+start:data+start+size])
		o := buf[Headroom+header.EthernetLen:]
		binary.BigEndian.PutUint16(o[header.IPv6PayloadLen:], uint16(header.IPv6FragmentLen+size))
		fo := base<<3 + uint16(start)
		if !last || mf {
			fo |= header.IPv6FragMF
		}
		binary.BigEndian.PutUint16(o[header.IPv6Len+2:], fo)
		v.Extra[v.NExtra] = Frame{Buf: buf, Off: Headroom, Len: hdrs + size, In: f.In, Verdict: To6}
		v.NExtra++
	}
	o := b[v6:]
	binary.BigEndian.PutUint16(o[header.IPv6PayloadLen:], uint16(header.IPv6FragmentLen+per))
	binary.BigEndian.PutUint16(o[header.IPv6Len+2:], base<<3|header.IPv6FragMF)
	f.Len = hdrs + per
	t.Counters.Events[EvFragmentsCreated] += uint64(nextra)
}
