package batch

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/header"
)

// fragment64 fragments the translated IPv4 frame f, whose DF flag is clear
// and which exceeds the IPv4 MTU, as an IPv4 router does (RFC 791 section
// 3.2, RFC 7915 section 1.4: "the translator MUST send a Packet Too Big
// error message or fragment the packet when the packet size exceeds the
// MTU of the next-hop interface"; section 5.1.1: DF is cleared "allowing
// this packet to be further fragmented by IPv4 routers"). These are IPv6
// fragments whose translation grew past the IPv4 MTU and, when the MTU is
// below 1260, unfragmented packets translated with DF=0.
//
// f keeps the first piece; the others go to new frames from the Allocator,
// appended to the vector's Extra frames with verdict To4. If buffers run
// out, f is dropped with ReasonNoBuffer and the pieces already made are
// handed back (Drop, ReasonNone: buffers, not counted as packets).
func (t *Translator) fragment64(f *Frame) {
	h := f.Buf[f.Off+header.EthernetLen : f.Off+f.Len]
	fl := binary.BigEndian.Uint16(h[header.IPv4FlagsOff:])
	if fl&header.IPv4FlagDF != 0 {
		t.drop(f, ReasonPacketTooBig) // not reached: translate64 answers these
		return
	}
	data := len(h) - header.IPv4MinLen
	step := (t.cfg.mtu4() - header.IPv4MinLen) &^ 7
	if step < 8 {
		t.drop(f, ReasonPacketTooBig)
		return
	}
	n := (data + step - 1) / step // pieces
	v := t.v
	if t.alloc == nil || v.NExtra+n-1 > len(v.Extra) {
		t.drop(f, ReasonNoBuffer)
		return
	}
	base := fl & header.IPv4OffsetMask
	if int(base)+(data-1)/8 > header.IPv4OffsetMask {
		t.drop(f, ReasonBadFragment) // offsets past 65535 bytes
		return
	}
	mf := fl & header.IPv4FlagMF
	first := v.NExtra
	for k := 1; k < n; k++ {
		buf := t.alloc.Get()
		sz := step
		if k == n-1 {
			sz = data - k*step
		}
		if len(buf) < Headroom+header.EthernetLen+header.IPv4MinLen+sz {
			// Out of buffers (nil) or too small: drop the whole packet.
			for i := first; i < v.NExtra; i++ {
				v.Extra[i].Verdict = Drop
				v.Extra[i].Reason = ReasonNone // a buffer handed back, not a packet: not counted
			}
			if buf != nil {
				v.Extra[v.NExtra] = Frame{Buf: buf, Off: Headroom, In: f.In, Verdict: Drop, Reason: ReasonNone}
				v.NExtra++
			}
			t.drop(f, ReasonNoBuffer)
			return
		}
		nb := buf[Headroom : Headroom+header.EthernetLen+header.IPv4MinLen+sz]
		copy(nb[:header.EthernetLen+header.IPv4MinLen], f.Buf[f.Off:f.Off+header.EthernetLen+header.IPv4MinLen])
		src := header.EthernetLen + header.IPv4MinLen + k*step
		copy(nb[header.EthernetLen+header.IPv4MinLen:], f.Buf[f.Off+src:f.Off+src+sz])
		nh := nb[header.EthernetLen:]
		fo := base + uint16(k*step/8)
		if k < n-1 {
			fo |= header.IPv4FlagMF
		} else {
			fo |= mf
		}
		binary.BigEndian.PutUint16(nh[header.IPv4TotalLen:], uint16(header.IPv4MinLen+sz))
		binary.BigEndian.PutUint16(nh[header.IPv4FlagsOff:], fo)
		nh[header.IPv4Csum], nh[header.IPv4Csum+1] = 0, 0
		binary.BigEndian.PutUint16(nh[header.IPv4Csum:], ^sum20((*[header.IPv4MinLen]byte)(nh)))
		v.Extra[v.NExtra] = Frame{Buf: buf, Off: Headroom, Len: len(nb), In: f.In, Verdict: To4}
		v.NExtra++
	}
	binary.BigEndian.PutUint16(h[header.IPv4TotalLen:], uint16(header.IPv4MinLen+step))
	binary.BigEndian.PutUint16(h[header.IPv4FlagsOff:], base|header.IPv4FlagMF)
	h[header.IPv4Csum], h[header.IPv4Csum+1] = 0, 0
	binary.BigEndian.PutUint16(h[header.IPv4Csum:], ^sum20((*[header.IPv4MinLen]byte)(h)))
	f.Len = header.EthernetLen + header.IPv4MinLen + step
	t.Counters.Events[EvFragmentsCreated] += uint64(n - 1)
}
