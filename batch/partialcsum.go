package batch

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
)

// isPartial and complete deal with a TCP/UDP checksum left for offload.
//
// A Linux host that sends through an interface with transmit checksum
// offload (a veth peer in a container or namespace, by default) hands the
// segment over with CHECKSUM_PARTIAL: the checksum field holds only the
// folded pseudo-header sum (~csum_tcpudp_magic), and whoever transmits on
// the wire is to finish it. The kernel delivers such frames to an AF_XDP
// socket as they are, with no flag saying so, and frames xlatd transmits are
// never completed by the kernel, so the usual incremental update (RFC 1624)
// would carry a wrong checksum to the receiver. Such a segment is
// recognised by its field equalling the pseudo-header sum (phOld) while the
// full checksum does not verify; it is then completed for the translated
// pseudo-header (phNew). A segment whose checksum verifies, or whose field
// is anything else, is left to the incremental update, so a bad checksum
// stays exactly as bad. Whole packets only: Linux computes the checksum in
// software before it fragments.
//
// csumOff is the offset of the checksum field in l4, which holds the whole
// L4 segment. isPartial is the cheap test on the per-packet path (one
// comparison with the pseudo-header sum the caller already has); complete
// is called only when it says yes, so the translated pseudo-header sum is
// computed only then.
func isPartial(l4 []byte, csumOff int, phOld uint16) bool {
	return binary.BigEndian.Uint16(l4[csumOff:]) == phOld && checksum.Checksum(l4, phOld) != 0xffff
}

func (t *Translator) complete(l4 []byte, csumOff int, phNew uint16) {
	l4[csumOff], l4[csumOff+1] = 0, 0
	c := ^checksum.Checksum(l4, phNew)
	if c == 0 {
		c = 0xffff // 0 means "no checksum" in UDP; the same value in one's complement for TCP
	}
	binary.BigEndian.PutUint16(l4[csumOff:], c)
	t.Counters.Events[EvPartialChecksum]++
}
