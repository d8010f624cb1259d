package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/devenv"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func dataDir(getenv func(string) string) string {
	if d := getenv("DATA_DIR"); d != "" {
		return d
	}
	return ".data"
}

func privatePG(getenv func(string) string, log io.Writer) *devenv.Postgres {
	port, err := strconv.Atoi(getenv("DEV_PG_PORT"))
	if err != nil || port == 0 {
		port = 54329
	}
	dir, _ := filepath.Abs(filepath.Join(dataDir(getenv), "pg"))
	return &devenv.Postgres{Dir: dir, Port: port, Log: log}
}

func cmdPG(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ciam pg start|stop|url")
	}
	pg := privatePG(getenv, stderr)
	switch args[0] {
	case "start":
		if _, err := pg.Start(ctx, true); err != nil {
			return err
		}
		fmt.Fprintln(stdout, pg.URL())
		return nil
	case "stop":
		return pg.Stop(ctx)
	case "url":
		fmt.Fprintln(stdout, pg.URL())
		return nil
	default:
		return fmt.Errorf("unknown pg command %q", args[0])
	}
}

// overlay is getenv with development defaults for what is unset.
func overlay(getenv func(string) string, defaults map[string]string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
}

// cmdDev is `make run`: everything a developer needs, started in order and
// stopped again on Ctrl-C.
func cmdDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "project folder (node_modules and the provider's script)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	defaults := map[string]string{"LOG_FORMAT": "text", "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
	if err := os.MkdirAll(dataDir(getenv), 0o755); err != nil {
		return err
	}

	if getenv("DATABASE_URL") == "" {
		pg := privatePG(getenv, stdout)
		started, err := pg.Start(ctx, true)
		if err != nil {
			return err
		}
		if started {
			defer func() {
				if err := pg.Stop(context.WithoutCancel(ctx)); err != nil {
					fmt.Fprintln(stderr, err)
				}
			}()
		}
		defaults["DATABASE_URL"] = pg.URL()
	}

	if getenv("SESSION_KEYS") == "" {
		key, err := devSecret(filepath.Join(dataDir(getenv), "session.key"), 48)
		if err != nil {
			return err
		}
		defaults["SESSION_KEYS"] = key
	}

	if getenv("FIELD_ENCRYPTION_KEYS") == "" {
		key, err := devSecret(filepath.Join(dataDir(getenv), "field.key"), 32)
		if err != nil {
			return err
		}
		defaults["FIELD_ENCRYPTION_KEYS"] = "dev1:" + key
	}

	publicURL := overlay(getenv, map[string]string{"PUBLIC_URL": "http://localhost:8080"})("PUBLIC_URL")
	publicURL = strings.TrimSuffix(publicURL, "/")
	if getenv("OIDC_ISSUER") == "" {
		port, err := strconv.Atoi(getenv("DEV_OIDC_PORT"))
		if err != nil || port == 0 {
			port = 5556
		}
		absRoot, _ := filepath.Abs(*root)
		op := &devenv.OIDCProvider{Root: absRoot, Port: port, Log: stdout,
			RedirectURL: publicURL + "/auth/callback", PostLogoutURL: publicURL + "/login?reason=signed_out"}
		if err := op.Start(ctx); err != nil {
			return err
		}
		defer op.Stop()
		defaults["OIDC_ISSUER"] = op.Issuer()
		defaults["OIDC_CLIENT_ID"] = op.ClientID
		defaults["OIDC_CLIENT_SECRET"] = op.ClientSecret
	}

	// The face worker and the demo's face photos live in the project
	// folder's node_modules.
	defaults["FACE_MODELS_DIR"], _ = filepath.Abs(*root)
	env := overlay(getenv, defaults)
	cfg, err := config.Load(env)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	shred.Install(cfg.FieldKeys)
	if _, err := db.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL, cfg.DatabaseAppRole)
	if err != nil {
		return err
	}
	customers := customer.NewService(pool, nil)
	d, err := demo.Seed(ctx, tenant.NewService(pool), staff.NewService(pool), customers)
	if err == nil {
		_, err = demo.SeedCustomers(ctx, customers, d)
	}
	if err == nil {
		lists := screening.NewService(pool)
		if lists.Jobs, err = jobs.NewInserter(pool); err == nil {
			err = loadDemoLists(ctx, lists, filepath.Join(*root, "internal", "screening", "lists"), stdout)
		}
		if err == nil {
			_, err = demo.SeedAML(ctx, pool, d, aml.SanctionsScreener{S: lists}, staff.NewService(pool), customers)
		}
	}
	if err == nil {
		err = seedDemoDocuments(ctx, pool, customers, d, demoStorage{keys: cfg.FieldKeys, kind: cfg.DocumentStorage, dir: cfg.DocumentDir,
			faceFolder: cfg.FaceModelsDir}, stdout)
	}
	pool.Close()
	if err != nil {
		return err
	}
	printBanner(stdout, cfg, d, getenv("OIDC_ISSUER") == "")
	return serve(ctx, cfg, logger, false, stdout)
}

func printBanner(w io.Writer, cfg config.Config, d demo.Data, localIdP bool) {
	fmt.Fprintf(w, "\nciam is starting at %s\n", cfg.PublicURL)
	fmt.Fprintf(w, "demo tenant: %s (X-Tenant-ID %s or %s)\n", d.Tenant.Name, d.Tenant.Slug, d.Tenant.ID)
	if localIdP {
		fmt.Fprintf(w, "sign in at the local identity provider (%s) with password %q as:\n", cfg.OIDC.Issuer, d.Password)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, e := range d.Employees {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.Login, e.Role, e.Email)
		}
		for _, e := range d.Outsiders {
			fmt.Fprintf(tw, "  %s\t(no tenant)\t%s\n", e.Login, e.Email)
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(w, "press Ctrl-C to stop everything")
	fmt.Fprintln(w)
}

// devSecret keeps a random secret of n bytes in the data folder, so that
// sessions and sealed data survive restarts during development.
func devSecret(path string, n int) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	k := make([]byte, n)
	_, _ = rand.Read(k)
	key := base64.StdEncoding.EncodeToString(k)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return key, nil
}

// describe turns a validation error into one line per field for the
// command line.
func describe(err error) error {
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Issue)
	}
	return errors.New(b.String())
}
