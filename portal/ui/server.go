package ui

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// Cookie and form names.
const (
	SessionCookie = "portalsim_session" // the AuthService bearer token
	CSRFCookie    = "portalsim_csrf"    // double-submit token
	LangCookie    = "portalsim_lang"
	CSRFField     = "csrf_token"
)

// Languages the UI speaks; the first is the default.
var languages = []string{"vi", "en"}

type server struct {
	d         Deps
	stopMu    sync.Mutex
	stops     map[*http.Server]chan struct{} // closed when that server starts shutting down
	log       *slog.Logger
	pages     map[string]*template.Template
	messages  map[string]map[string]string // lang → key → text
	catalogue portal.CatalogIndicators
}

func newServer(d Deps) (*server, error) {
	if d.Auth == nil || d.Dossiers == nil || d.Catalog == nil {
		return nil, errors.New("ui: Auth, Dossiers and Catalog are required")
	}
	s := &server{d: d, log: d.Logger, stops: map[*http.Server]chan struct{}{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.messages, err = loadMessages(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.catalogue = portal.SummarizeCatalog(d.Catalog.All())
	return s, nil
}

// loadMessages reads the embedded catalogues, one JSON object per language.
func loadMessages() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, lang := range languages {
		b, err := messageFS.ReadFile("messages/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("ui: message catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("ui: message catalogue %s: %w", lang, err)
		}
		out[lang] = m
	}
	return out, nil
}

// t returns the text of key in lang, with fmt-style arguments. A missing
// key renders as the key itself in brackets, so it is visible (a test
// keeps it from happening).
func (s *server) t(lang, key string, args ...any) string {
	m, ok := s.messages[lang][key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"t": s.t,
		"status": func(lang string, st portal.Status) string {
			return s.t(lang, "status."+string(st))
		},
		"date": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.In(portal.VietnamTime).Format("02/01/2006")
		},
		"datetime": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.In(portal.VietnamTime).Format("02/01/2006 15:04")
			case *time.Time:
				if v != nil {
					return v.In(portal.VietnamTime).Format("02/01/2006 15:04")
				}
			}
			return "—"
		},
		"isodate": func(t time.Time) string { return t.In(portal.VietnamTime).Format(time.RFC3339) },
		"vnd":     formatVND,
		"pick": func(lang, vi, en string) string {
			if lang == "en" && en != "" {
				return en
			}
			return vi
		},
		"pct": func(r portal.Ratio) string {
			v, ok := r.Value()
			if !ok {
				return "—"
			}
			return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
		},
		"fptr": func(f *float64) string {
			if f == nil {
				return "—"
			}
			return strconv.FormatFloat(*f, 'f', 1, 64)
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"deref":   func(b *bool) bool { return b != nil && *b },
		"fieldID": func(name string) string { return "f-" + name },
		"attID":   func(code string) string { return "a-" + code },
		"bytes":   func(n int64) string { return strconv.FormatInt((n+1023)/1024, 10) + " KB" },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i + 1
			}
			return out
		},
	}
}

// parseTemplates parses layout.html with each page.
func (s *server) parseTemplates() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range names {
		name := e.Name()
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		t, err := template.New(name).Funcs(s.funcs()).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		pages[strings.TrimSuffix(name, ".html")] = t
	}
	return pages, nil
}

// view is what every page template gets.
type view struct {
	L         string // language
	Title     string
	User      *portal.Principal
	CSRF      string
	Simulator bool
	Path      string     // current path
	query     url.Values // current query without lang and notice, for the language switch
	Nav       string     // active menu entry
	Notice    string     // a message key shown as a success banner
	Error     string     // a message shown as an error banner
	Fields    []fieldProblem
	Data      any
}

// LangURL returns this page in another language, keeping its query.
func (v *view) LangURL(lang string) template.URL {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Set("lang", lang)
	p := v.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		p = "/" // never a link to another host
	}
	return template.URL((&url.URL{Path: p, RawQuery: q.Encode()}).String())
}

// fieldProblem is one entry of an error summary, linked to its field.
type fieldProblem struct {
	Anchor  string // element id
	Label   string
	Message string
}

// lang picks the language: ?lang= (remembered in a cookie), then the cookie, then vi.
func (s *server) lang(c *gin.Context) string {
	if q := c.Query("lang"); q != "" {
		for _, l := range languages {
			if q == l {
				http.SetCookie(c.Writer, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
					HttpOnly: true, SameSite: http.SameSiteLaxMode})
				return l
			}
		}
	}
	if ck, err := c.Cookie(LangCookie); err == nil {
		for _, l := range languages {
			if ck == l {
				return l
			}
		}
	}
	return languages[0]
}

// csrfToken returns the double-submit token, setting the cookie if absent.
func (s *server) csrfToken(c *gin.Context) string {
	if v, ok := c.Get(CSRFCookie); ok {
		return v.(string)
	}
	if ck, err := c.Cookie(CSRFCookie); err == nil && len(ck) == 32 {
		return ck
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	http.SetCookie(c.Writer, &http.Cookie{Name: CSRFCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	c.Set(CSRFCookie, tok)
	return tok
}

// checkCSRF refuses a POST whose form token does not match its cookie:
// another site can make the browser send the cookie but cannot read it to
// put it in the form.
func (s *server) checkCSRF(c *gin.Context) {
	ck, err := c.Cookie(CSRFCookie)
	form := c.Request.PostFormValue(CSRFField)
	if err != nil || ck == "" || form == "" || subtle.ConstantTimeCompare([]byte(ck), []byte(form)) != 1 {
		s.fail(c, http.StatusForbidden, s.t(s.lang(c), "err.csrf"))
		c.Abort()
		return
	}
	c.Next()
}

// principal resolves the session cookie; nil when signed out.
func (s *server) principal(c *gin.Context) *portal.Principal {
	if v, ok := c.Get("ui.principal"); ok {
		return v.(*portal.Principal)
	}
	var who *portal.Principal
	if tok, err := c.Cookie(SessionCookie); err == nil && tok != "" {
		if p, err := s.d.Auth.Authenticate(c.Request.Context(), tok); err == nil {
			who = &p
		}
	}
	c.Set("ui.principal", who)
	return who
}

// require lets through signed-in users with one of roles, and sends
// everyone else to the login page (or a 403 page for the wrong role).
func (s *server) require(roles ...portal.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		who := s.principal(c)
		if who == nil {
			if c.Request.Method == http.MethodGet {
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			} else {
				s.fail(c, http.StatusUnauthorized, s.t(s.lang(c), "err.signin"))
			}
			c.Abort()
			return
		}
		for _, r := range roles {
			if who.Role == r {
				c.Next()
				return
			}
		}
		s.fail(c, http.StatusForbidden, s.t(s.lang(c), "err.role"))
		c.Abort()
	}
}

func (s *server) newView(c *gin.Context, titleKey string, data any) *view {
	l := s.lang(c)
	v := &view{L: l, Title: s.t(l, titleKey), User: s.principal(c), CSRF: s.csrfToken(c),
		Simulator: s.d.Simulator, Path: c.Request.URL.Path, Data: data}
	if c.Request.Method == http.MethodGet {
		q := c.Request.URL.Query()
		q.Del("lang")
		q.Del("notice")
		v.query = q
	}
	if n := c.Query("notice"); n != "" {
		if _, ok := s.messages[l]["notice."+n]; ok {
			v.Notice = "notice." + n
		}
	}
	return v
}

func (s *server) render(c *gin.Context, status int, page string, v *view) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("ui: no such page template", slog.String("page", page))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("ui: render", slog.String("page", page), slog.Any("err", err))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' "+s.formActions())
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// formActions allows the payment form to post to the gateway when it is
// on another origin.
func (s *server) formActions() string {
	if s.d.Payments == nil {
		return ""
	}
	u, err := url.Parse(s.d.Payments.GatewayURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// fail renders the error page.
func (s *server) fail(c *gin.Context, status int, msg string) {
	v := s.newView(c, "err.title", nil)
	v.Error = msg
	s.render(c, status, "error", v)
}

// failErr renders a domain error with the status the API would use.
func (s *server) failErr(c *gin.Context, err error) {
	status := http.StatusInternalServerError
	switch portal.ErrorCode(err) {
	case portal.EINVALID:
		status = http.StatusUnprocessableEntity
	case portal.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case portal.EFORBIDDEN:
		status = http.StatusForbidden
	case portal.ENOTFOUND:
		status = http.StatusNotFound
	case portal.ECONFLICT:
		status = http.StatusConflict
	case portal.EUNAVAILABLE, portal.ETOOMANY:
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		s.log.Error("ui: request failed", slog.String("path", c.Request.URL.Path), slog.Any("err", err))
	}
	s.fail(c, status, s.errText(s.lang(c), err))
}

// errText is the user-facing text of a domain error: the domain's message,
// with the generic cases translated.
func (s *server) errText(lang string, err error) string {
	switch portal.ErrorCode(err) {
	case portal.EINTERNAL:
		return s.t(lang, "err.internal")
	case portal.EUNAVAILABLE:
		return s.t(lang, "err.unavailable") + " (" + portal.ErrorMessage(err) + ")"
	}
	return portal.ErrorMessage(err)
}

// redirect sends the browser to path with an optional notice key.
func redirect(c *gin.Context, p, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		p += sep + "notice=" + url.QueryEscape(notice)
	}
	c.Redirect(http.StatusSeeOther, p)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return path.Clean("/"+strings.TrimPrefix(strings.SplitN(next, "?", 2)[0], "/")) + queryOf(next)
}

func queryOf(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[i:]
	}
	return ""
}

func formatVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String() + " ₫"
}

// procedureName returns a procedure's name in lang, or its code.
func (s *server) procedureName(lang, code string) string {
	p, ok := s.d.Catalog.Procedure(code)
	if !ok {
		return code
	}
	if lang == "en" && p.NameEN != "" {
		return p.NameEN
	}
	return p.NameVI
}

// stopping returns a channel closed when the server serving r begins to
// shut down, so that long-lived event streams end and let it drain
// (http.Server.Shutdown does not cancel the contexts of active requests).
func (s *server) stopping(r *http.Request) <-chan struct{} {
	srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return nil
	}
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	ch, ok := s.stops[srv]
	if !ok {
		ch = make(chan struct{})
		s.stops[srv] = ch
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}
