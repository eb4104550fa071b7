package main

import (
	"testing"
	"time"
)

// A report as wrk 4.1 prints it with --latency, errors included.
const wrkReport = `Running 10s test @ http://127.0.0.1:40123/catalog?page_size=20
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52ms    2.10ms  40.01ms   93.10%
    Req/Sec    16.27k     1.02k   18.01k    71.00%
  Latency Distribution
     50%    1.21ms
     75%    1.60ms
     90%    2.50ms
     99%   29.72ms
  161850 requests in 10.00s, 1.30GB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  16185.32
Transfer/sec:    133.11MB
`

func TestParseWrkReadsThroughputLatencyAndErrors(t *testing.T) {
	r, err := parseWrk([]byte(wrkReport))
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{rps: 16185.32, p50: 1210 * time.Microsecond, p99: 29720 * time.Microsecond, errors: 12}
	if r != want {
		t.Fatalf("parsed %+v, want %+v", r, want)
	}
}

func TestParseWrkWithoutThroughputIsAnError(t *testing.T) {
	if _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Fatal("a report without Requests/sec parsed without error")
	}
}
