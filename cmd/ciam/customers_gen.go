package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer/customergen"
	"github.com/ciamhq/ciam/internal/tenant"
)

// cmdCustomers is `ciam customers generate`: synthetic customers in bulk
// for load tests, written with COPY as the tables' owner.
func cmdCustomers(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return errors.New("usage: ciam customers generate --tenant SLUG --count N [--seed S] [--rebuild-indexes]")
	}
	fs := flag.NewFlagSet("customers generate", flag.ContinueOnError)
	ref := fs.String("tenant", "", "tenant slug or id")
	count := fs.Int("count", 1_000_000, "how many customers")
	seed := fs.Uint64("seed", 1, "another seed makes other customers (and e-mail addresses)")
	rebuild := fs.Bool("rebuild-indexes", false, "drop the customers table's indexes while copying and build them again after: much faster, for a database nobody else uses meanwhile")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *ref == "" {
		return errors.New("customers generate: --tenant is required")
	}
	if *count <= 0 {
		return errors.New("customers generate: --count must be positive")
	}
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	app, err := db.Open(ctx, url, appRole(getenv))
	if err != nil {
		return err
	}
	defer app.Close()
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "ciam customers generate (command line)"})
	t, err := tenant.NewService(app).Resolve(ctx, *ref)
	if err != nil {
		return fmt.Errorf("customers generate: tenant %q: %w", *ref, err)
	}
	// As the owner: row-level security refuses COPY to the application role.
	owner, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer owner.Close()
	start := time.Now()
	n, err := customergen.Generate(ctx, owner, customergen.Options{Tenant: t.ID, Count: *count, Seed: *seed, RebuildIndexes: *rebuild,
		Progress: func(done int) {
			if done%200000 == 0 {
				fmt.Fprintf(stdout, "  %d customers\n", done)
			}
		}})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "%d customers made for %s in %v (%.0f a second)\n", n, t.Slug, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}
