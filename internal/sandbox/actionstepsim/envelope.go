package actionstepsim

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// paging is what meta.paging reports about a reply.
type paging struct {
	total, page, size int
}

// document is the response envelope of reference §2.5: link templates,
// the records under the resource name — ONE record as an object, several
// as an array — side-loaded records under "linked", and meta with paging
// keyed by resource name.
func (c *restCall) document(rows []*record, pg paging, q query) ordered {
	k := rows[0].kind
	linked, order := c.sideLoad(rows, q.include)
	links := c.linkTemplates(k)
	for _, name := range order {
		links = append(links, c.linkTemplates(c.s.kinds[name])...)
	}
	var doc ordered
	if len(links) > 0 {
		doc = append(doc, kv{"links", links})
	}
	doc = append(doc, kv{k.name, renderRows(rows, q.fields[k.name])})
	if len(order) > 0 {
		var l ordered
		for _, name := range order {
			out := make([]ordered, 0, len(linked[name]))
			for _, r := range linked[name] {
				out = append(out, r.render(q.fields[name]))
			}
			l = append(l, kv{name, out}) // always arrays, even for one record
		}
		doc = append(doc, kv{"linked", l})
	}
	return append(doc, kv{"meta", ordered{
		{"paging", ordered{{k.name, c.pagingMeta(pg)}}},
		{"debug", c.debugMeta()},
	}})
}

// renderRows applies the single-object rule: one record on the page is an
// object, whatever recordCount says (simulator choice; the official demo
// app looks at recordCount, so only pages of one differ).
func renderRows(rows []*record, fields map[string]bool) any {
	if len(rows) == 1 {
		return rows[0].render(fields)
	}
	out := make([]ordered, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.render(fields))
	}
	return out
}

// sideLoad follows the include paths from rows and collects the linked
// records per resource, in id order; order is the resources in the order
// first reached.
func (c *restCall) sideLoad(rows []*record, includes [][]string) (map[string][]*record, []string) {
	linked := map[string][]*record{}
	var order []string
	for _, path := range includes {
		cur := rows
		for _, seg := range path {
			l := cur[0].kind.link(seg)
			target := c.s.kinds[l.target]
			if target == nil {
				break // divisions, steps, …: not simulated, nothing to load
			}
			var next []*record
			for _, r := range cur {
				for _, id := range values(r, seg) {
					if id == nil {
						continue
					}
					tr := c.find(target, id.(string))
					if tr == nil {
						continue
					}
					next = append(next, tr)
					if !slices.ContainsFunc(linked[target.name], func(x *record) bool { return x.idString() == tr.idString() }) {
						if linked[target.name] == nil {
							order = append(order, target.name)
						}
						linked[target.name] = append(linked[target.name], tr)
					}
				}
			}
			if len(next) == 0 {
				break
			}
			cur = next
		}
	}
	for _, recs := range linked {
		slices.SortFunc(recs, byID)
	}
	return linked, order
}

// linkTemplates are the top-level "links" of a resource (reference §2.5
// rule 4). Their hrefs carry the doubled host real replies have
// ("https://<host>.actionstep.com/api/rest/…"), reproduced so that a
// client that dereferences them fails here as it would there.
func (c *restCall) linkTemplates(k *kind) ordered {
	var out ordered
	for _, l := range k.links {
		name := k.name + "." + l.name
		out = append(out, kv{name, ordered{
			{"href", "http://" + c.r.Host + ".actionstep.com" + c.org.apiPath() + "rest/" + l.target + "/{" + name + "}"},
			{"type", l.target},
		}})
	}
	return out
}

// pagingMeta is meta.paging.<resource>: prevPage and nextPage are absolute
// URLs of the same query on another page, or null.
func (c *restCall) pagingMeta(pg paging) ordered {
	pages := max(1, (pg.total+pg.size-1)/pg.size)
	pageURL := func(n int) any {
		if n < 1 || n > pages || c.r.Method != "GET" {
			return nil
		}
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return baseURL(c.r) + c.r.URL.Path + "?" + q.Encode()
	}
	return ordered{
		{"recordCount", pg.total}, {"pageCount", pages}, {"page", pg.page}, {"pageSize", pg.size},
		{"prevPage", pageURL(pg.page - 1)}, {"nextPage", pageURL(pg.page + 1)},
	}
}

// debugMeta mirrors the keys of Actionstep's meta.debug block; the values
// are simulated (simulator choice) and carry nothing clients should use.
func (c *restCall) debugMeta() ordered {
	took := fmt.Sprintf("%.6f", time.Since(c.started).Seconds())
	return ordered{
		{"requestTime", took}, {"mem", "1.00mb"}, {"server", "sandbox." + c.org.key + ".actionstep.local"},
		{"cb", "SIM-0-0"}, {"time", c.now.In(c.s.loc).Format("2006-01-02 15:04:05 -0700 (MST)")},
		{"appload", "0.00, 0.00, 0.00"}, {"app", took}, {"db", "0.000000"}, {"dbc", "0.000000"},
		{"qc", "0"}, {"uqc", "0"}, {"fc", "0"}, {"rl", nil},
	}
}
