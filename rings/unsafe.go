package rings

import (
	"unsafe"
)

// Desc mirrors struct xdp_desc from <linux/if_xdp.h>.
type Desc struct {
	Addr uint64
	Len  uint32
	Opts uint32
}

// PktContd is XDP_PKT_CONTD, the Desc.Opts bit of every descriptor of a
// multi-buffer frame but its last.
const PktContd = 1

// DescSize is sizeof(struct xdp_desc).
const DescSize = int(unsafe.Sizeof(Desc{}))

// Offsets mirrors struct xdp_ring_offset: byte offsets of the producer
// index, consumer index, descriptor array and flags word from the start of a
// mapped ring.
type Offsets struct {
	Producer uint64
	Consumer uint64
	Desc     uint64
	Flags    uint64
}

// shared holds the pointers into one mapped ring.
type shared struct {
	producer *uint32
	consumer *uint32
	flags    *uint32
}

func sharedAt(mem []byte, off Offsets) shared {
	base := unsafe.Pointer(unsafe.SliceData(mem))
	return shared{
		producer: (*uint32)(unsafe.Add(base, off.Producer)),
		consumer: (*uint32)(unsafe.Add(base, off.Consumer)),
		flags:    (*uint32)(unsafe.Add(base, off.Flags)),
	}
}

// addrsAt returns the uint64 array of a fill or completion ring.
func addrsAt(mem []byte, off Offsets, n uint32) []uint64 {
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), off.Desc)
	return unsafe.Slice((*uint64)(p), n)
}

// descsAt returns the xdp_desc array of an RX or TX ring.
func descsAt(mem []byte, off Offsets, n uint32) []Desc {
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), off.Desc)
	return unsafe.Slice((*Desc)(p), n)
}
