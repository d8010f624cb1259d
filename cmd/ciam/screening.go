package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/screening"
)

const screeningUsage = `usage:
  ciam screening load --source ofac|ofac-cons|un|eu|uk|csl|dpl|senzing [--allow-shrink] PATH
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
	svc := screening.NewService(pool)
	// A load queues the re-screening of every customer; a running server
	// works it.
	if svc.Jobs, err = jobs.NewInserter(pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool.Close, nil
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
	if res.RescreenQueued {
		fmt.Fprintln(stdout, "re-screening of every active customer against the added and changed entries is queued; a running server works it")
	}
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

// demoLists are the lists `make run` loads on first start, from the copy
// in the repository, by the source each makes.
var demoLists = []struct {
	source string
	format screening.Format
	path   string
}{
	{"OFAC_SDN", screening.FormatOFAC, "ofac-2021"},
	{"UN_CONSOLIDATED", screening.FormatUN, "un/consolidated.xml"},
	{"OS_US_CONGRESS", screening.FormatSenzing, "pep/us_congress_senzing.jsonl"},
}

// loadDemoLists loads each demo list whose source has no version in use,
// drawing its progress on stdout. Each load queues the re-screening of the
// customers, which the server then works.
func loadDemoLists(ctx context.Context, svc *screening.Service, dir string, stdout io.Writer) error {
	versions, err := svc.Versions(ctx, "", 1000)
	if err != nil {
		return err
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo lists"})
	for _, l := range demoLists {
		if slices.ContainsFunc(versions, func(v screening.Version) bool { return v.Source == l.source && v.Status == "CURRENT" }) {
			continue
		}
		fmt.Fprintf(stdout, "loading the screening list %s from %s\n", l.source, filepath.Join(dir, l.path))
		bar := &progressBar{w: stdout}
		res, err := svc.Load(ctx, l.format, filepath.Join(dir, l.path), screening.LoadOptions{Progress: bar.update})
		bar.finish()
		if err != nil {
			return fmt.Errorf("demo lists: %w", err)
		}
		fmt.Fprintf(stdout, "%s version %d: %d entries\n", res.Version.Source, res.Version.Seq, res.Version.Entries)
	}
	return nil
}
