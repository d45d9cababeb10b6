package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnostics prints diagnostics the way compilers do: the location
// and message on one line, then the source line with a caret under the
// subject, then the detail. sources maps file names to their contents; a
// diagnostic whose file is unknown is printed without a snippet.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte) {
	for _, d := range diags {
		prefix := ""
		if d.Severity == hcl.DiagWarning {
			prefix = "warning: "
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "%s%s\n", prefix, d.Summary)
		} else {
			fmt.Fprintf(w, "%s:%d:%d: %s%s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, prefix, d.Summary)
			writeSnippet(w, *d.Subject, sources[d.Subject.Filename])
		}
		if d.Detail != "" {
			for _, line := range strings.Split(strings.TrimRight(d.Detail, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}

// writeSnippet prints the subject's first line and carets under the
// subject's columns on that line (at least one).
func writeSnippet(w io.Writer, rng hcl.Range, src []byte) {
	if src == nil || rng.Start.Line < 1 {
		return
	}
	lines := bytes.Split(src, []byte("\n"))
	if rng.Start.Line > len(lines) {
		return
	}
	line := strings.TrimRight(string(lines[rng.Start.Line-1]), "\r")
	number := fmt.Sprint(rng.Start.Line)
	gutter := strings.Repeat(" ", len(number))
	fmt.Fprintf(w, " %s | %s\n", number, expandTabs(line))

	// Columns count characters; carets must line up under the printed
	// (tab-expanded) line.
	startCol := rng.Start.Column
	endCol := rng.End.Column
	if rng.End.Line != rng.Start.Line || endCol <= startCol {
		endCol = utf8.RuneCountInString(line) + 1
	}
	pad := displayWidth(line, startCol-1)
	width := displayWidth(line, endCol-1) - pad
	if width < 1 {
		width = 1
	}
	fmt.Fprintf(w, " %s | %s%s\n", gutter, strings.Repeat(" ", pad), strings.Repeat("^", width))
}

// displayWidth is the printed width of the first n characters of line.
func displayWidth(line string, n int) int {
	width := 0
	for i, r := range []rune(line) {
		if i >= n {
			break
		}
		if r == '\t' {
			width += 4 - width%4
		} else {
			width++
		}
	}
	return width
}

func expandTabs(line string) string {
	if !strings.Contains(line, "\t") {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		if r == '\t' {
			n := 4 - utf8.RuneCountInString(b.String())%4
			b.WriteString(strings.Repeat(" ", n))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
