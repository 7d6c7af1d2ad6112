package graybox

import (
	"os"
	"path/filepath"
	"strings"
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

// TestRowsMatchIndex checks the typed table against the corpus's
// INDEX.md section 5 (SIIT): same rows in the same order, same files, same
// directions. The table is the test's source; this only catches typing
// mistakes.
func TestRowsMatchIndex(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		if Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "INDEX.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	start := strings.Index(text, "### SIIT")
	end := strings.Index(text, "### NAT64")
	if start < 0 || end < start {
		t.Fatal("INDEX.md has no SIIT section")
	}
	var idx [][]string
	for _, line := range strings.Split(text[start:end], "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| name") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		idx = append(idx, cells)
	}
	var rows []*Row
	for i := range Rows {
		if !Rows[i].Extra {
			rows = append(rows, &Rows[i])
		}
	}
	if len(idx) != len(rows) {
		t.Fatalf("INDEX.md has %d SIIT rows, the table %d", len(idx), len(rows))
	}
	for i, c := range idx {
		r := rows[i]
		if base := strings.SplitN(strings.TrimSuffix(c[0], " (ck)"), " ", 2)[0]; !strings.HasPrefix(r.Name, base) {
			t.Errorf("row %d: table %q, INDEX.md %q", i, r.Name, c[0])
		}
		if c[1] != r.In {
			t.Errorf("row %d (%s): input %q, INDEX.md %q", i, r.Name, r.In, c[1])
		}
		if w := strings.Join(r.Want, " + "); c[2] != w {
			t.Errorf("row %d (%s): expected %q, INDEX.md %q", i, r.Name, w, c[2])
		}
		if !strings.Contains(c[3], ", "+r.Dir+")") {
			t.Errorf("row %d (%s): direction %s, INDEX.md %q", i, r.Name, r.Dir, c[3])
		}
		if hasEnv := strings.Contains(c[3], "[env:"); hasEnv != (r.Env != Env{}) {
			t.Errorf("row %d (%s): env %+v, INDEX.md %q", i, r.Name, r.Env, c[3])
		}
	}
}

func TestNAT64Rows(t *testing.T) {
	if len(NAT64Rows) != 42 {
		t.Fatalf("%d NAT64 rows, INDEX.md section 5 has 42", len(NAT64Rows))
	}
	for name := range NAT64Deviations {
		found := false
		for i := range NAT64Rows {
			found = found || NAT64Rows[i].Name == name
		}
		if !found {
			t.Errorf("NAT64Deviations names %q, which is no row", name)
		}
	}
}
