// Command ciam-load sends HTTP requests at a fixed rate, evenly spaced, and
// prints latency percentiles. It is an open-loop generator: each request
// has a scheduled time, and its latency counts from that time, so a server
// that falls behind is charged for the wait (no coordinated omission).
// hey's rate limit, by contrast, starts every worker's ticker at the same
// moment, so its requests arrive in bursts of one per worker.
//
//	ciam-load -rate 1000 -duration 10s -H 'X-Tenant-ID: t' -H 'Authorization: Bearer …' URL
//
// With -bodies FILE, request i sends line i of FILE (cycled) as its body:
// requests that must differ, such as transactions with ids of their own.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ciam-load:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ciam-load", flag.ContinueOnError)
	rate := fs.Int("rate", 1000, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	workers := fs.Int("workers", 128, "most requests in flight at once")
	method := fs.String("method", "GET", "HTTP method")
	body := fs.String("body", "", "request body")
	bodyFile := fs.String("bodies", "", "a file of request bodies, one per line, sent in turn")
	warmup := fs.Duration("warmup", 0, "send at the rate this long first, on the same connections, without counting it")
	timeline := fs.Bool("timeline", false, "also print p50, p99 and max for each second of sending")
	var hs headers
	fs.Var(&hs, "H", "a header, Name: value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *rate <= 0 || *workers <= 0 {
		return fmt.Errorf("usage: ciam-load [-rate N] [-duration D] [-H 'Name: value']... URL")
	}
	target := fs.Arg(0)
	header := http.Header{}
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("header %q: want Name: value", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	bodies := [][]byte{[]byte(*body)}
	if *bodyFile != "" {
		raw, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		bodies = bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("URL %q: want http://host:port/path", target)
	}
	// Each request's bytes are written by hand on a connection of the
	// worker's own and its answer read with the standard parser: without
	// the shared transport's goroutines and channels, the generator costs
	// the machine a third of what it did, and leaves the rest to the server
	// it measures.
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n", *method, u.RequestURI(), u.Host)
	if err := header.Write(&head); err != nil {
		return err
	}
	request := func(i int) []byte {
		b := bodies[i%len(bodies)]
		out := make([]byte, 0, head.Len()+len(b)+40)
		out = append(out, head.Bytes()...)
		if len(b) > 0 || *method != "GET" {
			out = fmt.Appendf(out, "Content-Length: %d\r\n", len(b))
		}
		return append(append(out, "\r\n"...), b...)
	}

	total := int(duration.Seconds() * float64(*rate))
	warm := int(warmup.Seconds() * float64(*rate))
	interval := time.Second / time.Duration(*rate)
	type result struct {
		latency time.Duration
		status  int
	}
	results := make([]result, warm+total)
	jobs := make(chan int, warm+total)
	var wg sync.WaitGroup
	start := time.Now().Add(50 * time.Millisecond)
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				conn net.Conn
				r    *bufio.Reader
			)
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			send := func(req []byte) (int, error) {
				if conn == nil {
					c, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
					if err != nil {
						return 0, err
					}
					conn, r = c, bufio.NewReader(c)
				}
				_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := conn.Write(req); err != nil {
					return 0, err
				}
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					return 0, err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.Close {
					err = io.EOF // the server closes: the next request dials again
				}
				return resp.StatusCode, err
			}
			for i := range jobs {
				scheduled := start.Add(time.Duration(i) * interval)
				status, err := send(request(i))
				if err != nil && conn != nil {
					conn.Close()
					conn = nil
				}
				if err != nil && status == 0 {
					status = -1
				}
				results[i] = result{latency: time.Since(scheduled), status: status}
			}
		}()
	}
	for i := range warm + total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start.Add(time.Duration(warm) * interval))
	results = results[warm:]

	statuses := map[int]int{}
	lat := make([]time.Duration, 0, total)
	for _, r := range results {
		statuses[r.status]++
		lat = append(lat, r.latency)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Fprintf(out, "  offered %d/s for %s: %d requests, %.0f/s completed\n", *rate, *duration, total, float64(total)/elapsed.Seconds())
	fmt.Fprintf(out, "  latency from the scheduled time: p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n",
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(0.999)), ms(lat[len(lat)-1]))
	if *timeline {
		for sec := 0; sec*(*rate) < total; sec++ {
			part := make([]time.Duration, 0, *rate)
			for _, r := range results[sec*(*rate) : min(total, (sec+1)*(*rate))] {
				part = append(part, r.latency)
			}
			slices.Sort(part)
			at := func(p float64) time.Duration { return part[min(len(part)-1, int(p*float64(len(part))))] }
			fmt.Fprintf(out, "  second %2d: p50 %s, p99 %s, max %s\n", sec+1, ms(at(0.5)), ms(at(0.99)), ms(part[len(part)-1]))
		}
	}
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == -1 {
			name = "transport error"
		}
		fmt.Fprintf(out, "  status %s: %d\n", name, statuses[c])
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
