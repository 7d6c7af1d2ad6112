package graybox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRows(t *testing.T) {
	main := 0
	for i := range Rows {
		if !Rows[i].Extra {
			main++
		}
	}
	if main != 124 {
		t.Fatalf("%d SIIT rows, INDEX.md section 5 has 124", main)
	}
}

// TestCompareSelf: every expected packet equals itself under its row's
// rules, and a changed byte outside the exempt fields is reported.
func TestCompareSelf(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		if Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	for i := range Rows {
		r := &Rows[i]
		for _, w := range r.Want {
			want, err := os.ReadFile(filepath.Join(dir, w))
			if err != nil {
				t.Fatal(err)
			}
			if p := Compare(r, want, want); len(p) != 0 {
				t.Errorf("%s: %s compared with itself: %v", r.Name, w, p)
			}
			got := append([]byte(nil), want...)
			got[len(got)-1] ^= 0x40
			if p := Compare(r, want, got); len(p) == 0 {
				t.Errorf("%s: changed last byte not detected", r.Name)
			}
			if p := Compare(r, want, got[:len(got)-1]); len(p) == 0 {
				t.Errorf("%s: shorter packet not detected", r.Name)
			}
		}
	}
}
