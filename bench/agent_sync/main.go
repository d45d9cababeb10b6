// Command agent_sync measures the limit "an incremental sync of a one-file
// change in a 10,000-file repository is no slower than twice git fetch +
// git checkout with the git CLI on the same repository". It builds the
// repository with the git CLI in a temporary directory, makes a first sync
// both ways, then times N one-file changes both ways and prints the medians
// and their ratio. Run: go run ./bench/agent_sync [-files 10000] [-rounds 5] [-daemon]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/gapply/gapply/gitsync"
)

func main() {
	files := flag.Int("files", 10000, "files in the repository")
	rounds := flag.Int("rounds", 5, "one-file changes timed")
	daemon := flag.Bool("daemon", false, "fetch from git daemon over git:// on loopback (both sides) instead of the bare repository's path")
	flag.Parse()
	if err := run(*files, *rounds, *daemon); err != nil {
		fmt.Fprintln(os.Stderr, "agent_sync:", err)
		os.Exit(1)
	}
}

func git(dir string, args ...string) error {
	cmd := exec.Command("git", append([]string{"-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %v\n%s", args, err, out)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func run(files, rounds int, daemon bool) error {
	base, err := os.MkdirTemp("", "agent_sync")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	work, bare, clone := filepath.Join(base, "work"), filepath.Join(base, "site.git"), filepath.Join(base, "clone")
	for i := 0; i < files; i++ {
		p := filepath.Join(work, fmt.Sprintf("d%03d", i%100), fmt.Sprintf("f%05d.pp", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("# file %d\nnotice('%d')\n", i, i)), 0o644); err != nil {
			return err
		}
	}
	steps := [][]string{{"init", "-q", "-b", "production"}, {"add", "-A"}, {"commit", "-q", "-m", "init"}}
	for _, s := range steps {
		if err := git(work, s...); err != nil {
			return err
		}
	}
	if err := git(base, "clone", "-q", "--bare", work, bare); err != nil {
		return err
	}
	url := bare
	if daemon {
		port, stop, err := startDaemon(base)
		if err != nil {
			return err
		}
		defer stop()
		url = fmt.Sprintf("git://127.0.0.1:%d/site.git", port)
	}
	if err := git(base, "clone", "-q", "-b", "production", url, clone); err != nil {
		return err
	}
	s := &gitsync.Syncer{Dir: filepath.Join(base, "state")}
	src := gitsync.Source{URL: url, Branch: "production"}
	ctx := context.Background()
	if _, err := s.Sync(ctx, src); err != nil {
		return err
	}
	var ours, theirs []time.Duration
	for r := 0; r < rounds; r++ {
		p := filepath.Join(work, "d000", "f00000.pp")
		if err := os.WriteFile(p, []byte(fmt.Sprintf("notice('round %d')\n", r)), 0o644); err != nil {
			return err
		}
		if err := git(work, "commit", "-q", "-am", fmt.Sprint("round ", r)); err != nil {
			return err
		}
		if err := git(work, "push", "-q", bare, "production"); err != nil {
			return err
		}
		start := time.Now()
		if err := git(clone, "fetch", "-q", "origin"); err != nil {
			return err
		}
		if err := git(clone, "checkout", "-q", "-B", "production", "origin/production"); err != nil {
			return err
		}
		theirs = append(theirs, time.Since(start))
		start = time.Now()
		if _, err := s.Sync(ctx, src); err != nil {
			return err
		}
		ours = append(ours, time.Since(start))
	}
	o, t := median(ours), median(theirs)
	fmt.Printf("url=%s files=%d rounds=%d gitsync median=%v git fetch+checkout median=%v ratio=%.2f (limit 2.00)\n",
		url, files, rounds, o.Round(time.Millisecond), t.Round(time.Millisecond), float64(o)/float64(t))
	return nil
}

// startDaemon serves base over git:// on a free loopback port.
func startDaemon(base string) (int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--base-path="+base,
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), base)
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() } //nolint:errcheck // stopping
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port, stop, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	return 0, nil, fmt.Errorf("git daemon did not start")
}
