package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ciamhq/ciam/views/components"
)

// pageSizes are the page sizes the lists offer.
var pageSizes = []int{25, 50, 100}

// pageSize is the list's page size asked for in the URL ("size"), or def
// when none or one not offered is asked for.
func pageSize(q url.Values, def int) int {
	n, err := strconv.Atoi(q.Get("size"))
	if err != nil {
		return def
	}
	for _, s := range pageSizes {
		if s == n {
			return n
		}
	}
	return def
}

// sizeLinks are the page-size choices for the list at u, each starting
// again from the first page with the filters kept.
func sizeLinks(u *url.URL, current, def int, cursors ...string) []components.PageLink {
	out := make([]components.PageLink, 0, len(pageSizes))
	for _, n := range pageSizes {
		q := cloneValues(u.Query())
		for _, c := range append(cursors, "offset") {
			q.Del(c)
		}
		if n == def {
			q.Del("size")
		} else {
			q.Set("size", strconv.Itoa(n))
		}
		out = append(out, components.PageLink{Label: strconv.Itoa(n), URL: withQuery(u.Path, q), Current: n == current})
	}
	return out
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// offsetPager is pagination for offset-paged lists: the count, previous
// and next, and numbered pages around the current one. Lists that read a
// page size from the URL add their Sizes (sizeLinks).
func offsetPager(u *url.URL, total int64, offset, n, limit int) components.Pager {
	p := components.Pager{Total: total}
	if n > 0 {
		p.From, p.To = int64(offset)+1, int64(offset+n)
	}
	at := func(off int) string {
		q := cloneValues(u.Query())
		if off <= 0 {
			q.Del("offset")
		} else {
			q.Set("offset", strconv.Itoa(off))
		}
		return withQuery(u.Path, q)
	}
	if offset > 0 {
		p.FirstURL = at(0)
		p.PrevURL = at(max(offset-limit, 0))
	}
	if int64(offset+n) < total {
		p.NextURL = at(offset + limit)
	}
	pages := int((total + int64(limit) - 1) / int64(limit))
	if pages <= 1 {
		return p
	}
	current := offset/limit + 1
	gap := false
	for i := 1; i <= pages; i++ {
		if i == 1 || i == pages || (i >= current-2 && i <= current+2) {
			p.Pages = append(p.Pages, components.PageLink{Label: components.Count(int64(i)), URL: at((i - 1) * limit), Current: i == current})
			gap = false
		} else if !gap {
			p.Pages = append(p.Pages, components.PageLink{})
			gap = true
		}
	}
	return p
}

// exportURL is the CSV export of the list at u with its filters, without
// its paging.
func exportURL(u *url.URL, path string, cursors ...string) string {
	q := cloneValues(u.Query())
	for _, c := range append(cursors, "offset", "size") {
		q.Del(c)
	}
	return withQuery(path, q)
}

// keysetTrail is how many earlier pages' cursors a keyset list's links
// carry, so that those pages can be numbered and reached directly.
const keysetTrail = 5

// keysetPage is where a keyset-paged list stands: the cursor of the page
// shown (empty on the first), the rows before it (offset, which only
// numbers them) and the cursors of the pages before it (trail, the
// first page's excluded, the nearest last).
type keysetPage struct {
	cursorParam string // the URL parameter of the cursor: "after", "before"
	cursor      string
	offset      int64
	trail       []string
}

// keysetFrom reads a keyset list's place from its URL. Cursors in the
// trail that valid refuses are dropped with the rest of the trail: the
// earlier pages are then not numbered, and nothing else changes.
func keysetFrom(q url.Values, cursorParam string, valid func(string) bool) keysetPage {
	k := keysetPage{cursorParam: cursorParam, cursor: q.Get(cursorParam)}
	if k.cursor != "" {
		if off, err := strconv.ParseInt(q.Get("offset"), 10, 64); err == nil && off > 0 {
			k.offset = off
		}
	}
	if t := q.Get("trail"); t != "" && k.cursor != "" {
		for _, c := range strings.Split(t, ",") {
			if !valid(c) {
				k.trail = nil
				break
			}
			k.trail = append(k.trail, c)
		}
		if len(k.trail) > keysetTrail {
			k.trail = k.trail[len(k.trail)-keysetTrail:]
		}
	}
	return k
}

// keysetPager is pagination for keyset-paged lists, which read a page by
// its cursor without counting the rows before it: the count ("51–100 of
// 1,204"), numbered links to the first page, to the pages before whose
// cursors the URL carries, and to the next page; "…" where pages are
// skipped. next is the next page's cursor, "" on the last page.
func keysetPager(u *url.URL, k keysetPage, total int64, n, limit int, next string) components.Pager {
	p := components.Pager{Total: total}
	if n > 0 {
		p.From, p.To = k.offset+1, k.offset+int64(n)
		if p.To > p.Total {
			// Rows were added between pages; the count is of now.
			p.Total = p.To
		}
	}
	at := func(cursor string, offset int64, trail []string) string {
		q := cloneValues(u.Query())
		q.Del("trail")
		if cursor == "" {
			q.Del(k.cursorParam)
			q.Del("offset")
		} else {
			q.Set(k.cursorParam, cursor)
			q.Set("offset", strconv.FormatInt(offset, 10))
			if len(trail) > 0 {
				q.Set("trail", strings.Join(trail, ","))
			}
		}
		return withQuery(u.Path, q)
	}
	current := int64(1)
	if k.cursor != "" {
		current = max(k.offset/int64(limit)+1, 2)
	}
	// The pages before whose cursors are known: page current-len(trail)
	// up to current-1; and always the first.
	firstKnown := current - int64(len(k.trail))
	if current > 1 {
		p.Pages = append(p.Pages, components.PageLink{Label: "1", URL: at("", 0, nil)})
		if firstKnown > 2 {
			p.Pages = append(p.Pages, components.PageLink{})
		}
		for i, c := range k.trail {
			page := firstKnown + int64(i)
			if page <= 1 {
				continue
			}
			p.Pages = append(p.Pages, components.PageLink{Label: components.Count(page), URL: at(c, (page-1)*int64(limit), k.trail[:i])})
		}
		if prev := p.Pages[len(p.Pages)-1]; prev.URL != "" && (current == 2 || len(k.trail) > 0) {
			p.PrevURL = prev.URL
		}
	}
	if current > 1 || next != "" {
		p.Pages = append(p.Pages, components.PageLink{Label: components.Count(current), Current: true})
	}
	if next != "" {
		trail := k.trail
		if k.cursor != "" {
			trail = append(slices.Clone(k.trail), k.cursor)
			if len(trail) > keysetTrail {
				trail = trail[len(trail)-keysetTrail:]
			}
		}
		p.NextURL = at(next, k.offset+int64(n), trail)
		p.Pages = append(p.Pages, components.PageLink{Label: components.Count(current + 1), URL: p.NextURL})
		if int64(current+1)*int64(limit) < p.Total {
			p.Pages = append(p.Pages, components.PageLink{})
		}
	}
	return p
}
