package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/event"
)

// cmdEvents prunes the outbox: events older than --older-than whose
// webhook deliveries have ended go, except those NATS has not been sent
// yet when NATS_URL is set.
func cmdEvents(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "prune" {
		return errors.New("usage: ciam events prune --older-than 2160h")
	}
	fs := flag.NewFlagSet("events prune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	olderThan := fs.Duration("older-than", 0, "prune events written longer ago than this, e.g. 2160h (90 days)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("events prune: %w", err)
	}
	if *olderThan <= 0 {
		return errors.New("events prune: --older-than: want a positive duration such as 2160h")
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
	// Events wait in the outbox for every bus the server publishes to.
	var keepFor []string
	if strings.TrimSpace(getenv("NATS_URL")) != "" {
		keepFor = append(keepFor, event.NATSPublisher)
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "ciam events prune (command line)"})
	n, err := event.NewService(pool).Prune(ctx, uuid.Nil, time.Now().Add(-*olderThan), keepFor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d events pruned\n", n)
	return nil
}
