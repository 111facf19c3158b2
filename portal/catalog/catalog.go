// Package catalog is the portal's national catalogue of administrative
// procedures: a set of real high-volume procedures kept as embedded data
// files, plus a deterministic synthetic expansion to the national size
// (3,525 services) so that browsing and search behave as they do at scale.
package catalog

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/portalsim/portalsim/portal"
)

// Group is an interconnected procedure group (liên thông điện tử): several
// procedures of different agencies done through one dossier.
type Group struct {
	Code    string   `json:"code"`
	NameVI  string   `json:"name_vi"`
	NameEN  string   `json:"name_en"`
	Members []string `json:"members"` // procedure codes
}

// Catalog holds every procedure, real ones first, with search keys
// precomputed at load so a query only scans folded strings. It is
// immutable after Load and safe for concurrent use; the procedures it
// returns are shared and must not be modified.
type Catalog struct {
	procedures []*portal.Procedure
	byCode     map[string]*portal.Procedure
	keys       []searchKey // parallel to procedures
	real       int         // procedures[:real] are real
	groups     []Group
}

// searchKey is a procedure's folded text.
type searchKey struct {
	nameVI, nameEN, code string
	all                  string // nameVI + " " + nameEN + " " + code
}

var _ portal.Catalog = (*Catalog)(nil)

// Procedure returns the procedure with that code.
func (c *Catalog) Procedure(code string) (*portal.Procedure, bool) {
	p, ok := c.byCode[strings.TrimSpace(code)]
	return p, ok
}

// Len is the number of procedures in the catalogue.
func (c *Catalog) Len() int { return len(c.procedures) }

// Real returns the real (non-synthetic) procedures in data-file order.
func (c *Catalog) Real() []*portal.Procedure {
	return append([]*portal.Procedure(nil), c.procedures[:c.real]...)
}

// All returns every procedure, real ones first.
func (c *Catalog) All() []*portal.Procedure {
	return append([]*portal.Procedure(nil), c.procedures...)
}

// Groups returns the interconnected procedure groups.
func (c *Catalog) Groups() []Group {
	out := make([]Group, len(c.groups))
	for i, g := range c.groups {
		g.Members = append([]string(nil), g.Members...)
		out[i] = g
	}
	return out
}

// Search returns one page of the procedures matching q and the total number
// of matches. Every word of q.Text must occur in the folded Vietnamese or
// English name or the code. Real procedures rank before synthetic ones, then
// by relevance, then catalogue order. Out-of-range paging values are clamped.
func (c *Catalog) Search(q portal.ProcedureQuery) ([]*portal.Procedure, int) {
	words := strings.Fields(Fold(q.Text))
	phrase := strings.Join(words, " ")
	type hit struct {
		i, score int
	}
	var hits []hit
	for i, p := range c.procedures {
		if (q.Level != "" && p.Level != q.Level) || (q.Topic != "" && p.Topic != q.Topic) ||
			(q.FullProcess != nil && p.FullProcess != *q.FullProcess) ||
			(q.Synthetic != nil && p.Synthetic != *q.Synthetic) {
			continue
		}
		k := &c.keys[i]
		ok := true
		for _, w := range words {
			if !strings.Contains(k.all, w) {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, hit{i, relevance(k, words, phrase)})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool {
		ra, rb := hits[a].i < c.real, hits[b].i < c.real
		if ra != rb {
			return ra
		}
		return hits[a].score > hits[b].score
	})
	page, perPage := clampPage(q.Page, q.PerPage)
	total := len(hits)
	start := (page - 1) * perPage
	if start >= total {
		return []*portal.Procedure{}, total
	}
	end := min(start+perPage, total)
	out := make([]*portal.Procedure, 0, end-start)
	for _, h := range hits[start:end] {
		out = append(out, c.procedures[h.i])
	}
	return out, total
}

// clampPage turns any page/per-page into a usable pair: page ≥ 1 and
// 1 ≤ per-page ≤ portal.MaxPerPage (default portal.DefaultPerPage).
func clampPage(page, perPage int) (int, int) {
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = portal.DefaultPerPage
	}
	if perPage > portal.MaxPerPage {
		perPage = portal.MaxPerPage
	}
	// Keep the offset arithmetic far from overflow on absurd page numbers.
	if page > 1<<30/perPage {
		page = 1<<30/perPage + 1
	}
	return page, perPage
}

// relevance scores a match: an exact code or name beats a name that starts
// with the query, which beats the phrase anywhere, which beats scattered words.
func relevance(k *searchKey, words []string, phrase string) int {
	if phrase == "" {
		return 0
	}
	score := 0
	switch {
	case k.code == phrase:
		score += 1000
	case k.nameVI == phrase || k.nameEN == phrase:
		score += 500
	case strings.HasPrefix(k.nameVI, phrase) || strings.HasPrefix(k.nameEN, phrase):
		score += 200
	case strings.Contains(k.nameVI, phrase) || strings.Contains(k.nameEN, phrase):
		score += 100
	}
	for _, w := range words {
		if containsWord(k.nameVI, w) {
			score += 10
		} else if containsWord(k.nameEN, w) {
			score += 5
		}
	}
	// Shorter names are more specific matches.
	score -= len(k.nameVI) / 40
	return score
}

// containsWord reports whether w occurs in s as a whole space-separated word.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || s[j-1] == ' ') && (end == len(s) || s[end] == ' ') {
			return true
		}
		i = j + 1
	}
}

// Fold returns s in lower case with Vietnamese diacritics removed (đ → d)
// and runs of white space collapsed to one space, trimmed: the form in which
// names and queries are compared.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func newSearchKey(p *portal.Procedure) searchKey {
	k := searchKey{nameVI: Fold(p.NameVI), nameEN: Fold(p.NameEN), code: Fold(p.Code)}
	k.all = k.nameVI + " " + k.nameEN + " " + k.code
	return k
}
