package actionstep

import (
	"context"
	"fmt"
)

// MaxScanPages bounds how many pages Collect reads (MaxPageSize records each).
const MaxScanPages = 50

// Collect runs q page by page (MaxPageSize records a page, from q.Page or the first) and
// returns the records keep accepts, in the API's order.
//
// A filter is a request, not a promise: the documentation shows few filters in use, and an
// API that ignores one returns everything. Every lookup therefore checks each record itself
// (keep) and reads every page, so that a server that filtered nothing costs time, never a
// wrong answer.
func Collect[T any](ctx context.Context, list func(context.Context, Query) (*Page[T], error), q Query, keep func(T) bool) ([]T, error) {
	q.PageSize = MaxPageSize
	q.Page = max(q.Page, 1)
	var out []T
	for n := 0; ; n++ {
		if n == MaxScanPages {
			return nil, fmt.Errorf("%w: more than %d records match %s", ErrScanLimit, MaxScanPages*MaxPageSize, q.describe())
		}
		page, err := list(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if keep(it) {
				out = append(out, it)
			}
		}
		if !page.HasNext() || len(page.Items) == 0 {
			return out, nil
		}
		q.Page++
	}
}

// describe names the query's filters (never their values, which may be personal data) for
// an error message.
func (q Query) describe() string {
	if len(q.Filters) == 0 {
		return "a query without filters"
	}
	s := "the filters"
	for i, f := range q.Filters {
		name, _ := f.param()
		if i > 0 {
			s += ","
		}
		s += " " + name
	}
	return s
}
