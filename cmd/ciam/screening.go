package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/screening"
)

const screeningUsage = `usage:
  ciam screening load --source ofac|un|senzing [--allow-shrink] PATH
      load a list as a new version (OFAC: the folder holding sdn.csv, alt.csv, add.csv)
  ciam screening versions [--source ID]
      list the loaded versions, newest first`

func cmdScreening(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(screeningUsage)
	}
	switch args[0] {
	case "load":
		return cmdScreeningLoad(ctx, args[1:], getenv, stdout)
	case "versions":
		return cmdScreeningVersions(ctx, args[1:], getenv, stdout)
	default:
		return fmt.Errorf("unknown screening command %q\n%s", args[0], screeningUsage)
	}
}

func screeningService(ctx context.Context, getenv func(string) string) (*screening.Service, func(), error) {
	url, err := databaseURL(getenv)
	if err != nil {
		return nil, nil, err
	}
	pool, err := db.Open(ctx, url, appRole(getenv))
	if err != nil {
		return nil, nil, err
	}
	return screening.NewService(pool), pool.Close, nil
}

func cmdScreeningLoad(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("screening load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "list format: ofac, un or senzing")
	allowShrink := fs.Bool("allow-shrink", false, "accept a list with less than half the entries of the one in use")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n%s", err, screeningUsage)
	}
	if fs.NArg() != 1 {
		return errors.New(screeningUsage)
	}
	format, err := screening.ParseFormat(*source)
	if err != nil {
		return err
	}
	svc, closePool, err := screeningService(ctx, getenv)
	if err != nil {
		return err
	}
	defer closePool()
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "ciam screening load (command line)"})
	bar := &progressBar{w: stdout}
	res, err := svc.Load(ctx, format, fs.Arg(0), screening.LoadOptions{Progress: bar.update, AllowShrink: *allowShrink})
	bar.finish()
	if err != nil {
		return err
	}
	v := res.Version
	fmt.Fprintf(stdout, "%s version %d loaded: %d entries (checksum %s)\n", v.Source, v.Seq, v.Entries, v.Checksum[:12])
	fmt.Fprintf(stdout, "against the version before: %d added, %d removed, %d changed\n", v.Added, v.Removed, v.Changed)
	for _, kind := range []string{"ADDED", "REMOVED", "CHANGED"} {
		changes, err := svc.Changes(ctx, v.ID, kind, 5)
		if err != nil {
			return err
		}
		for _, c := range changes {
			fmt.Fprintf(stdout, "  %-8s %-10s %s\n", strings.ToLower(c.Change), c.EntryID, c.Name)
		}
	}
	return nil
}

func cmdScreeningVersions(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("screening versions", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "only this source (e.g. OFAC_SDN)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n%s", err, screeningUsage)
	}
	svc, closePool, err := screeningService(ctx, getenv)
	if err != nil {
		return err
	}
	defer closePool()
	versions, err := svc.Versions(ctx, strings.ToUpper(*source), 50)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tVERSION\tSTATUS\tLOADED\tENTRIES\tADDED\tREMOVED\tCHANGED\tFILE\tERROR")
	for _, v := range versions {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", v.Source, v.Seq, v.Status,
			v.LoadedAt.Format("2006-01-02 15:04"), v.Entries, v.Added, v.Removed, v.Changed, v.FileName, v.Error)
	}
	return tw.Flush()
}

// progressBar draws a load's progress on one line, redrawn in place.
type progressBar struct {
	w     io.Writer
	stage string
	pct   int
	drawn bool
}

func (p *progressBar) update(stage string, done, total int) {
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	if stage == p.stage && pct == p.pct {
		return
	}
	if stage != p.stage && p.drawn {
		fmt.Fprintln(p.w)
	}
	p.stage, p.pct, p.drawn = stage, pct, true
	const width = 30
	fmt.Fprintf(p.w, "\r%-5s [%-*s] %3d%%", stage, width, strings.Repeat("#", pct*width/100), pct)
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
