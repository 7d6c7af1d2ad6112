package dataplane

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// prefault faults in the NAT64 tables before any socket is bound, so that
// the first sessions after a start do not pay first-touch page faults (each
// zeroing a 2 MiB huge page) on the packet path: measured on the testbed,
// a cold table lost about 75% of the first 30,000 new flows. The tables
// are sized by nat64.max_sessions; when they would take more than half of
// the memory available now, they stay lazily mapped and a warning says so.
func (d *Datapath) prefault() {
	total := 0
	for _, t := range d.tables {
		total += t.MappedBytes()
	}
	if total == 0 {
		return
	}
	avail := memAvailable()
	if avail > 0 && uint64(total) > avail/2 {
		d.log.Warn("nat64 tables are not faulted in at start: they would take more than half of the available memory; new sessions pay first-touch page faults until the tables are warm (lower nat64.max_sessions to size them)",
			"table_MiB", total>>20, "available_MiB", avail>>20)
		return
	}
	start := time.Now()
	for _, t := range d.tables {
		if _, err := t.Prefault(); err != nil {
			d.log.Warn("nat64 tables: faulting in failed; they stay lazily mapped", "err", err)
			return
		}
	}
	d.log.Info("nat64 tables faulted in", "MiB", total>>20, "took", time.Since(start).Round(time.Millisecond))
}

// memAvailable is MemAvailable of /proc/meminfo in bytes, 0 if unknown.
func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != "MemAvailable" {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
