package gen

import (
	"encoding/binary"
	"errors"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// Tuple is what a stateful DUT made of one flow, as the IPv4 side sees it:
// the source address and port the DUT mapped the flow to (pool4) and the
// destination port. The reverse direction of RFC 9693 sends to it.
type Tuple struct {
	Addr    uint32 // IPv4 source (pool4 address), host order
	Port    uint16 // its source port (the mapped port)
	DstPort uint16 // the flow's destination port (the reply's source)
}

// Learner collects the tuples of the IPv4 benchmark frames a sink
// receives (Sink.Learn), during RFC 9693's preliminary phase: they are the
// connections the DUT created, and the only addresses and ports replies may
// use.
type Learner struct {
	Tuples []Tuple
}

func (l *Learner) add(f []byte) {
	if len(f) < header.EthernetLen+header.IPv4MinLen+header.UDPLen ||
		binary.BigEndian.Uint16(f[header.EthType:]) != header.EtherTypeIPv4 {
		return
	}
	ip := header.IPv4(f[header.EthernetLen:])
	udp := f[header.EthernetLen+ip.HeaderLen():]
	l.Tuples = append(l.Tuples, Tuple{
		Addr:    binary.BigEndian.Uint32(ip.Src()),
		Port:    binary.BigEndian.Uint16(udp[0:]),
		DstPort: binary.BigEndian.Uint16(udp[2:]),
	})
}

// Replies stamps IPv4 frames of a template (the IPv4 host's reply: its
// source address is kept) towards a pseudorandom learned tuple per frame:
// destination address and port from the tuple, source port the flow's
// destination port. Checksums are completed from sums precomputed with
// those fields zero, as Flows does.
type Replies struct {
	t       *Template
	tuples  []Tuple
	rng     uint64
	ipBase0 uint64
	base0   uint64
}

// ErrNoTuples: nothing was learned to reply to.
var ErrNoTuples = errors.New("gen: no learned flows to reply to")

// NewReplies returns a stamper over tuples for the IPv4 template t.
func NewReplies(t *Template, tuples []Tuple, seed uint64) (*Replies, error) {
	if !t.is4 {
		return nil, errors.New("gen: replies need an IPv4 template")
	}
	if len(tuples) == 0 {
		return nil, ErrNoTuples
	}
	if seed == 0 {
		seed = 0x9E3779B97F4A7C15
	}
	r := &Replies{t: t, tuples: tuples, rng: seed}
	b := append([]byte(nil), t.Frame...)
	v4 := header.IPv4(b[header.EthernetLen:])
	clear(v4.Dst())
	v4.SetChecksum(0)
	udp := b[header.EthernetLen+header.IPv4MinLen:]
	clear(udp[0:4])
	clear(udp[header.UDPCsum : header.UDPCsum+2])
	clear(b[t.payOff+paySeq : t.payOff+PayloadMin])
	r.ipBase0 = uint64(checksum.Checksum(v4[:header.IPv4MinLen], 0))
	r.base0 = uint64(checksum.Checksum(udp, checksum.PseudoHeader4(v4.Src(), v4.Dst(), header.ProtoUDP, uint16(len(udp)))))
	return r, nil
}

// Stamp implements Stamper.
func (r *Replies) Stamp(b []byte, seq uint64, ts int64) {
	tu := &r.tuples[pick(&r.rng, uint64(len(r.tuples)))]
	ipo := header.EthernetLen
	udpo := ipo + header.IPv4MinLen
	binary.BigEndian.PutUint32(b[ipo+16:], tu.Addr)
	binary.BigEndian.PutUint16(b[udpo:], tu.DstPort)
	binary.BigEndian.PutUint16(b[udpo+2:], tu.Port)
	words := uint64(tu.Addr>>16) + uint64(tu.Addr&0xffff)
	binary.BigEndian.PutUint16(b[ipo+header.IPv4Csum:], ^fold(r.ipBase0+words))
	r.t.stamp(b, r.base0+words+uint64(tu.Port)+uint64(tu.DstPort), seq, ts)
}
