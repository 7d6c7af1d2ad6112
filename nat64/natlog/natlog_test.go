package natlog

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestQueueAndFormats(t *testing.T) {
	q := NewQueue(2)
	e := Event{Time: time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC), Kind: BlockAlloc,
		Subscriber: netip.MustParsePrefix("2001:db8:1::/56"), Pool4: netip.MustParseAddr("192.0.2.1"), PortLo: 1024, PortHi: 1151}
	q.Write(e)
	q.Write(Event{Time: e.Time, Kind: AddressExhausted, Subscriber: e.Subscriber})
	q.Write(e) // full: dropped, counted
	if q.Dropped() != 1 {
		t.Fatal(q.Dropped())
	}
	q.Close()
	var buf bytes.Buffer
	var got []Event
	if err := Run(q, &buf, "json", sinkFunc(func(e Event) { got = append(got, e) })); err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-27T17:00:00Z","event":"block-alloc","subscriber":"2001:db8:1::/56","pool4":"192.0.2.1","ports":"1024-1151"}
{"time":"2026-11-27T17:00:00Z","event":"address-exhausted","subscriber":"2001:db8:1::/56"}
`
	if buf.String() != want || len(got) != 2 {
		t.Fatalf("got\n%s", buf.String())
	}
	if s := string(Append(nil, e, "text")); s != "2026-11-27T17:00:00Z block-alloc subscriber=2001:db8:1::/56 pool4=192.0.2.1 ports=1024-1151\n" {
		t.Fatal(s)
	}
	if BlockAlloc.IPFIX() != 16 || BlockRelease.IPFIX() != 17 || QuotaExceeded.IPFIX() != 13 || AddressExhausted.IPFIX() != 3 {
		t.Fatal("IPFIX natEvent values")
	}
}

type sinkFunc func(Event)

func (f sinkFunc) Write(e Event) { f(e) }

func TestOpen(t *testing.T) {
	if w, err := Open("off"); w != nil || err != nil {
		t.Fatal(w, err)
	}
	path := t.TempDir() + "/mappings.log"
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	q := NewQueue(4)
	q.Write(Event{Time: time.Unix(0, 0), Kind: BlockRelease})
	q.Close()
	if err := Run(q, w, "text"); err != nil {
		t.Fatal(err)
	}
	w.Close()
}
