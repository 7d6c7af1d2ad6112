package e2e

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestNAT64IPFIX: with [log] ipfix set, a port block allocation reaches
// an IPFIX collector (RFC 7011 messages, RFC 8158 NAT events) in the box
// namespace: a version-10 message whose data set carries the pool4
// address the subscriber's flow was mapped to.
func TestNAT64IPFIX(t *testing.T) {
	var coll *net.UDPConn
	n := newNAT64BedLog(t, nat64Base(), `ipfix = "127.0.0.1:4739"`, func(tb *testbed) {
		err := inNS(tb.e("NSX"), func() (err error) {
			coll, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4739})
			return err
		})
		if err != nil {
			t.Fatalf("collector: %v", err)
		}
		t.Cleanup(func() { coll.Close() })
	})
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	m, err := udpAskErr(udpSock(t, h6, ap(sub2, 40000)), netip.AddrPortFrom(n.as6(n.e("H4")), 7000), seen, 20)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Addr().As4()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(5 * time.Second)
	msgs := 0
	for time.Now().Before(deadline) {
		_ = coll.SetReadDeadline(deadline)
		k, err := coll.Read(buf)
		if err != nil {
			break
		}
		msgs++
		b := buf[:k]
		if k < 16 || binary.BigEndian.Uint16(b) != 10 || int(binary.BigEndian.Uint16(b[2:])) != k {
			t.Fatalf("not an IPFIX message (version 10, length %d): % x", k, b[:min(k, 32)])
		}
		// Sets: id >= 256 is a data set.
		for off := 16; off+4 <= k; {
			id, l := binary.BigEndian.Uint16(b[off:]), int(binary.BigEndian.Uint16(b[off+2:]))
			if l < 4 || off+l > k {
				t.Fatalf("bad IPFIX set at %d (id %d, length %d)", off, id, l)
			}
			if id >= 256 && bytes.Contains(b[off+4:off+l], want[:]) {
				t.Logf("IPFIX data set %d (%d bytes) names pool4 %s, after %d message(s)", id, l, m.Addr(), msgs)
				return
			}
			off += l
		}
	}
	t.Fatalf("no IPFIX data record with pool4 %s within 5 s (%d messages)", m.Addr(), msgs)
}
