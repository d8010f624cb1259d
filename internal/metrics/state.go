package metrics

import (
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ciamhq/ciam/db"
)

// poolCollector reads the database pool's figures at each scrape: they
// are counters and gauges pgxpool keeps anyway, so reading them is free.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConns = prometheus.NewDesc("ciam_db_pool_connections",
		"Connections of the database pool by state: acquired (in use), idle, constructing.", []string{"state"}, nil)
	poolMax = prometheus.NewDesc("ciam_db_pool_max_connections",
		"Most connections the database pool opens.", nil, nil)
	poolAcquires = prometheus.NewDesc("ciam_db_pool_acquires_total",
		"Connections taken from the database pool.", nil, nil)
	poolEmptyAcquires = prometheus.NewDesc("ciam_db_pool_empty_acquires_total",
		"Connections taken from the database pool that had to wait, none being idle.", nil, nil)
	poolWait = prometheus.NewDesc("ciam_db_pool_acquire_wait_seconds_total",
		"Time spent waiting for a connection of the database pool when none was idle.", nil, nil)
	poolCanceled = prometheus.NewDesc("ciam_db_pool_canceled_acquires_total",
		"Waits for a connection of the database pool given up because the request ended.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolMax, poolAcquires, poolEmptyAcquires, poolWait, poolCanceled} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolEmptyAcquires, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.EmptyAcquireWaitTime().Seconds())
	ch <- prometheus.MustNewConstMetric(poolCanceled, prometheus.CounterValue, float64(s.CanceledAcquireCount()))
}

var (
	stateOK = prometheus.NewDesc("ciam_metrics_database_read_ok",
		"1 when the last scrape could read the queue, outbox, review and list figures from the database, else 0 (and those series are missing).", nil, nil)
	jobsDepth = prometheus.NewDesc("ciam_jobs",
		"Unfinished jobs of the queue by queue and state (available, scheduled, retryable, running, pending).", []string{"queue", "state"}, nil)
	outboxUndelivered = prometheus.NewDesc("ciam_outbox_undelivered",
		"Webhook deliveries of business events not delivered yet (being tried or waiting for a retry).", nil, nil)
	outboxLag = prometheus.NewDesc("ciam_outbox_lag_seconds",
		"Age of the oldest undelivered webhook delivery; 0 when every event is delivered.", nil, nil)
	reviewWaiting = prometheus.NewDesc("ciam_review_queue_waiting",
		"Verifications waiting for a reviewer, all tenants.", nil, nil)
	reviewBreaches = prometheus.NewDesc("ciam_review_sla_breaches",
		"Verifications that have waited for a reviewer longer than the review SLA.", nil, nil)
	reviewOldest = prometheus.NewDesc("ciam_review_oldest_wait_seconds",
		"How long the longest-waiting verification has waited for a reviewer; 0 when none waits.", nil, nil)
	listAge = prometheus.NewDesc("ciam_screening_list_age_seconds",
		"Time since the version in use of each screening list was loaded.", []string{"list"}, nil)
	listEntries = prometheus.NewDesc("ciam_screening_list_entries",
		"Entries of the version in use of each screening list.", []string{"list"}, nil)
	indexEntries = prometheus.NewDesc("ciam_screening_index_entries",
		"Entries of every screening list in use: what the screening index holds.", nil, nil)
	listAlert = prometheus.NewDesc("ciam_screening_list_alert",
		"1 when a list fetched from its publisher has the alert (FAILING: its last fetch failed; STALE: no successful fetch for longer than it allows), else 0.", []string{"list", "alert"}, nil)
	listFetchAge = prometheus.NewDesc("ciam_screening_list_fetch_age_seconds",
		"Time since the publisher of each fetched list last answered a fetch (-1: never).", []string{"list"}, nil)
	natsWaiting = prometheus.NewDesc("ciam_nats_unpublished_events",
		"Events in the outbox not yet published to NATS JetStream (only with NATS_URL set).", nil, nil)
	natsLag = prometheus.NewDesc("ciam_nats_lag_seconds",
		"How long the oldest event not yet published to NATS has waited; 0 when none waits.", nil, nil)
	natsDown = prometheus.NewDesc("ciam_nats_down",
		"1 when this instance's last attempt to reach NATS failed, else 0.", nil, nil)
)

// stateCollector reads from the database, at a scrape, what the database
// knows best: the queue's depth, the outbox's lag, the review queue and the
// lists' age. The figures are kept for Options.CacheFor, and scrapes
// arriving together wait for one reading.
type stateCollector struct {
	o  Options
	mu sync.Mutex
	at time.Time
	// last is the last reading's series, rebuilt at each reading.
	last []prometheus.Metric
}

func newStateCollector(o Options) *stateCollector { return &stateCollector{o: o} }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stateOK, jobsDepth, outboxUndelivered, outboxLag, reviewWaiting, reviewBreaches, reviewOldest, listAge, listEntries, indexEntries, listAlert, listFetchAge, natsWaiting, natsLag, natsDown} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if c.last == nil || time.Since(c.at) >= c.o.CacheFor {
		c.last = c.read()
		c.at = time.Now()
	}
	last := c.last
	c.mu.Unlock()
	for _, m := range last {
		ch <- m
	}
}

// read runs the queries; on an error it reports only that it failed.
func (c *stateCollector) read() []prometheus.Metric {
	ctx, cancel := scrapeContext()
	defer cancel()
	q := db.New(c.o.Pool)
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	failed := func(what string, err error) []prometheus.Metric {
		c.o.Logger.Warn("metrics: read "+what, slog.Any("error", err))
		return []prometheus.Metric{prometheus.MustNewConstMetric(stateOK, prometheus.GaugeValue, 0)}
	}
	jobs, err := q.MetricsJobCounts(ctx)
	if err != nil {
		return failed("job queue", err)
	}
	for _, j := range jobs {
		gauge(jobsDepth, float64(j.Jobs), j.Queue, j.State)
	}
	outbox, err := q.MetricsOutbox(ctx)
	if err != nil {
		return failed("outbox", err)
	}
	gauge(outboxUndelivered, float64(outbox.Undelivered))
	gauge(outboxLag, max(outbox.OldestSeconds, 0))
	review, err := q.MetricsReviewQueue(ctx, time.Now().Add(-c.o.ReviewSLA))
	if err != nil {
		return failed("review queue", err)
	}
	gauge(reviewWaiting, float64(review.Waiting))
	gauge(reviewBreaches, float64(review.Overdue))
	gauge(reviewOldest, max(review.OldestSeconds, 0))
	lists, err := q.MetricsScreeningLists(ctx)
	if err != nil {
		return failed("screening lists", err)
	}
	total := 0.0
	for _, l := range lists {
		gauge(listAge, max(l.AgeSeconds, 0), l.SourceID)
		gauge(listEntries, float64(l.EntryCount), l.SourceID)
		total += float64(l.EntryCount)
	}
	gauge(indexEntries, total)
	fetches, err := q.MetricsScreeningSourceFetches(ctx)
	if err != nil {
		return failed("screening list fetches", err)
	}
	for _, f := range fetches {
		for _, a := range []string{"FAILING", "STALE"} {
			gauge(listAlert, map[bool]float64{false: 0, true: 1}[f.Alert == a], f.SourceID, a)
		}
		gauge(listFetchAge, f.SuccessAgeSeconds, f.SourceID)
	}
	if c.o.NATSLag != nil {
		events, oldest, down, err := c.o.NATSLag(ctx)
		if err != nil {
			return failed("nats lag", err)
		}
		age := 0.0
		if events > 0 && !oldest.IsZero() {
			age = max(time.Since(oldest).Seconds(), 0)
		}
		gauge(natsWaiting, float64(events))
		gauge(natsLag, age)
		gauge(natsDown, map[bool]float64{false: 0, true: 1}[down])
	}
	gauge(stateOK, 1)
	return out
}
