package web

import (
	"net/url"
	"strconv"

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
