package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal-like writer,
// redrawing at most ten times a second.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, start: time.Now()}
}

// Update shows done of total.
func (p *progress) Update(done, total int) {
	if done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := 0
	if total > 0 {
		filled = width * done / total
	}
	elapsed := time.Since(p.start)
	eta := ""
	if done > 0 && done < total {
		eta = fmt.Sprintf(" eta %s", (elapsed * time.Duration(total-done) / time.Duration(done)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %s%s ", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done, total, elapsed.Round(time.Second), eta)
}

// Done ends the bar's line.
func (p *progress) Done() { fmt.Fprintln(p.w) }
