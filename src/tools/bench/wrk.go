package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what runWrk reads from wrk's report.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

func (r wrkResult) String() string {
	return fmt.Sprintf("%.0f req/s | %s | %s | %d", r.rps, r.p50, r.p99, r.errors)
}

// runWrk loads url with wrk -t1 -c32 for 10 s. `make bench` installs wrk
// (Debian package wrk) when it is missing.
func runWrk(ctx context.Context, url string) (wrkResult, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return wrkResult{}, errors.New("wrk not found: install the Debian package wrk (apt-get install wrk), as make bench does")
	}
	out, err := exec.CommandContext(ctx, path, "-t1", "-c32", "-d10s", "--latency", url).Output()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w", url, err)
	}
	return parseWrk(out)
}

// parseWrk reads the lines of wrk's --latency report it needs:
// "Requests/sec:", the 50% and 99% latency lines, and the error lines.
func parseWrk(out []byte) (wrkResult, error) {
	var r wrkResult
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return r, fmt.Errorf("wrk latency %q: %w", f[1], err)
			}
			if f[0] == "50%" {
				r.p50 = d
			} else {
				r.p99 = d
			}
		case len(f) >= 2 && f[0] == "Non-2xx":
			n, _ := strconv.Atoi(f[len(f)-1])
			r.errors += n
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(f[i], ","))
				r.errors += n
			}
		}
	}
	if r.rps == 0 {
		return r, fmt.Errorf("no Requests/sec in wrk's report:\n%s", out)
	}
	return r, nil
}
