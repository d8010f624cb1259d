package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/tenant"
)

// cmdAPIClients bootstraps API clients from the command line, against the
// database `make run` uses when DATABASE_URL is not set.
func cmdAPIClients(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		return errors.New("usage: ciam api-clients create --tenant SLUG --name NAME --scopes a,b [--json] | list --tenant SLUG")
	}
	fs := flag.NewFlagSet("api-clients "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tenantRef := fs.String("tenant", "", "tenant slug or id")
	name := fs.String("name", "", "client name")
	scopes := fs.String("scopes", "", "comma- or space-separated scopes")
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenantRef == "" {
		return errors.New("--tenant: required (the tenant's slug or id)")
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
	t, err := tenant.NewService(pool).Resolve(ctx, *tenantRef)
	if err != nil {
		return fmt.Errorf("--tenant: %w", err)
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "ciam api-clients (command line)", TenantID: t.ID})
	svc := credential.NewAPIClients(pool, nil)
	if args[0] == "list" {
		list, err := svc.List(ctx, t.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(list)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tSTATUS\tSCOPES")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ClientID, c.Name, c.Status, strings.Join(c.Scopes, " "))
		}
		return tw.Flush()
	}
	c, secret, err := svc.Create(ctx, t.ID, *name, strings.FieldsFunc(*scopes, func(r rune) bool { return r == ',' || r == ' ' }))
	if err != nil {
		return describe(err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"clientId": c.ClientID, "clientSecret": secret, "tenantId": t.ID, "tenantSlug": t.Slug, "scopes": c.Scopes,
		})
	}
	fmt.Fprintf(stdout, "client id:     %s\nclient secret: %s\nscopes:        %s\n(the secret is shown once and stored only as a hash)\n",
		c.ClientID, secret, strings.Join(c.Scopes, " "))
	return nil
}
