// Package ipfix exports NAT64 mapping events to an IPFIX collector
// (RFC 7011 over UDP) with the information elements of RFC 8158 ("IPFIX
// Information Elements for Logging NAT Events"): port block allocation and
// de-allocation, quota exceeded, addresses exhausted and ports exhausted.
//
// The exporter never blocks its caller: Export puts the event on a bounded
// queue and counts what does not fit (Dropped). One goroutine packs queued
// records into messages of at most MaxMessage bytes. Over UDP there is no
// session, so the templates are sent at start, every TemplateRefresh
// (RFC 7011 section 8.4) and after a send error (a collector that comes back
// after a restart learns them again within one message); the exporter keeps
// sending while the collector is away.
//
// Input is this package's Event; the NAT64 mapping log adapts its own
// event type to it.
package ipfix

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what happened.
type Kind uint8

const (
	BlockAllocated     Kind = iota + 1 // a port block was given to a subscriber
	BlockReleased                      // a port block went back to the pool
	QuotaExceeded                      // a subscriber needed more than max_blocks_per_subscriber
	AddressesExhausted                 // no pool4 address had a free block
	PortsExhausted                     // one pool4 address had no free port
)

func (k Kind) String() string {
	switch k {
	case BlockAllocated:
		return "block_allocated"
	case BlockReleased:
		return "block_released"
	case QuotaExceeded:
		return "quota_exceeded"
	case AddressesExhausted:
		return "addresses_exhausted"
	case PortsExhausted:
		return "ports_exhausted"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// natEvent values (IE 230), from the IANA "NAT Event Type" registry that
// RFC 8158 section 5 set up.
const (
	NatEventAddressesExhausted = 3  // NAT Addresses exhausted
	NatEventPortsExhausted     = 12 // NAT ports exhausted
	NatEventQuotaExceeded      = 13 // Quota Exceeded
	NatEventPortBlockAlloc     = 16 // Port block allocation
	NatEventPortBlockDealloc   = 17 // Port block de-allocation
)

// natQuotaExceededEvent (IE 466) value for "maximum entries per user"
// (RFC 8158 section 5, natQuotaExceededEvent registry).
const QuotaMaxEntriesPerUser = 3

// NatEvent is the natEvent value of k.
func (k Kind) NatEvent() uint8 {
	switch k {
	case BlockAllocated:
		return NatEventPortBlockAlloc
	case BlockReleased:
		return NatEventPortBlockDealloc
	case QuotaExceeded:
		return NatEventQuotaExceeded
	case AddressesExhausted:
		return NatEventAddressesExhausted
	case PortsExhausted:
		return NatEventPortsExhausted
	}
	return 0
}

// Event is one NAT event. Which fields matter depends on Kind:
//
//	BlockAllocated, BlockReleased: Subscriber, Pool4, PortFirst, PortLast
//	QuotaExceeded:                 Subscriber, Limit (blocks the subscriber may hold)
//	AddressesExhausted:            PoolID
//	PortsExhausted:                Pool4
type Event struct {
	Time       time.Time
	Kind       Kind
	Subscriber netip.Prefix // the subscriber's IPv6 prefix (a /128 for a single host)
	Pool4      netip.Addr
	PortFirst  uint16
	PortLast   uint16
	PoolID     uint32
	Limit      uint32
}

// Information elements used (IANA IPFIX registry; lengths in bytes).
const (
	ieSourceIPv6Address         = 27  // ipv6Address
	ieSourceIPv6PrefixLength    = 29  // unsigned8
	iePostNATSourceIPv4Address  = 225 // ipv4Address
	ieNatEvent                  = 230 // unsigned8
	ieNatPoolID                 = 283 // unsigned32
	ieObservationTimeMillis     = 323 // dateTimeMilliseconds
	iePortRangeStart            = 361 // unsigned16
	iePortRangeEnd              = 362 // unsigned16
	iePortRangeStepSize         = 363 // unsigned16
	iePortRangeNumPorts         = 364 // unsigned16
	ieNatQuotaExceededEvent     = 466 // unsigned32
	ieMaxEntriesPerUser         = 473 // unsigned32
	templateSetID               = 2
	ipfixVersion                = 10
	msgHeaderLen                = 16
	setHeaderLen                = 4
	defaultMaxMessage           = 1400
	defaultQueue                = 4096
	defaultTemplateRefreshEvery = 60 * time.Second
)

type field struct{ id, length uint16 }

type template struct {
	id     uint16
	fields []field
	size   int // data record length
}

func newTemplate(id uint16, fields ...field) *template {
	t := &template{id: id, fields: fields}
	for _, f := range fields {
		t.size += int(f.length)
	}
	return t
}

// The templates, one per record layout (RFC 8158 section 4.2 lists the
// fields of each event; the NAT64 variants carry sourceIPv6Address).
var (
	tmplPortBlock = newTemplate(256,
		field{ieObservationTimeMillis, 8}, field{ieNatEvent, 1},
		field{ieSourceIPv6Address, 16}, field{ieSourceIPv6PrefixLength, 1},
		field{iePostNATSourceIPv4Address, 4},
		field{iePortRangeStart, 2}, field{iePortRangeEnd, 2},
		field{iePortRangeStepSize, 2}, field{iePortRangeNumPorts, 2})
	tmplQuota = newTemplate(257,
		field{ieObservationTimeMillis, 8}, field{ieNatEvent, 1},
		field{ieNatQuotaExceededEvent, 4}, field{ieMaxEntriesPerUser, 4},
		field{ieSourceIPv6Address, 16}, field{ieSourceIPv6PrefixLength, 1})
	tmplAddrExhausted = newTemplate(258,
		field{ieObservationTimeMillis, 8}, field{ieNatEvent, 1}, field{ieNatPoolID, 4})
	tmplPortsExhausted = newTemplate(259,
		field{ieObservationTimeMillis, 8}, field{ieNatEvent, 1}, field{iePostNATSourceIPv4Address, 4})
	templates = []*template{tmplPortBlock, tmplQuota, tmplAddrExhausted, tmplPortsExhausted}
)

func templateOf(k Kind) *template {
	switch k {
	case BlockAllocated, BlockReleased:
		return tmplPortBlock
	case QuotaExceeded:
		return tmplQuota
	case AddressesExhausted:
		return tmplAddrExhausted
	case PortsExhausted:
		return tmplPortsExhausted
	}
	return nil
}

// appendRecord appends ev's data record (in the layout of templateOf(ev.Kind)).
func appendRecord(b []byte, ev *Event) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(ev.Time.UnixMilli()))
	b = append(b, ev.Kind.NatEvent())
	v6 := func(b []byte) []byte {
		a := ev.Subscriber.Addr()
		if !a.Is6() {
			a = netip.IPv6Unspecified()
		}
		s := a.As16()
		b = append(b, s[:]...)
		bits := ev.Subscriber.Bits()
		if bits < 0 {
			bits = 128
		}
		return append(b, uint8(bits))
	}
	v4 := func(b []byte) []byte {
		a := ev.Pool4
		if !a.Is4() {
			a = netip.IPv4Unspecified()
		}
		s := a.As4()
		return append(b, s[:]...)
	}
	switch ev.Kind {
	case BlockAllocated, BlockReleased:
		b = v6(b)
		b = v4(b)
		b = binary.BigEndian.AppendUint16(b, ev.PortFirst)
		b = binary.BigEndian.AppendUint16(b, ev.PortLast)
		b = binary.BigEndian.AppendUint16(b, 1)
		n := 0
		if ev.PortLast >= ev.PortFirst {
			n = int(ev.PortLast) - int(ev.PortFirst) + 1
		}
		if n > 0xffff {
			n = 0xffff // the whole range 0-65535 does not fit unsigned16
		}
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	case QuotaExceeded:
		b = binary.BigEndian.AppendUint32(b, QuotaMaxEntriesPerUser)
		b = binary.BigEndian.AppendUint32(b, ev.Limit)
		b = v6(b)
	case AddressesExhausted:
		b = binary.BigEndian.AppendUint32(b, ev.PoolID)
	case PortsExhausted:
		b = v4(b)
	}
	return b
}

// appendTemplateSet appends one Template Set with every template.
func appendTemplateSet(b []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, templateSetID)
	b = binary.BigEndian.AppendUint16(b, 0) // length, below
	for _, t := range templates {
		b = binary.BigEndian.AppendUint16(b, t.id)
		b = binary.BigEndian.AppendUint16(b, uint16(len(t.fields)))
		for _, f := range t.fields {
			b = binary.BigEndian.AppendUint16(b, f.id)
			b = binary.BigEndian.AppendUint16(b, f.length)
		}
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

// Options configure an Exporter.
type Options struct {
	// Collector is "host:port" of the IPFIX collector (UDP; 4739 is the
	// IANA port).
	Collector string
	// ObservationDomain identifies this exporter to the collector.
	ObservationDomain uint32
	// TemplateRefresh is how often the templates are resent (default 60 s).
	TemplateRefresh time.Duration
	// Queue is the number of events held while the sender is busy
	// (default 4096); what does not fit is dropped and counted.
	Queue int
	// MaxMessage bounds a message (default 1400 bytes: one unfragmented
	// datagram on any path with a 1500-byte MTU).
	MaxMessage int
	// FlushDelay is how long the sender waits for more events to fill a
	// message (default 0: send as soon as the queue is empty).
	FlushDelay time.Duration
	Logger     *slog.Logger
}

// Stats are the exporter's counters.
type Stats struct {
	Exported   uint64 // data records sent
	Dropped    uint64 // events dropped because the queue was full
	Messages   uint64 // IPFIX messages sent
	Templates  uint64 // template sets sent
	SendErrors uint64 // datagrams the kernel refused (e.g. collector down: ICMP port unreachable)
}

// Exporter sends events to one collector.
type Exporter struct {
	o      Options
	conn   *net.UDPConn
	queue  chan Event
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup

	exported, dropped, messages, templatesSent, sendErrors atomic.Uint64

	seq uint32 // data records sent before the current message (RFC 7011 3.1)
}

// New resolves the collector, opens the UDP socket and starts the sender;
// the templates go out at once.
func New(o Options) (*Exporter, error) {
	if o.Collector == "" {
		return nil, errors.New("ipfix: no collector")
	}
	if o.TemplateRefresh <= 0 {
		o.TemplateRefresh = defaultTemplateRefreshEvery
	}
	if o.Queue <= 0 {
		o.Queue = defaultQueue
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = defaultMaxMessage
	}
	if min := msgHeaderLen + setHeaderLen + tmplPortBlock.size; o.MaxMessage < min+64 {
		o.MaxMessage = min + 64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ua, err := net.ResolveUDPAddr("udp", o.Collector)
	if err != nil {
		return nil, fmt.Errorf("ipfix: collector %q: %w", o.Collector, err)
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, fmt.Errorf("ipfix: collector %q: %w", o.Collector, err)
	}
	e := &Exporter{o: o, conn: c, queue: make(chan Event, o.Queue), done: make(chan struct{})}
	e.wg.Add(1)
	go e.run()
	return e, nil
}

// Export queues ev without blocking; it reports false (and counts the
// event as dropped) when the queue is full or the exporter is closed.
func (e *Exporter) Export(ev Event) bool {
	if templateOf(ev.Kind) == nil {
		e.dropped.Add(1)
		return false
	}
	select {
	case <-e.done:
		e.dropped.Add(1)
		return false
	default:
	}
	select {
	case e.queue <- ev:
		return true
	default:
		e.dropped.Add(1)
		return false
	}
}

// Stats returns the counters.
func (e *Exporter) Stats() Stats {
	return Stats{Exported: e.exported.Load(), Dropped: e.dropped.Load(), Messages: e.messages.Load(),
		Templates: e.templatesSent.Load(), SendErrors: e.sendErrors.Load()}
}

// Close sends what is queued and stops the exporter.
func (e *Exporter) Close() error {
	e.closed.Do(func() { close(e.done) })
	e.wg.Wait()
	return e.conn.Close()
}

func (e *Exporter) run() {
	defer e.wg.Done()
	refresh := time.NewTicker(e.o.TemplateRefresh)
	defer refresh.Stop()
	needTemplates := true
	e.flush(nil, &needTemplates) // templates at start
	var pending []Event
	for {
		select {
		case ev := <-e.queue:
			pending = append(pending[:0], ev)
			if e.o.FlushDelay > 0 {
				t := time.NewTimer(e.o.FlushDelay)
			fill:
				for len(pending) < 1024 {
					select {
					case ev := <-e.queue:
						pending = append(pending, ev)
					case <-t.C:
						break fill
					}
				}
				t.Stop()
			}
			pending = e.drain(pending)
			e.flush(pending, &needTemplates)
		case <-refresh.C:
			needTemplates = true
			e.flush(nil, &needTemplates)
		case <-e.done:
			pending = e.drain(pending[:0])
			e.flush(pending, &needTemplates)
			return
		}
	}
}

// drain adds whatever is queued now (bounded, so one burst cannot starve
// the template refresh).
func (e *Exporter) drain(p []Event) []Event {
	for len(p) < 4096 {
		select {
		case ev := <-e.queue:
			p = append(p, ev)
		default:
			return p
		}
	}
	return p
}

// flush sends evs in as many messages as needed, the templates first when
// needTemplates is set (with nothing to send: a message of templates only).
func (e *Exporter) flush(evs []Event, needTemplates *bool) {
	buf := make([]byte, 0, e.o.MaxMessage)
	for first := true; first || len(evs) > 0; first = false {
		buf = buf[:msgHeaderLen]
		if *needTemplates {
			buf = appendTemplateSet(buf)
			e.templatesSent.Add(1)
			*needTemplates = false
		}
		n := 0
		var set int
		var cur *template
		for len(evs) > 0 {
			t := templateOf(evs[0].Kind)
			if t != cur {
				if len(buf)+setHeaderLen+t.size > e.o.MaxMessage {
					break
				}
				if cur != nil {
					binary.BigEndian.PutUint16(buf[set+2:], uint16(len(buf)-set))
				}
				set = len(buf)
				buf = binary.BigEndian.AppendUint16(buf, t.id)
				buf = binary.BigEndian.AppendUint16(buf, 0)
				cur = t
			} else if len(buf)+t.size > e.o.MaxMessage {
				break
			}
			buf = appendRecord(buf, &evs[0])
			evs = evs[1:]
			n++
		}
		if cur != nil {
			binary.BigEndian.PutUint16(buf[set+2:], uint16(len(buf)-set))
		}
		if len(buf) == msgHeaderLen {
			return
		}
		binary.BigEndian.PutUint16(buf[0:], ipfixVersion)
		binary.BigEndian.PutUint16(buf[2:], uint16(len(buf)))
		binary.BigEndian.PutUint32(buf[4:], uint32(time.Now().Unix()))
		binary.BigEndian.PutUint32(buf[8:], e.seq)
		binary.BigEndian.PutUint32(buf[12:], e.o.ObservationDomain)
		if _, err := e.conn.Write(buf); err != nil {
			// The collector is away (ICMP port unreachable) or the
			// network is: the records are lost, as UDP allows; send the
			// templates again with the next message, for a collector
			// that restarts.
			if e.sendErrors.Add(1) == 1 || e.sendErrors.Load()%1000 == 0 {
				e.o.Logger.Warn("ipfix: cannot send to the collector; continuing", "collector", e.o.Collector, "err", err,
					"send_errors", e.sendErrors.Load())
			}
			*needTemplates = true
		} else {
			e.messages.Add(1)
			e.exported.Add(uint64(n))
		}
		// RFC 7011 3.1: the sequence number counts data records sent,
		// lost or not.
		e.seq += uint32(n)
	}
}
