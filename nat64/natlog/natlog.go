// Package natlog carries NAT64 mapping events (RFC 6888 REQ-12): one event
// per port-block allocation and release, plus quota-exceeded and
// address-exhaustion events, never one per session and never with
// destinations. The event is a plain value so that a writer of JSON lines
// (this package) and an IPFIX exporter (RFC 8158 NAT events) consume the
// same thing through Sink.
package natlog

import (
	"bufio"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Kind is what happened.
type Kind uint8

// Event kinds; Kind.IPFIX gives the RFC 8158 natEvent of each.
const (
	BlockAlloc       Kind = iota + 1 // a port block was handed to a subscriber
	BlockRelease                     // the subscriber gave the block back
	QuotaExceeded                    // the subscriber hit its port or session quota
	AddressExhausted                 // no pool4 address had a free block
)

var kindNames = [...]string{"", "block-alloc", "block-release", "quota-exceeded", "address-exhausted"}

// String is the name used in the log lines.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// IPFIX returns the RFC 8158 natEvent value (IANA "natEvent" registry, the
// numbers natlog/ipfix exports): 16 Port block allocation, 17 Port block
// de-allocation, 13 Quota Exceeded, 3 NAT addresses exhausted.
func (k Kind) IPFIX() uint8 {
	switch k {
	case BlockAlloc:
		return 16
	case BlockRelease:
		return 17
	case QuotaExceeded:
		return 13
	case AddressExhausted:
		return 3
	}
	return 0
}

// Event is one mapping event. Pool4 and the port range are zero for
// AddressExhausted; Subscriber is the subscriber's IPv6 prefix
// (nat64.subscriber_prefix_length).
type Event struct {
	Time       time.Time
	Kind       Kind
	Subscriber netip.Prefix
	Pool4      netip.Addr
	PortLo     uint16
	PortHi     uint16
}

// Sink consumes events. Write must not block the packet path: the NAT64
// state calls it from a worker; Queue is the Sink to hand it.
type Sink interface{ Write(Event) }

// Discard drops every event.
type Discard struct{}

// Write drops e.
func (Discard) Write(Event) {}

// Queue is a bounded single-consumer queue of events: Write never blocks
// and counts what it drops when the consumer lags. Several workers may
// Write concurrently.
type Queue struct {
	ch      chan Event
	dropped atomic.Uint64
}

// NewQueue returns a queue holding up to n events.
func NewQueue(n int) *Queue { return &Queue{ch: make(chan Event, n)} }

// Write enqueues e or counts it as dropped.
func (q *Queue) Write(e Event) {
	select {
	case q.ch <- e:
	default:
		q.dropped.Add(1)
	}
}

// Dropped is the number of events lost because the queue was full.
func (q *Queue) Dropped() uint64 { return q.dropped.Load() }

// Events is the consumer's end; it is closed by Close.
func (q *Queue) Events() <-chan Event { return q.ch }

// Close ends the queue; Write must not be called after it.
func (q *Queue) Close() { close(q.ch) }

// Run writes every event of q to w until q is closed, in format "json"
// (one object a line) or "text", flushing whenever the queue runs empty,
// and forwards each to the extra sinks (an IPFIX exporter). Run it on a
// goroutine of its own.
func Run(q *Queue, w io.Writer, format string, extra ...Sink) error {
	bw := bufio.NewWriter(w)
	var line []byte
	for e := range q.ch {
		line = Append(line[:0], e, format)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		for _, s := range extra {
			s.Write(e)
		}
		if len(q.ch) == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

type jsonEvent struct {
	Time       string `json:"time"`
	Event      string `json:"event"`
	Subscriber string `json:"subscriber,omitempty"`
	Pool4      string `json:"pool4,omitempty"`
	Ports      string `json:"ports,omitempty"`
}

// Append appends e as one line in format "json" or "text".
func Append(b []byte, e Event, format string) []byte {
	ports := ""
	if e.PortHi != 0 {
		ports = strconv.Itoa(int(e.PortLo)) + "-" + strconv.Itoa(int(e.PortHi))
	}
	sub, pool := "", ""
	if e.Subscriber.IsValid() {
		sub = e.Subscriber.String()
	}
	if e.Pool4.IsValid() {
		pool = e.Pool4.String()
	}
	ts := e.Time.UTC().Format(time.RFC3339Nano)
	if format == "text" {
		b = append(b, ts...)
		b = append(b, ' ')
		b = append(b, e.Kind.String()...)
		for _, kv := range [][2]string{{"subscriber", sub}, {"pool4", pool}, {"ports", ports}} {
			if kv[1] != "" {
				b = append(b, ' ')
				b = append(b, kv[0]...)
				b = append(b, '=')
				b = append(b, kv[1]...)
			}
		}
		return append(b, '\n')
	}
	j, _ := json.Marshal(jsonEvent{ts, e.Kind.String(), sub, pool, ports})
	b = append(b, j...)
	return append(b, '\n')
}

// Open returns the writer for log.mappings: os.Stderr for "stderr", nil
// for "off" (no mapping log), else the file, created or appended to.
func Open(mappings string) (io.WriteCloser, error) {
	switch mappings {
	case "stderr":
		return nopCloser{os.Stderr}, nil
	case "off", "":
		return nil, nil
	}
	return os.OpenFile(mappings, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
