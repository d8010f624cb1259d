// Package metrics is what the server tells Prometheus about itself: HTTP
// requests by route, the database pool, the job queue, the outbox and its
// webhook deliveries, the screening lists, the KYC pipeline and the review
// queue, AML decisions, failed sign-ins and refusals of the rate limits.
//
// Everything is on a registry of the server's own (never Prometheus's
// global one), served by Handler on an address of its own (METRICS_ADDR),
// so it is never public. Counters and histograms are bumped where things
// happen, through methods that do nothing on a nil *Metrics, so code that
// runs without metrics (tests, the command line) needs no care. State that
// lives in the database is read when scraped, at most once per
// Options.CacheFor.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// CacheFor is how long figures read from the database at a scrape are
// reused by default: a storm of scrapes costs one set of queries per
// period.
const CacheFor = 5 * time.Second

// Who signs in: the label of the sign-in series.
const (
	Staff    = "staff"
	Customer = "customer"
)

// Unmatched is the route label of requests no route took.
const Unmatched = "unmatched"

// Options is what the scrape-time figures are read from.
type Options struct {
	// Pool is the server's database pool: its use is reported, and the
	// queue, outbox, review and list figures are read through it.
	Pool *pgxpool.Pool
	// ReviewSLA is how long a verification may wait for review before it
	// breaks the service level.
	ReviewSLA time.Duration
	// CacheFor is how long database figures are reused; CacheFor when 0.
	CacheFor time.Duration
	Logger   *slog.Logger
	// NATSLag, when NATS is configured, reads how many events wait to be
	// published to it, since when the oldest has, and whether this
	// instance's last attempt to reach NATS failed.
	NATSLag func(context.Context) (events int64, oldest time.Time, down bool, err error)
}

// Metrics holds the server's series. The zero value is not usable; a nil
// *Metrics is, and records nothing.
type Metrics struct {
	reg    *prometheus.Registry
	logger *slog.Logger

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	routesMu sync.Mutex
	routes   map[string]*Route

	jobWait     *prometheus.HistogramVec
	jobDuration *prometheus.HistogramVec
	jobFailures *prometheus.CounterVec
	kycStage    *prometheus.HistogramVec

	webhooks    *prometheus.CounterVec
	amlDecision *prometheus.CounterVec
	amlByName   map[string]prometheus.Counter
	signInFails *prometheus.CounterVec
	lockouts    *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	listAlerts  *prometheus.CounterVec
}

// New builds the registry with Go's and the process's collectors, the
// database figures of o, and every series the server bumps.
func New(o Options) *Metrics {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CacheFor <= 0 {
		o.CacheFor = CacheFor
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, logger: o.Logger, routes: map[string]*Route{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_http_requests_total", Help: "HTTP requests answered, by route pattern and status code.",
	}, []string{"route", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ciam_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.jobWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ciam_job_wait_seconds", Help: "Time a job waited in the queue past its scheduled time before it was worked, by kind.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"kind"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ciam_job_duration_seconds", Help: "Time to work one attempt of a job, by kind.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"kind"})
	m.jobFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_job_failures_total", Help: "Job attempts that returned an error (to be retried, or given up), by kind.",
	}, []string{"kind"})
	m.kycStage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ciam_kyc_stage_duration_seconds", Help: "Time of one run of a KYC pipeline stage (evidence, checks, routing).",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"stage"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_webhook_deliveries_total", Help: "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later) or dead (given up).",
	}, []string{"outcome"})
	m.amlDecision = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_aml_decisions_total", Help: "Transactions screened, by decision (ALLOW, WARN, REVIEW, BLOCK); replays of a screening not counted.",
	}, []string{"outcome"})
	m.amlByName = map[string]prometheus.Counter{}
	for _, o := range []string{"ALLOW", "WARN", "REVIEW", "BLOCK"} {
		m.amlByName[o] = m.amlDecision.WithLabelValues(o)
	}
	m.signInFails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_signin_failures_total", Help: "Failed sign-ins, by who signs in (staff, customer) and the audit trail's reason code.",
	}, []string{"who", "reason"})
	m.lockouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_lockouts_total", Help: "Accounts locked for too many failed sign-ins, by who signs in.",
	}, []string{"who"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_rate_limited_total", Help: "Requests refused by a rate limit, by limit.",
	}, []string{"limit"})
	m.listAlerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ciam_screening_list_alerts_total", Help: "Alerts raised by lists fetched from their publishers, by list and alert (FAILING, STALE).",
	}, []string{"list", "alert"})
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.jobWait, m.jobDuration, m.jobFailures, m.kycStage,
		m.webhooks, m.amlDecision, m.signInFails, m.lockouts, m.rateLimited, m.listAlerts,
	)
	if o.Pool != nil {
		reg.MustRegister(poolCollector{o.Pool}, newStateCollector(o))
	}
	m.unmatched()
	return m
}

// Registry is where every series is registered, for a test or a caller
// that adds its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the series in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn)})
}

// Route is the series of one route pattern, made once when the routes are
// set up so a request only looks them up.
type Route struct {
	requests *prometheus.CounterVec
	pattern  string
	duration prometheus.Observer
	mu       sync.Mutex
	// codes is copied on write: a request reads it without a lock, and a
	// status code the route has not answered yet adds a copy.
	codes atomic.Pointer[map[int]prometheus.Counter]
}

// Route returns the series of pattern, made on first use. Call it when the
// routes are set up; nil on a nil *Metrics.
func (m *Metrics) Route(pattern string) *Route {
	if m == nil {
		return nil
	}
	m.routesMu.Lock()
	defer m.routesMu.Unlock()
	if r, ok := m.routes[pattern]; ok {
		return r
	}
	r := &Route{requests: m.requests, pattern: pattern, duration: m.duration.WithLabelValues(pattern)}
	r.codes.Store(&map[int]prometheus.Counter{})
	m.routes[pattern] = r
	return r
}

func (m *Metrics) unmatched() *Route { return m.Route(Unmatched) }

// Unmatched is the series of requests no route took.
func (m *Metrics) Unmatched() *Route {
	if m == nil {
		return nil
	}
	return m.unmatched()
}

// Observe records one request answered with code after d.
func (r *Route) Observe(code int, d time.Duration) {
	if r == nil {
		return
	}
	r.duration.Observe(d.Seconds())
	if c, ok := (*r.codes.Load())[code]; ok {
		c.Inc()
		return
	}
	r.mu.Lock()
	old := *r.codes.Load()
	c, ok := old[code]
	if !ok {
		c = r.requests.WithLabelValues(r.pattern, strconv.Itoa(code))
		next := make(map[int]prometheus.Counter, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		next[code] = c
		r.codes.Store(&next)
	}
	r.mu.Unlock()
	c.Inc()
}

// Webhook delivery outcomes.
const (
	Delivered = "delivered"
	Retry     = "retry"
	Dead      = "dead"
)

// WebhookDelivery counts one delivery attempt by the status it left the
// delivery in: DELIVERED, PENDING (to be retried) or DEAD.
func (m *Metrics) WebhookDelivery(status string) {
	if m == nil {
		return
	}
	outcome := Retry
	switch status {
	case "DELIVERED":
		outcome = Delivered
	case "DEAD":
		outcome = Dead
	}
	m.webhooks.WithLabelValues(outcome).Inc()
}

// AMLDecision counts one screened transaction's decision; a replay (the
// same transaction screened again, answered with the first decision) is
// not a decision and is not counted.
func (m *Metrics) AMLDecision(outcome string, replayed bool) {
	if m == nil || replayed {
		return
	}
	if c, ok := m.amlByName[outcome]; ok {
		c.Inc()
		return
	}
	m.amlDecision.WithLabelValues(outcome).Inc()
}

// SignInFailed counts a failed sign-in of who (Staff or Customer) for
// reason, a reason code of the audit trail (a short fixed set), and the
// lockout it caused, if any.
func (m *Metrics) SignInFailed(who, reason string, lockedOut bool) {
	if m == nil {
		return
	}
	m.signInFails.WithLabelValues(who, reason).Inc()
	if lockedOut {
		m.lockouts.WithLabelValues(who).Inc()
	}
}

// RateLimited counts a request refused by the rate limit named limit (a
// fixed name such as "token" or "login", never a caller's key).
func (m *Metrics) RateLimited(limit string) {
	if m == nil {
		return
	}
	m.rateLimited.WithLabelValues(limit).Inc()
}

// contextTimeout bounds the queries of one scrape.
const contextTimeout = 5 * time.Second

func scrapeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), contextTimeout)
}

// ListAlert counts an alert a fetched list raised.
func (m *Metrics) ListAlert(list, alert string) {
	if m == nil {
		return
	}
	m.listAlerts.WithLabelValues(list, alert).Inc()
}
