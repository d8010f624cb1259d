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
		w = &window{}
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

func pastRow(seq int64, at time.Time, direction, typ, channel, currency string, units int64, ref *int64, country string) (int64, Past) {
	return seq, pastOf(at, direction, typ, channel, currency, units, ref, "", country)
}

// read returns the customer's transactions in [since, until), oldest
// first, from the copy brought up to date. It must run under the
// customer's lock, inside the screening's transaction q.
func (ws *windows) read(ctx context.Context, q *db.Queries, tenant, customer uuid.UUID, since, until time.Time) ([]Past, error) {
	w := ws.entry(windowKey{tenant, customer})
	w.mu.Lock()
	defer w.mu.Unlock()
	added := 0
	if w.seq == 0 || since.Before(w.since) {
		// Cold, or the rules now look further back: read the range. Rows
		// written before the last seq but dated before since are out of
		// every window this copy serves.
		last, err := q.AMLCustomerLastSeq(ctx, db.AMLCustomerLastSeqParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return nil, err
		}
		rows, err := q.AMLCustomerWindow(ctx, db.AMLCustomerWindowParams{TenantID: tenant, CustomerID: customer, Since: since})
		if err != nil {
			return nil, err
		}
		added -= len(w.rows)
		w.rows = make([]Past, 0, len(rows)+8)
		for _, r := range rows {
			if r.Seq > last {
				continue // committed after the seq was read: the next read adds it
			}
			_, p := pastRow(r.Seq, r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, r.CounterpartyCountry)
			w.rows = append(w.rows, p)
		}
		w.seq, w.since = last, since
		added += len(w.rows)
	} else {
		rows, err := q.AMLCustomerAfter(ctx, db.AMLCustomerAfterParams{TenantID: tenant, CustomerID: customer, After: w.seq})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			w.seq = max(w.seq, r.Seq)
			if r.OccurredAt.Before(w.since) {
				continue
			}
			_, p := pastRow(r.Seq, r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, r.CounterpartyCountry)
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
	out := w.rows[lo:hi:hi]
	if added != 0 && !w.gone {
		defer ws.grew(added)
	}
	return out, nil
}
