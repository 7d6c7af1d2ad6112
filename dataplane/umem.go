package dataplane

import (
	"unsafe"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
)

// This file holds the worker's UMEM side: the free-frame stack of each
// UMEM, the allocator the translator takes fragment buffers from, and the
// completion and fill rings that move chunks between the kernel and the
// free stacks.

// reserve is how many free frames refills leave on the stack for copies
// between UMEMs and fragments created by the translator.
const reserve = 2 * batch.Size

// memState is one UMEM as a worker sees it: its free chunks, and the whole
// area so that chunks are sliced from it without an interface call.
type memState struct {
	mem   Mem
	free  *afxdp.FrameStack
	area  []byte
	fs    uint64
	base  uintptr
	size  uintptr
	fmask uint64
}

// chunk returns the chunk address containing addr.
func (m *memState) chunk(addr uint64) uint64 { return addr &^ m.fmask }

// frame returns the whole chunk at chunk address c.
func (m *memState) frame(c uint64) []byte { return m.area[c : c+m.fs : c+m.fs] }

// addMem returns the index of m among the worker's UMEMs, adding it (with
// every chunk on its free stack) the first time.
func (w *Worker) addMem(m Mem) int {
	for i := 0; i < w.nmems; i++ {
		if w.mems[i].mem == m {
			return i
		}
	}
	i := w.nmems
	w.nmems++
	fs := m.FrameSize()
	st := memState{mem: m, free: afxdp.NewFrameStack(m.NumFrames()), fmask: uint64(fs - 1)}
	// A UMEM is one contiguous mapping: chunk 0 starts it.
	first := m.Frame(0)
	st.area = unsafe.Slice(unsafe.SliceData(first), m.NumFrames()*fs)
	st.fs = uint64(fs)
	st.base = uintptr(unsafe.Pointer(unsafe.SliceData(first)))
	st.size = uintptr(m.NumFrames() * fs)
	for c := m.NumFrames() - 1; c >= 0; c-- {
		st.free.Push(uint64(c * fs))
	}
	w.mems[i] = st
	return i
}

// chunkOf finds the UMEM and chunk a buffer lives in.
func (w *Worker) chunkOf(buf []byte) (mi int, chunk uint64, ok bool) {
	if cap(buf) == 0 {
		return 0, 0, false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	for i := 0; i < w.nmems; i++ {
		m := &w.mems[i]
		if p >= m.base && p < m.base+m.size {
			return i, uint64(p-m.base) &^ m.fmask, true
		}
	}
	return 0, 0, false
}

func (w *Worker) release(mi int, chunk uint64) {
	w.mems[mi].free.Push(chunk)
}

// recycle moves completed TX frames back to the free stacks.
func (w *Worker) recycle() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		m := &w.mems[ps.mem]
		for i := 0; i < 4; i++ {
			n := ps.port.Complete(w.addrs[:])
			for _, a := range w.addrs[:n] {
				m.free.Push(m.chunk(a))
			}
			if n < len(w.addrs) {
				break
			}
		}
	}
}

// refill gives free frames to the fill rings, keeping a reserve.
func (w *Worker) refill() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		m := &w.mems[ps.mem]
		n := ps.port.FillFree(len(w.addrs))
		if n <= 0 {
			continue
		}
		if n > len(w.addrs) {
			n = len(w.addrs)
		}
		if avail := m.free.Len() - reserve; n > avail {
			if avail <= 0 {
				w.dp[FillEmpty]++
				continue
			}
			n = avail
		}
		k := m.free.PopN(w.addrs[:n])
		f := ps.port.Fill(w.addrs[:k])
		if f < k {
			m.free.PushN(w.addrs[f:k])
		}
		if f > 0 {
			if err := ps.port.WakeupFill(); err != nil {
				w.dp[WakeupErrors]++
			}
		}
	}
}

// allocator hands the translator spare frames from the IPv6 side's UMEM
// (fragments are created on the way to the IPv6 side) and remembers them so
// that the ones not transmitted go back to the free stack.
type allocator struct {
	w        *Worker
	handed   [2 * batch.ExtraSize]uint64
	resolved [2 * batch.ExtraSize]bool
	n        int
}

func (a *allocator) Get() []byte {
	m := &a.w.mems[0]
	if a.n == len(a.handed) {
		return nil
	}
	c, ok := m.free.Pop()
	if !ok {
		return nil
	}
	a.handed[a.n], a.resolved[a.n] = c, false
	a.n++
	return m.frame(c)
}

// resolve marks the handed-out chunk as dealt with.
func (a *allocator) resolve(mi int, chunk uint64) {
	if mi != 0 {
		return
	}
	for i := 0; i < a.n; i++ {
		if a.handed[i] == chunk && !a.resolved[i] {
			a.resolved[i] = true
			return
		}
	}
}

// releaseUnused gives back the allocator's buffers that were not sent.
func (a *allocator) releaseUnused() {
	for i := 0; i < a.n; i++ {
		if !a.resolved[i] {
			a.w.release(0, a.handed[i])
		}
	}
	a.n = 0
}
