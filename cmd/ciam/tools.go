package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// databaseURL is DATABASE_URL, or the private cluster's when it is running
// (so that the tools reach the database `make run` uses with no set-up).
func databaseURL(getenv func(string) string) (string, error) {
	if u := strings.TrimSpace(getenv("DATABASE_URL")); u != "" {
		return u, nil
	}
	pg := privatePG(getenv, io.Discard)
	if _, err := os.Stat(filepath.Join(pg.Dir, "postmaster.pid")); err == nil {
		return pg.URL(), nil
	}
	return "", errors.New("DATABASE_URL: required (or start the private cluster with `ciam pg start` / `make run`)")
}

func appRole(getenv func(string) string) string {
	switch r := strings.TrimSpace(getenv("DATABASE_APP_ROLE")); r {
	case "":
		return db.DefaultAppRole
	case "none":
		return ""
	default:
		return r
	}
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	res, err := db.Migrate(ctx, url)
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	v, err := db.LatestMigration()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database at migration %d\n", v)
	return nil
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	pool, err := db.Open(ctx, url, appRole(getenv))
	if err != nil {
		return err
	}
	defer pool.Close()
	// The customers' personal values in audit and events are sealed under
	// their data keys, which the server's field keys seal.
	var keys *fieldcrypt.Keys
	if spec := getenv("FIELD_ENCRYPTION_KEYS"); spec != "" {
		if keys, err = fieldcrypt.Parse(spec); err != nil {
			return fmt.Errorf("FIELD_ENCRYPTION_KEYS: %w", err)
		}
		shred.Install(keys)
	}
	customers := customer.NewService(pool, nil)
	d, err := demo.Seed(ctx, tenant.NewService(pool), staff.NewService(pool), customers)
	if err != nil {
		return err
	}
	n, err := demo.SeedCustomers(ctx, customers, d)
	if err != nil {
		return err
	}
	txs, err := demo.SeedAML(ctx, pool, d, aml.SanctionsScreener{S: screening.NewService(pool)}, staff.NewService(pool), customers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo tenant %s (%s) with %d employees; %d customers and %d screened transactions added\n",
		d.Tenant.Slug, d.Tenant.ID, len(d.Employees), n, txs)
	// The documents are sealed with the server's keys (read above); their
	// checks run when the server starts.
	faces := getenv("FACE_MODELS_DIR")
	if faces == "" {
		faces = "."
	}
	dir := getenv("DOCUMENT_STORAGE_DIR")
	if dir == "" {
		dir = filepath.Join(".data", "documents")
	}
	return seedDemoDocuments(ctx, pool, customers, d, demoStorage{keys: keys, kind: strings.ToLower(getenv("DOCUMENT_STORAGE")), dir: dir, faceFolder: faces}, stdout)
}

func cmdAudit(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: ciam audit verify")
	}
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	// As the owner, not the app role: the verifier reads every chain.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rep, err := audit.Verify(ctx, conn, func(n int64) {
		if n%50000 == 0 {
			fmt.Fprintf(stdout, "  %d records checked\n", n)
		}
	})
	if err != nil {
		return err
	}
	if len(rep.Broken) > 0 {
		for _, b := range rep.Broken {
			fmt.Fprintf(stdout, "BROKEN: %s\n", b)
		}
		return fmt.Errorf("audit trail: %d of %d chains broken", len(rep.Broken), rep.Chains)
	}
	fmt.Fprintf(stdout, "audit trail intact: %d records in %d chains\n", rep.Records, rep.Chains)
	return nil
}

func cmdTenants(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ciam tenants create|list")
	}
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	pool, err := db.Open(ctx, url, appRole(getenv))
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := tenant.NewService(pool)
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "ciam tenants (command line)"})
	switch args[0] {
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSLUG\tNAME\tSTATUS")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Slug, t.Name, t.Status)
		}
		return tw.Flush()
	case "create":
		fs := flag.NewFlagSet("tenants create", flag.ContinueOnError)
		slug := fs.String("slug", "", "tenant slug (X-Tenant-ID)")
		name := fs.String("name", "", "tenant name")
		tz := fs.String("time-zone", "UTC", "IANA time zone")
		admin := fs.String("admin", "", "e-mail address of the first TENANT_ADMIN")
		asJSON := fs.Bool("json", false, "print the result as JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var then func(q *db.Queries, t tenant.Tenant) error
		if *admin != "" {
			then = func(q *db.Queries, t tenant.Tenant) error {
				n, _, _ := strings.Cut(*admin, "@")
				_, err := staff.CreateInTx(ctx, q, t.ID, staff.CreateParams{Email: *admin, Name: n, Roles: []staff.Role{staff.TenantAdmin}})
				return err
			}
		}
		t, err := svc.Create(ctx, tenant.CreateParams{Slug: *slug, Name: *name, TimeZone: *tz}, then)
		if err != nil {
			return describe(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]string{"id": t.ID.String(), "slug": t.Slug, "name": t.Name})
		}
		fmt.Fprintf(stdout, "created tenant %s (%s)\n", t.Slug, t.ID)
		return nil
	default:
		return fmt.Errorf("unknown tenants command %q", args[0])
	}
}
