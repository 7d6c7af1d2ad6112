package batch

// The header writers of both directions.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// writeIPv6 writes the Ethernet header (MACs kept: the dataplane rewrites
// them) and the IPv6 header, plus the Fragment header when x.fh is set, at
// b[off:], in front of the L4 header at x.l4off. in is the offset of the
// original Ethernet header.
func (t *Translator) writeIPv6(b []byte, in, off int, x *pkt46) {
	macs8 := binary.LittleEndian.Uint64(b[in:])
	macs4 := binary.LittleEndian.Uint32(b[in+8:])
	e := (*[header.EthernetLen + header.IPv6Len]byte)(b[off : off+header.EthernetLen+header.IPv6Len])
	binary.LittleEndian.PutUint64(e[0:], macs8)
	binary.LittleEndian.PutUint32(e[8:], macs4)
	binary.BigEndian.PutUint16(e[header.EthType:], header.EtherTypeIPv6)
	o := (*[header.IPv6Len]byte)(e[header.EthernetLen:])
	if x.fh == 0 {
		putIPv6(o, t.tc46(x.tos), uint16(x.size-header.IPv6Len), x.nh, x.ttl, &x.src6, &x.dst6)
		return
	}
	putIPv6(o, t.tc46(x.tos), uint16(x.size-header.IPv6Len), header.ProtoFragment, x.ttl, &x.src6, &x.dst6)
	writeFragment6((*[header.IPv6FragmentLen]byte)(b[x.l4off-header.IPv6FragmentLen:x.l4off]), x.nh, x.fragOff, x.mf, x.id)
}

// tc46 is the IPv6 traffic class for an IPv4 TOS: the TOS, or 0 with
// reset_traffic_class (RFC 7915 section 4.1).
func (t *Translator) tc46(tos uint8) uint8 {
	if t.cfg.ResetTrafficClass {
		return 0
	}
	return tos
}

// putIPv6 writes a 40-byte IPv6 header (flow label 0).
func putIPv6(o *[header.IPv6Len]byte, tc uint8, payloadLen uint16, nh, hop uint8, src, dst *[16]byte) {
	// Version, traffic class, flow label, payload length, next header and
	// hop limit in one store.
	binary.BigEndian.PutUint64(o[0:], (6<<28|uint64(tc)<<20)<<32|uint64(payloadLen)<<16|uint64(nh)<<8|uint64(hop))
	*(*[16]byte)(o[header.IPv6Src:]) = *src
	*(*[16]byte)(o[header.IPv6Dst:]) = *dst
}

// writeFragment6 writes an IPv6 Fragment header carrying an IPv4 packet's
// fragment fields (RFC 7915 section 4.1).
func writeFragment6(fr *[header.IPv6FragmentLen]byte, nh uint8, fragOff uint16, mf bool, id uint16) {
	fr[0] = nh
	fr[1] = 0
	fo6 := fragOff << 3
	if mf {
		fo6 |= header.IPv6FragMF
	}
	binary.BigEndian.PutUint16(fr[2:], fo6)
	binary.BigEndian.PutUint32(fr[4:], uint32(id))
}

// writeIPv4 writes a 20-byte IPv4 header and its checksum. The checksum
// is summed from the field values, not read back from the bytes just
// stored (which would stall on store-to-load forwarding), and the header
// goes out in three stores.
func writeIPv4(h *[header.IPv4MinLen]byte, tos uint8, total, id, flagsOff uint16, ttl, proto uint8, src, dst *[4]byte) {
	s4 := binary.BigEndian.Uint32(src[:])
	d4 := binary.BigEndian.Uint32(dst[:])
	w0 := 0x45<<8 | uint64(tos)
	w4 := uint64(ttl)<<8 | uint64(proto)
	sum := w0 + uint64(total) + uint64(id) + uint64(flagsOff) + w4 + uint64(s4) + uint64(d4)
	c := ^checksum.Fold(sum)
	binary.BigEndian.PutUint64(h[0:], w0<<48|uint64(total)<<32|uint64(id)<<16|uint64(flagsOff))
	binary.BigEndian.PutUint32(h[8:], uint32(w4)<<16|uint32(c))
	binary.BigEndian.PutUint64(h[12:], uint64(s4)<<32|uint64(d4))
}
