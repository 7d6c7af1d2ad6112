package ipfix

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// collector is a UDP socket that keeps every datagram.
type collector struct {
	conn *net.UDPConn
	got  chan []byte
}

func listen(t *testing.T, addr string) *collector {
	t.Helper()
	ua, _ := net.ResolveUDPAddr("udp", addr)
	var c *net.UDPConn
	var err error
	for i := 0; i < 50; i++ { // the port may take a moment to be free again
		if c, err = net.ListenUDP("udp", ua); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{conn: c, got: make(chan []byte, 1024)}
	go func() {
		for {
			b := make([]byte, 65535)
			n, err := c.Read(b)
			if err != nil {
				close(col.got)
				return
			}
			col.got <- b[:n]
		}
	}()
	return col
}

// until collects datagrams until ok says enough or d passes.
func (c *collector) until(d time.Duration, ok func([][]byte) bool) [][]byte {
	var all [][]byte
	deadline := time.After(d)
	for !ok(all) {
		select {
		case b, more := <-c.got:
			if !more {
				return all
			}
			all = append(all, b)
		case <-deadline:
			return all
		}
	}
	return all
}

// records counts the data records (sets with ID >= 256) in msgs and
// reports whether a template set was seen before the first of them.
func records(msgs [][]byte) (n int, templatesFirst bool) {
	seenTemplates := false
	templatesFirst = true
	for _, m := range msgs {
		for off := msgHeaderLen; off+4 <= len(m); {
			id, l := binary.BigEndian.Uint16(m[off:]), int(binary.BigEndian.Uint16(m[off+2:]))
			if l < 4 {
				break
			}
			if id == templateSetID {
				seenTemplates = true
			} else if id >= 256 {
				if !seenTemplates {
					templatesFirst = false
				}
				for _, t := range templates {
					if t.id == id {
						n += (l - 4) / t.size
					}
				}
			}
			off += l
		}
	}
	return n, templatesFirst
}

var t0 = time.Date(2026, 11, 27, 17, 4, 5, 123e6, time.UTC)

func sampleEvents() []Event {
	sub := netip.MustParsePrefix("2001:db8:1000:ab00::/56")
	a := netip.MustParseAddr("203.0.113.17")
	return []Event{
		{Time: t0, Kind: BlockAllocated, Subscriber: sub, Pool4: a, PortFirst: 10240, PortLast: 10751},
		{Time: t0.Add(time.Second), Kind: QuotaExceeded, Subscriber: sub, Limit: 4},
		{Time: t0.Add(2 * time.Second), Kind: PortsExhausted, Pool4: a},
		{Time: t0.Add(3 * time.Second), Kind: AddressesExhausted, PoolID: 7},
		{Time: t0.Add(4 * time.Second), Kind: BlockReleased, Subscriber: sub, Pool4: a, PortFirst: 10240, PortLast: 10751},
	}
}

// TestTshark: the datagrams, captured into a pcap file, decode with
// Wireshark's IPFIX dissector into the RFC 8158 fields and values.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Geteuid() == 0 {
			t.Fatal("tshark not found: make deps installs it (apt-get install tshark)")
		}
		t.Skip("tshark not found and not root to install it: make deps (as root) installs tshark")
	}
	col := listen(t, "127.0.0.1:0")
	defer col.conn.Close()
	port := col.conn.LocalAddr().(*net.UDPAddr).Port
	e, err := New(Options{Collector: col.conn.LocalAddr().String(), ObservationDomain: 42})
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents()
	for _, ev := range evs {
		if !e.Export(ev) {
			t.Fatal("event dropped")
		}
	}
	msgs := col.until(5*time.Second, func(m [][]byte) bool { n, _ := records(m); return n >= len(evs) })
	e.Close()
	if n, first := records(msgs); n != len(evs) || !first {
		t.Fatalf("collector got %d records (want %d), templates first: %v", n, len(evs), first)
	}

	pcap := filepath.Join(t.TempDir(), "ipfix.pcap")
	writePcap(t, pcap, port, msgs)
	out, err := exec.Command(tshark, "-r", pcap, "-d", "udp.port=="+strconv.Itoa(port)+",cflow", "-T", "json").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var flows []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["cflow.nat_event"]; ok {
				flows = append(flows, v)
				return
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	if len(flows) != len(evs) {
		t.Fatalf("tshark decoded %d records with a natEvent, want %d:\n%s", len(flows), len(evs), out)
	}
	str := func(m map[string]any, k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case []any:
			if len(v) > 0 {
				s, _ := v[0].(string)
				return s
			}
		}
		return ""
	}
	// JSON objects have no order once decoded: each record is found by its
	// natEvent (every sample event has its own).
	byEvent := map[string]map[string]any{}
	for _, f := range flows {
		byEvent[str(f, "cflow.nat_event")] = f
	}
	want := []map[string]string{
		{"cflow.nat_event": "16", "cflow.srcaddrv6": "2001:db8:1000:ab00::", "cflow.srcmaskv6": "56",
			"cflow.post_natsource_ipv4_address": "203.0.113.17", "cflow.port_range_start": "10240",
			"cflow.port_range_end": "10751", "cflow.port_range_step_size": "1", "cflow.port_range_num_ports": "512"},
		{"cflow.nat_event": "13", "cflow.nat_quota_exceeded_event": "3", "cflow.max_entries_per_user": "4",
			"cflow.srcaddrv6": "2001:db8:1000:ab00::", "cflow.srcmaskv6": "56"},
		{"cflow.nat_event": "12", "cflow.post_natsource_ipv4_address": "203.0.113.17"},
		{"cflow.nat_event": "3", "cflow.nat_pool_id": "7"},
		{"cflow.nat_event": "17", "cflow.port_range_start": "10240", "cflow.port_range_end": "10751"},
	}
	for i, w := range want {
		f := byEvent[w["cflow.nat_event"]]
		if f == nil {
			t.Errorf("record %d (%s): no record with natEvent %s", i, evs[i].Kind, w["cflow.nat_event"])
			continue
		}
		for k, v := range w {
			if got := str(f, k); got != v {
				t.Errorf("record %d (%s): %s = %q, want %q", i, evs[i].Kind, k, got, v)
			}
		}
		// observationTimeMilliseconds: Wireshark prints it as a date.
		ts := str(f, "cflow.observation_time_milliseconds")
		if wantTS := evs[i].Time.UTC().Format("Jan _2, 2006 15:04:05.000"); !strings.HasPrefix(ts, wantTS) {
			t.Errorf("record %d: observation time %q, want %s", i, ts, wantTS)
		}
	}
	if s := str(findKey(doc, "cflow.od_id"), "cflow.od_id"); s != "42" {
		t.Errorf("observation domain %q, want 42", s)
	}
}

// findKey returns the first object holding key k.
func findKey(v any, k string) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[k]; ok {
			return v
		}
		for _, c := range v {
			if m := findKey(c, k); m != nil {
				return m
			}
		}
	case []any:
		for _, c := range v {
			if m := findKey(c, k); m != nil {
				return m
			}
		}
	}
	return nil
}

// writePcap writes msgs as UDP datagrams 127.0.0.1:50000 -> 127.0.0.1:port
// (LINKTYPE_IPV4).
func writePcap(t *testing.T, path string, port int, msgs [][]byte) {
	t.Helper()
	var b bytes.Buffer
	hdr := []any{uint32(0xa1b2c3d4), uint16(2), uint16(4), int32(0), uint32(0), uint32(65535), uint32(228)}
	for _, h := range hdr {
		_ = binary.Write(&b, binary.LittleEndian, h)
	}
	for i, m := range msgs {
		ip := make([]byte, 20+8, 28+len(m))
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(28+len(m)))
		copy(ip[12:], []byte{127, 0, 0, 1, 127, 0, 0, 1})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[j:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		binary.BigEndian.PutUint16(ip[20:], 50000)
		binary.BigEndian.PutUint16(ip[22:], uint16(port))
		binary.BigEndian.PutUint16(ip[24:], uint16(8+len(m)))
		ip = append(ip, m...)
		for _, h := range []uint32{uint32(1700000000 + i), 0, uint32(len(ip)), uint32(len(ip))} {
			_ = binary.Write(&b, binary.LittleEndian, h)
		}
		b.Write(ip)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNeverBlocks: a full queue drops (and counts) instead of blocking.
func TestNeverBlocks(t *testing.T) {
	col := listen(t, "127.0.0.1:0")
	defer col.conn.Close()
	e, err := New(Options{Collector: col.conn.LocalAddr().String(), Queue: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ev := sampleEvents()[0]
	start := time.Now()
	accepted := 0
	for i := 0; i < 100000; i++ {
		if e.Export(ev) {
			accepted++
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("100000 Export calls took %v", d)
	}
	s := e.Stats()
	if s.Dropped == 0 || int(s.Dropped)+accepted != 100000 {
		t.Errorf("dropped %d, accepted %d: want drops with a 4-event queue, and every event counted", s.Dropped, accepted)
	}
	if e.Export(Event{Kind: Kind(99)}) {
		t.Error("unknown kind accepted")
	}
}

// TestCollectorRestart: the exporter keeps going while the collector is
// down and a restarted collector gets the templates again (after the
// refresh interval or the first send error) before data it can decode.
func TestCollectorRestart(t *testing.T) {
	col := listen(t, "127.0.0.1:0")
	addr := col.conn.LocalAddr().String()
	e, err := New(Options{Collector: addr, TemplateRefresh: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ev := sampleEvents()[0]
	e.Export(ev)
	if n, first := records(col.until(3*time.Second, func(m [][]byte) bool { n, _ := records(m); return n >= 1 })); n != 1 || !first {
		t.Fatalf("before restart: %d records, templates first %v", n, first)
	}
	col.conn.Close()
	// Down: events go out into the void (ICMP port unreachable), nothing blocks.
	for i := 0; i < 20; i++ {
		e.Export(ev)
		time.Sleep(5 * time.Millisecond)
	}
	col2 := listen(t, addr)
	defer col2.conn.Close()
	time.Sleep(50 * time.Millisecond)
	e.Export(ev)
	msgs := col2.until(3*time.Second, func(m [][]byte) bool {
		n, _ := records(m)
		return n >= 1 && hasTemplates(m)
	})
	if !hasTemplates(msgs) {
		t.Fatalf("restarted collector got no templates in %d messages", len(msgs))
	}
	if n, _ := records(msgs); n < 1 {
		t.Fatalf("restarted collector got no records")
	}
	if s := e.Stats(); s.Templates < 2 {
		t.Errorf("templates sent %d times, want a resend", s.Templates)
	}
}

func hasTemplates(msgs [][]byte) bool {
	for _, m := range msgs {
		if len(m) > msgHeaderLen+2 && binary.BigEndian.Uint16(m[msgHeaderLen:]) == templateSetID {
			return true
		}
	}
	return false
}

// TestMessageLimits: many events are split into messages no larger than
// MaxMessage, each a well-formed IPFIX message, the sequence numbers
// counting the records before each message.
func TestMessageLimits(t *testing.T) {
	col := listen(t, "127.0.0.1:0")
	defer col.conn.Close()
	e, err := New(Options{Collector: col.conn.LocalAddr().String(), MaxMessage: 512, FlushDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents()
	const total = 200
	for i := 0; i < total; i++ {
		e.Export(evs[i%len(evs)])
	}
	msgs := col.until(5*time.Second, func(m [][]byte) bool { n, _ := records(m); return n >= total })
	e.Close()
	seq := uint32(0)
	for _, m := range msgs {
		if len(m) > 512 || binary.BigEndian.Uint16(m) != 10 || int(binary.BigEndian.Uint16(m[2:])) != len(m) {
			t.Fatalf("bad message: len %d, header % x", len(m), m[:16])
		}
		if got := binary.BigEndian.Uint32(m[8:]); got != seq {
			t.Errorf("sequence %d, want %d", got, seq)
		}
		n, _ := records([][]byte{m})
		seq += uint32(n)
	}
	if seq != total {
		t.Errorf("%d records arrived, want %d", seq, total)
	}
}
