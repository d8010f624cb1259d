package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/telemetry"
	"github.com/ciamhq/ciam/web"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	return serve(ctx, cfg, logger, !*noMigrate, stdout)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(web.LogHandler(h))
}

// serve runs the HTTP server until ctx ends, then shuts down gracefully.
// defaultGCPercent is the garbage collector's target when GOGC is not set.
const defaultGCPercent = 200

func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, migrate bool, stdout io.Writer) error {
	if os.Getenv("GOGC") == "" {
		// The screening index and the AML windows are most of the heap and
		// live for the whole run: at Go's default each collection marks
		// them again after the heap merely doubles. Twice the room halves
		// the collections, for memory a server has.
		debug.SetGCPercent(defaultGCPercent)
	}
	if migrate {
		res, err := db.Migrate(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		for _, r := range res {
			logger.Info("migration applied", slog.Int64("version", r.Source.Version), slog.Duration("took", r.Duration))
		}
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL, cfg.DatabaseAppRole)
	if err != nil {
		return err
	}
	defer pool.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = pool.Ping(pingCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}

	tracing, err := startTracing(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			logger.Warn("traces were not all flushed", slog.Any("error", err))
		}
	}()
	deps := web.NewDeps(cfg, logger, pool, nil)
	deps.Tracing = tracing.Provider
	handler := web.NewServer(deps)
	runner, err := jobs.New(pool, jobs.Config{Logger: logger, Webhooks: deps.Webhooks, KYC: deps.KYC, Tracing: tracing.Provider,
		Screening: deps.Screening, Subjects: deps.KYC.ScreeningSubjects(deps.Customers.ScreeningSubjects()), AML: deps.AML, Customers: deps.Customers,
		Catalog: deps.Catalog, Reports: deps.Reports, Retention: deps.Retention, Metrics: deps.Metrics, RescueAfter: cfg.JobRescueAfter})
	if err != nil {
		return err
	}
	if err := runner.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := runner.Stop(sctx); err != nil {
			logger.Warn("jobs did not stop cleanly", slog.Any("error", err))
		}
	}()
	if deps.NATS != nil {
		// Events are published to NATS from the outbox; the loop ends with
		// ctx, and a publish cut short is made again by the next start.
		go deps.NATS.Run(ctx)
		logger.Info("publishing events to NATS", slog.String("stream", cfg.NATS.Stream), slog.String("subjects", cfg.NATS.SubjectPrefix+".>"))
	}
	// Lists loaded by another process (the command line, another server)
	// come into use here within SCREENING_REFRESH.
	go deps.Screening.Watch(ctx, cfg.ScreeningRefresh, func(err error) {
		logger.Warn("screening lists could not be refreshed", slog.Any("error", err))
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.DebugAddr != "" {
		if err := serveProfiler(ctx, cfg.DebugAddr, logger, stdout); err != nil {
			return err
		}
	}
	if cfg.MetricsAddr != "" {
		if err := serveMetrics(ctx, cfg.MetricsAddr, deps.Metrics.Handler(), logger, stdout); err != nil {
			return err
		}
	}
	scheme := "http"
	if cfg.TLS.Enabled() {
		if srv.TLSConfig, err = web.ServerTLS(cfg.TLS); err != nil {
			return err
		}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	logger.Info("listening", slog.String("addr", addr.String()), slog.String("public_url", cfg.PublicURL.String()),
		slog.Bool("tls", cfg.TLS.Enabled()), slog.Bool("client_certificates", cfg.TLS.ClientCAFile != ""))
	fmt.Fprintf(stdout, "ciam: listening on %s://%s\n", scheme, hostPort(addr))

	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// startTracing builds the tracer provider the configuration asks for;
// serve flushes it when it returns, after the server and the jobs have
// stopped (deferred functions run last first).
func startTracing(ctx context.Context, cfg config.Config, logger *slog.Logger) (*telemetry.Tracing, error) {
	tracing, err := telemetry.NewTracing(ctx, telemetry.Options{Endpoint: cfg.OTel.Endpoint,
		ServiceName: cfg.OTel.ServiceName, SampleRatio: cfg.OTel.SampleRatio})
	if err != nil {
		return nil, err
	}
	if cfg.OTel.Endpoint != "" {
		logger.Info("tracing", slog.String("endpoint", cfg.OTel.Endpoint), slog.Float64("sample_ratio", cfg.OTel.SampleRatio))
	}
	return tracing, nil
}

func hostPort(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", a.Port)
	}
	return a.String()
}

// serveMetrics serves Prometheus's /metrics on addr, apart from the public
// listener, until ctx ends.
func serveMetrics(ctx context.Context, addr string, metrics http.Handler, logger *slog.Logger, stdout io.Writer) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("metrics server stopped", slog.Any("error", err))
		}
	}()
	fmt.Fprintf(stdout, "ciam: metrics on http://%s/metrics\n", ln.Addr())
	return nil
}

// serveProfiler serves Go's profiler (net/http/pprof) on addr, a loopback
// address, until ctx ends.
func serveProfiler(ctx context.Context, addr string, logger *slog.Logger, stdout io.Writer) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on DEBUG_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("profiler stopped", slog.Any("error", err))
		}
	}()
	fmt.Fprintf(stdout, "ciam: profiler on http://%s/debug/pprof/\n", ln.Addr())
	return nil
}
