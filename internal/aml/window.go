package aml

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// Each server keeps the recent history of the customers it screens: the
// rows of their window, in memory, and the highest seq it has read. A
// screening takes the customer's lock first; under it, every committed row
// of that customer is visible and no other screening of theirs is under
// way, so reading the rows with a higher seq brings the copy up to date —
// usually none or one row, through the (tenant, customer, seq) index. A
// customer not in memory, or a window reaching further back than the copy,
// is one range read of (tenant, customer, occurred_at). Rows are never
// changed or deleted once written, so the copy cannot go stale otherwise.

// windowRows bounds how many rows all copies hold together (about 100
// bytes each).
const windowRows = 1_000_000

type windowKey struct{ tenant, customer uuid.UUID }

// window is one customer's copy: every row with At >= since and seq <= seq,
// oldest first. Rows already in it are never changed in place: readers
// hold views of it without a lock.
type window struct {
	key   windowKey
	mu    sync.Mutex
	since time.Time
	seq   int64
	rows  []Past
	used  time.Time
	// gone is set when the copy was forgotten while a reader waited for it.
	gone bool
}

// windows are the copies of one server.
type windows struct {
	mu    sync.Mutex
	m     map[windowKey]*window
	total int
	limit int
}

func newWindows(limit int) *windows {
	return &windows{m: map[windowKey]*window{}, limit: limit}
}

func (ws *windows) entry(k windowKey) *window {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w, ok := ws.m[k]
	if !ok {
		w = &window{key: k}
		ws.m[k] = w
	}
	return w
}

// grew accounts for n more rows held, and forgets the least recently used
// copies when over the limit.
func (ws *windows) grew(n int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.total += n
	if ws.total <= ws.limit {
		return
	}
	type aged struct {
		k    windowKey
		used time.Time
	}
	var all []aged
	for k, w := range ws.m {
		if w.mu.TryLock() {
			all = append(all, aged{k, w.used})
			w.mu.Unlock()
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, a := range all {
		if ws.total <= ws.limit*3/4 {
			break
		}
		w := ws.m[a.k]
		if !w.mu.TryLock() {
			continue
		}
		ws.total -= len(w.rows)
		w.rows, w.seq, w.since, w.gone = nil, 0, time.Time{}, true
		delete(ws.m, a.k)
		w.mu.Unlock()
	}
}

// read returns the customer's transactions in [since, until), oldest
// first, from the copy brought up to date. It must run under the
// customer's lock, inside the screening's transaction q.
func (ws *windows) read(ctx context.Context, q *db.Queries, tenant, customer uuid.UUID, since, until time.Time) ([]Past, error) {
	w, _ := ws.hold(tenant, customer)
	out, added, err := ws.view(ctx, q, w, tenant, customer, since, until, nil, false)
	ws.release(w, added)
	return out, err
}

// laterRow is a row of a customer's history with its seq.
type laterRow struct {
	seq int64
	p   Past
}

// hold takes the customer's copy for one screening, under the customer's
// lock, and says after which seq it needs rows to be up to date: -1 when
// it holds none. A screening reads those rows in its first statement,
// brings the copy up to date with view and lets it go with release.
func (ws *windows) hold(tenant, customer uuid.UUID) (*window, int64) {
	w := ws.entry(windowKey{tenant, customer})
	w.mu.Lock()
	if w.seq == 0 {
		return w, -1
	}
	return w, w.seq
}

// release lets go of a copy held, accounting for the rows view added. A
// copy still empty is forgotten: a screening of an unknown customer, or
// under rules without windows, leaves nothing behind.
func (ws *windows) release(w *window, added int) {
	if w.seq == 0 && !w.gone {
		ws.mu.Lock()
		if ws.m[w.key] == w {
			delete(ws.m, w.key)
		}
		ws.mu.Unlock()
		w.gone = true
	}
	gone := w.gone
	w.mu.Unlock()
	if added != 0 && !gone {
		ws.grew(added)
	}
}

// view returns the transactions in [since, until) of the held copy w,
// oldest first: brought up to date with later when fetched (the rows after
// the seq hold reported), else with a read of q; read afresh when the copy
// is cold or does not reach back to since. It also says how many rows the
// copy gained.
func (ws *windows) view(ctx context.Context, q *db.Queries, w *window, tenant, customer uuid.UUID, since, until time.Time, later []laterRow, fetched bool) ([]Past, int, error) {
	added := 0
	if w.seq == 0 || since.Before(w.since) {
		// Cold, or the rules now look further back: read the range. Rows
		// written before the last seq but dated before since are out of
		// every window this copy serves.
		last, err := q.AMLCustomerLastSeq(ctx, db.AMLCustomerLastSeqParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return nil, 0, err
		}
		rows, err := q.AMLCustomerWindow(ctx, db.AMLCustomerWindowParams{TenantID: tenant, CustomerID: customer, Since: since})
		if err != nil {
			return nil, 0, err
		}
		added -= len(w.rows)
		w.rows = make([]Past, 0, len(rows)+8)
		for _, r := range rows {
			if r.Seq > last {
				continue // committed after the seq was read: the next read adds it
			}
			w.rows = append(w.rows, pastOf(r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, "", r.CounterpartyCountry))
		}
		w.seq, w.since = last, since
		added += len(w.rows)
	} else {
		if !fetched {
			rows, err := q.AMLCustomerAfter(ctx, db.AMLCustomerAfterParams{TenantID: tenant, CustomerID: customer, After: w.seq})
			if err != nil {
				return nil, 0, err
			}
			later = make([]laterRow, len(rows))
			for i, r := range rows {
				later[i] = laterRow{r.Seq, pastOf(r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, "", r.CounterpartyCountry)}
			}
		}
		for _, r := range later {
			if r.seq <= w.seq {
				continue
			}
			w.seq = r.seq
			if r.p.At.Before(w.since) {
				continue
			}
			p := r.p
			i := sort.Search(len(w.rows), func(i int) bool { return w.rows[i].At.After(p.At) })
			if i == len(w.rows) {
				w.rows = append(w.rows, p) // in order: earlier readers' views end before it
			} else {
				// Out of order: a new array, so that no reader's view shifts.
				rows := make([]Past, 0, len(w.rows)+8)
				rows = append(append(append(rows, w.rows[:i]...), p), w.rows[i:]...)
				w.rows = rows
			}
			added++
		}
	}
	// Forget what no window reaches any more.
	if cut := sort.Search(len(w.rows), func(i int) bool { return !w.rows[i].At.Before(since) }); cut > 0 && cut > len(w.rows)/4 {
		w.rows = append([]Past(nil), w.rows[cut:]...)
		w.since = since
		added -= cut
	}
	w.used = time.Now()
	lo := sort.Search(len(w.rows), func(i int) bool { return !w.rows[i].At.Before(since) })
	hi := sort.Search(len(w.rows), func(i int) bool { return !w.rows[i].At.Before(until) })
	// A view, not a copy: rows in it never change (see above), and its
	// capacity ends with it, so nothing appends into it.
	return w.rows[lo:hi:hi], added, nil
}
