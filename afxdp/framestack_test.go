package afxdp

import "testing"

func TestFrameStack(t *testing.T) {
	s := NewFrameStack(4)
	if _, ok := s.Pop(); ok || s.Len() != 0 || s.Cap() != 4 {
		t.Fatal("new stack not empty")
	}
	for i := uint64(1); i <= 4; i++ {
		if !s.Push(i * 4096) {
			t.Fatalf("push %d refused", i)
		}
	}
	if s.Push(99) {
		t.Fatal("push onto a full stack accepted")
	}
	if a, ok := s.Pop(); !ok || a != 4*4096 {
		t.Fatalf("Pop = %d %v, want the last pushed", a, ok)
	}
	out := make([]uint64, 8)
	if n := s.PopN(out); n != 3 || out[0] != 4096 || out[2] != 3*4096 {
		t.Fatalf("PopN = %d %v", n, out[:n])
	}
	if s.Len() != 0 {
		t.Fatal("not empty after PopN")
	}
	if n := s.PushN([]uint64{1, 2, 3, 4, 5, 6}); n != 4 || s.Len() != 4 {
		t.Fatalf("PushN = %d, len %d", n, s.Len())
	}
	a := testing.AllocsPerRun(100, func() {
		x, _ := s.Pop()
		s.Push(x)
		s.PopN(out[:2])
		s.PushN(out[:2])
	})
	if a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func BenchmarkFrameStack64(b *testing.B) {
	s := NewFrameStack(8192)
	for i := 0; i < 8192; i++ {
		s.Push(uint64(i) * 4096)
	}
	buf := make([]uint64, 64)
	b.ReportAllocs()
	for b.Loop() {
		s.PopN(buf)
		s.PushN(buf)
	}
}

func BenchmarkFrameStackSingle(b *testing.B) {
	s := NewFrameStack(8192)
	for i := 0; i < 8192; i++ {
		s.Push(uint64(i) * 4096)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, _ := s.Pop()
		s.Push(a)
	}
}
