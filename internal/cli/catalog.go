package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/catalog"
)

// newCatalogCmd browses the portal's embedded procedure catalogue, the
// same one the portal serves at /api/v1/procedures.
func newCatalogCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Browse the portal's procedure catalogue",
		Long: "Browse the embedded catalogue of administrative procedures: the real high-volume\n" +
			"procedures and the synthetic expansion to the national size of 3,525 services.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCatalogListCmd(env), newCatalogShowCmd(env))
	return cmd
}

func newCatalogListCmd(env *Env) *cobra.Command {
	var (
		q                 portal.ProcedureQuery
		fullProcess, real bool
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List procedures matching a search, one page at a time",
		Example: "  portalsim catalog list --q \"dang ky khai sinh\"\n" +
			"  portalsim catalog list --real --level commune\n" +
			"  portalsim catalog list --full-process=false --page 2 --per-page 50 --json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Level != "" && q.Level != portal.LevelCommune && q.Level != portal.LevelProvince && q.Level != portal.LevelMinistry {
				return withExit(ExitUsage, fmt.Errorf("--level %q: must be commune, province or ministry", q.Level))
			}
			if cmd.Flags().Changed("full-process") {
				q.FullProcess = &fullProcess
			}
			if real {
				synthetic := false
				q.Synthetic = &synthetic
			}
			c, err := catalog.Load()
			if err != nil {
				return err
			}
			items, total := c.Search(q)
			// Report the page the catalogue actually served (it clamps).
			page, perPage := max(q.Page, 1), q.PerPage
			if perPage < 1 {
				perPage = portal.DefaultPerPage
			}
			perPage = min(perPage, portal.MaxPerPage)
			if asJSON {
				return writeCatalogJSON(env.Stdout, map[string]any{"items": items, "total": total, "page": page, "per_page": perPage})
			}
			return writeProcedureTable(env.Stdout, items, total, page, perPage)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Text, "q", "", "search text; every word must match the name or code, ignoring case and diacritics")
	f.StringVar(&q.Level, "level", "", "only procedures handled at this level: commune, province or ministry")
	f.StringVar(&q.Topic, "topic", "", "only procedures of this topic, e.g. civil_status, residence")
	f.BoolVar(&fullProcess, "full-process", false, "only full-process procedures (--full-process=false: only partial ones)")
	f.BoolVar(&real, "real", false, "only real procedures, not the synthetic expansion")
	f.BoolVar(&asJSON, "json", false, "print JSON as the API's GET /procedures does")
	f.IntVar(&q.Page, "page", 1, "page number, from 1")
	f.IntVar(&q.PerPage, "per-page", portal.DefaultPerPage, fmt.Sprintf("procedures per page, at most %d", portal.MaxPerPage))
	return cmd
}

func newCatalogShowCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show CODE",
		Short:   "Show one procedure with its form fields and required attachments",
		Example: "  portalsim catalog show 1.001193",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := catalog.Load()
			if err != nil {
				return err
			}
			p, ok := c.Procedure(args[0])
			if !ok {
				return fmt.Errorf("procedure %q is not in the catalogue (try: portalsim catalog list --q TEXT)", args[0])
			}
			if asJSON {
				return writeCatalogJSON(env.Stdout, p)
			}
			return writeProcedure(env.Stdout, p)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the procedure as JSON")
	return cmd
}

func writeCatalogJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeProcedureTable(w io.Writer, items []*portal.Procedure, total, page, perPage int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tLEVEL\tDAYS\tFEE ONLINE\tFULL\tNAME")
	for _, p := range items {
		full := "partial"
		if p.FullProcess {
			full = "full"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", p.Code, p.Level, p.ProcessingDays, catalogVND(p.OnlineFee()), full, p.NameVI)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	pages := (total + perPage - 1) / perPage
	from, to := (page-1)*perPage+1, (page-1)*perPage+len(items)
	if len(items) == 0 {
		_, err := fmt.Fprintf(w, "%s procedures match; page %d of %d is empty\n", catalogThousands(int64(total)), page, pages)
		return err
	}
	_, err := fmt.Fprintf(w, "%s–%s of %s procedures (page %d of %d)\n", catalogThousands(int64(from)), catalogThousands(int64(to)), catalogThousands(int64(total)), page, pages)
	return err
}

func writeProcedure(w io.Writer, p *portal.Procedure) error {
	var b strings.Builder
	kind := "real"
	if p.Synthetic {
		kind = "synthetic"
	}
	full := "partial (một phần)"
	if p.FullProcess {
		full = "full-process (toàn trình)"
	}
	days := fmt.Sprintf("%d working days", p.ProcessingDays)
	if p.ProcessingDays == 0 {
		days = "same working day"
	}
	if p.CutoffMinutes > 0 {
		days += fmt.Sprintf(" (received from %02d:%02d: next working day)", p.CutoffMinutes/60, p.CutoffMinutes%60)
	}
	fmt.Fprintf(&b, "%s  %s\n%s\n\n", p.Code, p.NameVI, p.NameEN)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-13s %s\n", k+":", v)
		}
	}
	row("Kind", kind)
	row("Topic", p.Topic)
	row("User type", p.UserType)
	row("Level", p.Level)
	row("Agency", p.AgencyVI+" / "+p.AgencyEN)
	row("Agency code", p.AgencyCode)
	row("Time", days)
	row("Fee", catalogVND(p.Fee)+" at the counter, "+catalogVND(p.OnlineFee())+" online")
	row("Service", full)
	row("Group", p.Group)
	row("Legal basis", p.LegalBasis)
	fmt.Fprintf(&b, "\nForm fields (%d):\n", len(p.Fields))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tREQUIRED\tPREFILL\tRULES\tLABEL")
	for _, f := range p.Fields {
		req := ""
		if f.Required {
			req = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Type, req, f.Prefill, fieldRules(f), f.LabelVI)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nAttachments (%d):\n", len(p.Attachments))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if len(p.Attachments) > 0 {
		fmt.Fprintln(tw, "  CODE\tREQUIRED\tTYPES\tMAX\tNAME")
	}
	for _, a := range p.Attachments {
		req := ""
		if a.Required {
			req = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", a.Code, req, strings.Join(a.Types, ", "), catalogMiB(a.MaxBytes), a.NameVI)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

// fieldRules summarises a field's validation rules in one line.
func fieldRules(f portal.FormField) string {
	var r []string
	if f.MinLength > 0 || f.MaxLength > 0 {
		r = append(r, fmt.Sprintf("length %d..%d", f.MinLength, f.MaxLength))
	}
	if f.Min != nil {
		r = append(r, "min "+strconv.FormatFloat(*f.Min, 'f', -1, 64))
	}
	if f.Max != nil {
		r = append(r, "max "+strconv.FormatFloat(*f.Max, 'f', -1, 64))
	}
	if f.Pattern != "" {
		r = append(r, "pattern "+f.Pattern)
	}
	if f.NotAfterToday {
		r = append(r, "not in the future")
	}
	if f.WithinDays > 0 {
		r = append(r, fmt.Sprintf("within %d days", f.WithinDays))
	}
	if len(f.Options) > 0 {
		r = append(r, "one of: "+strings.Join(f.Options, " | "))
	}
	return strings.Join(r, "; ")
}

// catalogVND formats an amount of dong with thousands separators.
func catalogVND(amount int64) string {
	if amount == 0 {
		return "free"
	}
	return catalogThousands(amount) + " VND"
}

func catalogThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func catalogMiB(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
