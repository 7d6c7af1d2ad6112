package dataplane

import (
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/nat64"
)

// The two places the worker meets batch's NAT64 API (docs/DESIGN.md,
// "NAT64 in the datapath").

// setNAT64 gives the translator the worker's own table.
func setNAT64(tr *batch.Translator, t *nat64.Table, worker int) { tr.SetNAT64(t, worker) }

// handoffOwner reports whether the translator handed f to another worker,
// and which.
func handoffOwner(f *batch.Frame) (int, bool) {
	return int(f.Owner), f.Verdict == batch.Handoff
}
