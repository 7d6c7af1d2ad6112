package batch_test

import (
	"encoding/binary"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TestUDP6ZeroChecksum: an IPv6 UDP datagram with checksum 0 (RFC 8200
// 8.1 forbids it outside RFC 6935 tunnels; RFC 6936 5 has middleboxes
// forward it) goes out to IPv4 with its checksum computed and counted; a
// first fragment keeps 0, "no checksum" in IPv4.
func TestUDP6ZeroChecksum(t *testing.T) {
	h := h6(pktbuild.ProtoUDP)
	h.KeepL4Csum = true
	ip := h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(21)))
	buf, n := newFrame(ip)
	v := new(batch.Vector)
	v.Add(buf, batch.Headroom, n, batch.Side6)
	tr := newTranslator(grayConfig(t, graybox.Env{}))
	tr.Translate(v, 1e9, nil)
	f := &v.Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
	}
	o := ipOf(f)
	if c := binary.BigEndian.Uint16(o[20+6:]); c == 0 || !pktbuild.ValidL4Checksum4(o) {
		t.Errorf("IPv4 UDP checksum %#04x not computed", c)
	}
	if got := tr.Counters.Events[batch.EvUDP6ChecksumComputed]; got != 1 {
		t.Errorf("event %v = %d", batch.EvUDP6ChecksumComputed, got)
	}

	h.Frag = &pktbuild.Frag{M: true, ID: 7}
	ip = h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(24)))
	f = &run64(t, grayConfig(t, graybox.Env{}), ip, nil).Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("first fragment: verdict %v reason %v", f.Verdict, f.Reason)
	}
	if c := binary.BigEndian.Uint16(ipOf(f)[20+6:]); c != 0 {
		t.Errorf("first fragment: checksum %#04x, want 0", c)
	}
}
