// Command gen writes a benchmark manifest of N resources (see package
// bench/manifest for its shape) for bench/run.sh.
//
//	go run ./bench/gen -n 10000 -o /tmp/b10k
//
// writes /tmp/b10k/site.pp, which manages /tmp/b10k/root, and
// /tmp/b10k/files.txt, the managed paths that the physical-limit program
// (bench/physlimit) reads. With -execs K it writes instead a manifest of
// K independent execs that each sleep -sleep, to measure --parallel.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapply/gapply/bench/manifest"
)

func main() {
	n := flag.Int("n", 1000, "number of resources in the manifest")
	out := flag.String("o", "", "output directory (required)")
	root := flag.String("root", "", "directory the manifest manages (default OUT/root)")
	execs := flag.Int("execs", 0, "instead: a manifest of this many independent sleeping execs")
	sleep := flag.String("sleep", "0.05", "seconds each exec of -execs sleeps")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -o DIR is required")
		os.Exit(2)
	}
	if err := run(*n, *out, *root, *execs, *sleep); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, out, root string, execs int, sleep string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if root == "" {
		root = filepath.Join(out, "root")
	}
	if root, err = filepath.Abs(root); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if execs > 0 {
		return os.WriteFile(filepath.Join(out, "site.pp"), []byte(manifest.Sleepers(execs, sleep, root)), 0o644)
	}
	if n < manifest.MinResources {
		return fmt.Errorf("-n %d is too small: the smallest manifest has %d resources", n, manifest.MinResources)
	}
	pp, paths := manifest.Files(n, root)
	if err := os.WriteFile(filepath.Join(out, "site.pp"), []byte(pp), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "files.txt"), []byte(strings.Join(paths, "\n")+"\n"), 0o644)
}
