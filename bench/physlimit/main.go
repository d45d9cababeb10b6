// Command physlimit is the floor a no-op run is measured against: it
// does, for every managed path, only what any check of that path must do
// (one lstat, and for a regular file reading and hashing its content),
// and nothing else: no manifest, no catalog, no report.
//
//	go run ./bench/physlimit /tmp/b10k/files.txt
//
// reads the paths, one per line, that bench/gen wrote, and prints how many
// it examined and the combined digest (so the work cannot be skipped).
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: physlimit FILES.txt")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "physlimit:", err)
		os.Exit(1)
	}
}

func run(list string) error {
	f, err := os.Open(list)
	if err != nil {
		return err
	}
	defer f.Close()
	total := sha256.New()
	n, files := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path := sc.Text()
		if path == "" {
			continue
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		n++
		if !fi.Mode().IsRegular() {
			continue
		}
		h := sha256.New()
		r, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return err
		}
		total.Write(h.Sum(nil))
		files++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Printf("%d paths, %d files hashed, digest %x\n", n, files, total.Sum(nil))
	return nil
}
