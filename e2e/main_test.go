// Package e2e runs xlatd for real: it builds network namespaces and veth
// pairs (scripts/netns/setup.sh), starts the xlatd binary in the translator's
// namespace, and sends traffic through it with the kernel's own sockets and
// with raw frames (AF_PACKET). Every test needs root; without it the tests
// skip with a message. Every test makes its own namespaces (a unique prefix),
// is bounded in packets and seconds, and removes what it made through
// t.Cleanup, also on failure. Only documentation prefixes are used, except
// that the Jool graybox replay carries the corpus's own addresses between the
// test's own namespaces.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	repoRoot  string // the repository (parent of e2e/)
	xlatdBin  string // built once in TestMain
	buildErr  error  // why xlatd could not be built
	notRoot   bool
	setupPath string
	tmpDir    string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	wd, _ := os.Getwd()
	repoRoot = filepath.Dir(wd)
	setupPath = filepath.Join(repoRoot, "scripts", "netns", "setup.sh")
	notRoot = os.Geteuid() != 0
	if !notRoot {
		removeStale()
		var err error
		tmpDir, err = os.MkdirTemp("", "xlatd-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmpDir)
		xlatdBin = filepath.Join(tmpDir, "xlatd")
		goBin := "go"
		if _, err := exec.LookPath(goBin); err != nil {
			goBin = "/usr/local/go/bin/go"
		}
		cmd := exec.Command(goBin, "build", "-o", xlatdBin, "./cmd/xlatd")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/xlatd: %v\n%s", err, out)
		}
	}
	return m.Run()
}

// needXlatd fails the test when the daemon did not build.
func needXlatd(t *testing.T) {
	t.Helper()
	needRoot(t)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// needRoot skips the test when not root.
func needRoot(t *testing.T) {
	t.Helper()
	if notRoot {
		t.Skip("e2e tests need root (network namespaces, XDP): run make test as root")
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: make test installs it (apt-get install iproute2 iputils-ping)", tool)
		}
	}
}
