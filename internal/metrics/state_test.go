package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// queryCounter counts the metrics' queries a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "metrics_") || strings.Contains(d.SQL, "screening_list_versions") {
		c.n.Add(1)
	}
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A storm of scrapes reads the database once: the figures are shared by
// the scrapes that arrive together and reused within CacheFor. They are
// read as the application role, which row-level security binds.
func TestScrapeStormReadsTheDatabaseOnce(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	queries := &queryCounter{}
	cfg.ConnConfig.Tracer = queries
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET ROLE "+db.DefaultAppRole)
		return err
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m := New(Options{Pool: pool, ReviewSLA: 24 * time.Hour, CacheFor: time.Hour})
	h := m.Handler()

	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			bodies[i] = rec.Body.String()
		})
	}
	wg.Wait()
	for i, body := range bodies {
		for _, line := range []string{"ciam_metrics_database_read_ok 1", "ciam_outbox_lag_seconds ", "ciam_review_sla_breaches ", "ciam_screening_index_entries "} {
			if !strings.Contains(body, line) {
				t.Errorf("scrape %d lacks %q", i, line)
			}
		}
	}
	if got := queries.n.Load(); got != 4 {
		t.Errorf("20 scrapes sent %d queries; want 4 (one reading)", got)
	}
}

// A list fetched from its publisher that raised an alert shows it.
func TestScrapeShowsListAlerts(t *testing.T) {
	owner := dbtest.OwnerPool(t)
	src := "METRICS_TEST_" + strings.ToUpper(strconv.FormatInt(time.Now().UnixNano()%1e8, 36))
	if _, err := owner.Exec(t.Context(), `INSERT INTO screening_source_fetch (source_id, name, kind, format, url, alert, last_success_at)
		VALUES ($1, 'test', 'SANCTIONS', 'un', 'http://127.0.0.1:1/x.xml', 'STALE', now() - interval '3 days')`, src); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Pool: dbtest.Pool(t), ReviewSLA: 24 * time.Hour})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`ciam_screening_list_alert{alert="STALE",list="` + src + `"} 1`,
		`ciam_screening_list_alert{alert="FAILING",list="` + src + `"} 0`,
		`ciam_screening_list_fetch_age_seconds{list="` + src + `"} 2592`,
		`ciam_screening_list_fetch_age_seconds{list="OFAC_SDN"} -1`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("the scrape lacks %q", line)
		}
	}
	m.ListAlert(src, "FAILING")
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `ciam_screening_list_alerts_total{alert="FAILING",list="`+src+`"} 1`) {
		t.Error("the alert counter did not count")
	}
}
