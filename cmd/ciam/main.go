// Command ciam is the back office and customer API server, and its
// operator's tools: migrations, demo data, the audit verifier, tenants,
// sanctions and PEP lists, and the development environment.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ciam:", err)
		os.Exit(1)
	}
}

const usage = `usage: ciam <command> [flags]

commands:
  serve              run the HTTP server (configuration from the environment)
  dev                run everything for development: private PostgreSQL, migrations,
                     demo data, the local OpenID Connect provider and the server
  migrate            apply database migrations
  seed               create the demo tenant and employees
  audit verify       check the audit trail's hash chains
  events prune       delete old events whose deliveries ended (--older-than 2160h);
                     with NATS_URL set, never one not yet published to NATS
  tenants create     create a tenant (--slug, --name, --time-zone, --admin)
  tenants list       list tenants
  api-clients create create an API client (--tenant, --name, --scopes, --json)
  api-clients list   list a tenant's API clients (--tenant)
  screening load     load a sanctions or PEP list as a new version
                     (--source ofac|ofac-cons|un|eu|uk|csl|dpl|senzing [--allow-shrink] PATH)
  screening versions list the lists' versions (--source ID)
  customers generate make synthetic customers with COPY, for load tests
                     (--tenant SLUG --count 1000000 [--seed S] [--rebuild-indexes])
  keys reseal        re-seal documents and secrets under the first FIELD_ENCRYPTION_KEYS key
  pg start|stop|url  manage the private PostgreSQL cluster under .data/
`

// run is the whole program, with its surroundings passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case "dev":
		return cmdDev(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout)
	case "seed":
		return cmdSeed(ctx, rest, getenv, stdout)
	case "audit":
		return cmdAudit(ctx, rest, getenv, stdout)
	case "events":
		return cmdEvents(ctx, rest, getenv, stdout)
	case "tenants":
		return cmdTenants(ctx, rest, getenv, stdout)
	case "api-clients":
		return cmdAPIClients(ctx, rest, getenv, stdout)
	case "screening":
		return cmdScreening(ctx, rest, getenv, stdout)
	case "customers":
		return cmdCustomers(ctx, rest, getenv, stdout)
	case "keys":
		return cmdKeys(ctx, rest, getenv, stdout)
	case "pg":
		return cmdPG(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
