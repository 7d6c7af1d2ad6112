// Package gen is the pure core of xlatd's benchmark traffic generator and
// sink: UDP frame templates that carry a sequence number and a send
// timestamp, a token bucket that paces batches, a fixed-size latency
// histogram, a sequence tracker for loss, duplication and reordering
// (RFC 4737), and the generator and sink loops written against two small
// port interfaces (TxPort, RxPort). The AF_XDP and AF_PACKET ports live in
// package bench/port; tests drive the loops through in-memory fakes.
//
// Nothing here allocates per packet: frames are stamped in place, the
// histograms are fixed arrays and the sequence bitmap is sized once per
// trial.
package gen
