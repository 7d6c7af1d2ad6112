package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	bi := func(v string, settings ...string) *debug.BuildInfo {
		b := &debug.BuildInfo{Main: debug.Module{Path: "github.com/xlatd/xlatd", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			b.Settings = append(b.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return b
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		name, v, rev string
		bi           *debug.BuildInfo
		want         string
	}{
		{"make build (ldflags)", "1.2.0", rev, bi("(devel)"), "1.2.0 (0123456789ab)"},
		{"ldflags win over the VCS stamp", "1.2.0", rev, bi("(devel)", "vcs.revision", "ffffffffffffffff"), "1.2.0 (0123456789ab)"},
		{"go build in a checkout", "", "", bi("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "dev (0123456789ab)"},
		{"modified tree", "", "", bi("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "dev (0123456789ab+dirty)"},
		{"go install @v1.2.0", "", "", bi("v1.2.0"), "v1.2.0"},
		{"go install @commit (pseudo-version)", "", "", bi("v0.0.0-20261127165500-0123456789ab"), "v0.0.0-20261127165500-0123456789ab (0123456789ab)"},
		{"nothing known", "", "", nil, "dev"},
	} {
		if got := formatVersion(c.v, c.rev, c.bi); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestVersionBuilt builds xlatd both ways an operator gets it (make build's
// -ldflags, a plain go build / go install from a checkout) and checks that
// -version names the commit.
func TestVersionBuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed: no revision to compare with")
	}
	out, err := exec.Command(git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): go build records no VCS revision", err)
	}
	head := strings.TrimSpace(string(out))
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"ldflags", []string{"-ldflags", "-X main.version=9.8.7 -X main.revision=" + head}, []string{"xlatd 9.8.7 (" + head[:12]}},
		// go 1.24 and later also derive a pseudo-version from the VCS stamp:
		// "xlatd v0.0.0-20261127165830-c862a716e3d2 (c862a716e3d2)".,
		{"plain (go install from a checkout)", []string{"-buildvcs=true"}, []string{"xlatd ", "(" + head[:12]}},
	} {
		bin := filepath.Join(dir, "xlatd-"+c.name)
		args := append([]string{"build", "-o", bin}, c.args...)
		cmd := exec.Command(goBin, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		out, err := exec.Command(bin, "-version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s -version: %v\n%s", c.name, err, out)
		}
		if c.args[0] == "-buildvcs=true" && !strings.Contains(string(out), "(") {
			top, _ := exec.Command(git, "rev-parse", "--show-toplevel").Output()
			if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !fi.IsDir() {
				// go (1.26) looks for a .git directory; a git worktree
				// has a .git file, and the binary gets no VCS stamp.
				t.Logf("%s: not checked in a git worktree (go records no vcs.revision there)", c.name)
				continue
			}
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s build: -version printed %q, want %q in it", c.name, out, w)
			}
		}
	}
}
