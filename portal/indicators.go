package portal

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Service-quality indicators of Decision 766/QD-TTg, computed from dossier
// tallies. The tallies (IndicatorCounts) are what a store can produce with
// one GROUP BY procedure_code, or CountIndicators can make from dossiers;
// everything after that is arithmetic.

// Period is a half-open interval [From, To) of (simulated) time; a zero
// bound leaves that side open.
type Period struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Contains reports whether t is set and falls inside the period.
func (p Period) Contains(t *time.Time) bool {
	return t != nil && (p.From.IsZero() || !t.Before(p.From)) && (p.To.IsZero() || t.Before(p.To))
}

// Ratio is a count out of a count. With a zero denominator the ratio is
// undefined (no dossiers to judge), which is not the same as 0%.
type Ratio struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// Value returns Num/Den, and false when Den is 0.
func (r Ratio) Value() (float64, bool) {
	if r.Den == 0 {
		return 0, false
	}
	return float64(r.Num) / float64(r.Den), true
}

// MarshalJSON writes {"num","den","value"} with value null when undefined.
func (r Ratio) MarshalJSON() ([]byte, error) {
	out := struct {
		Num   int64    `json:"num"`
		Den   int64    `json:"den"`
		Value *float64 `json:"value"`
	}{Num: r.Num, Den: r.Den}
	if v, ok := r.Value(); ok {
		out.Value = &v
	}
	return json.Marshal(out)
}

// IndicatorCounts are the tallies behind the indicators for one procedure
// in a period. Cohorts: submission counts are dossiers submitted in the
// period; settlement, result and rating counts are dossiers decided
// (approved or rejected) in the period.
type IndicatorCounts struct {
	ProcedureCode string `json:"procedure_code"`
	FullProcess   bool   `json:"full_process"` // the procedure's level, from the catalogue

	Submitted       int64 `json:"submitted"`
	SubmittedOnline int64 `json:"submitted_online"`
	WithFee         int64 `json:"with_fee"`    // submitted with a fee due
	PaidOnline      int64 `json:"paid_online"` // ... and paid through the portal

	Settled       int64 `json:"settled"` // decided, with an appointment date
	SettledOnTime int64 `json:"settled_on_time"`
	Approved      int64 `json:"approved"`  // decided and not rejected
	EResults      int64 `json:"e_results"` // ... with an e-result issued
	// ProcessingDaysSum adds (decided − submitted) in days of 24 h over Settled.
	ProcessingDaysSum float64 `json:"processing_days_sum"`

	Ratings          int64 `json:"ratings"`           // decided dossiers rated 1–5
	RatingsSatisfied int64 `json:"ratings_satisfied"` // rated 4 or 5
	RatingSum        int64 `json:"rating_sum"`
}

// Add adds o's tallies to c (the procedure code and level are kept).
func (c *IndicatorCounts) Add(o IndicatorCounts) {
	c.Submitted += o.Submitted
	c.SubmittedOnline += o.SubmittedOnline
	c.WithFee += o.WithFee
	c.PaidOnline += o.PaidOnline
	c.Settled += o.Settled
	c.SettledOnTime += o.SettledOnTime
	c.Approved += o.Approved
	c.EResults += o.EResults
	c.ProcessingDaysSum += o.ProcessingDaysSum
	c.Ratings += o.Ratings
	c.RatingsSatisfied += o.RatingsSatisfied
	c.RatingSum += o.RatingSum
}

// CountIndicators tallies dossiers by procedure for a period, sorted by
// procedure code. fullProcess tells a procedure's level (nil: none is).
func CountIndicators(ds []*Dossier, p Period, fullProcess func(procedureCode string) bool) []IndicatorCounts {
	by := map[string]*IndicatorCounts{}
	for _, d := range ds {
		submitted, decided := p.Contains(d.SubmittedAt), p.Contains(d.DecidedAt)
		if !submitted && !decided {
			continue
		}
		c := by[d.ProcedureCode]
		if c == nil {
			c = &IndicatorCounts{ProcedureCode: d.ProcedureCode}
			c.FullProcess = fullProcess != nil && fullProcess(d.ProcedureCode)
			by[d.ProcedureCode] = c
		}
		if submitted {
			c.Submitted++
			c.SubmittedOnline += b2i(d.Online)
			if d.Fee > 0 {
				c.WithFee++
				c.PaidOnline += b2i(d.PaymentStatus == PaymentPaid)
			}
		}
		if !decided {
			continue
		}
		if d.OnTime != nil {
			c.Settled++
			c.SettledOnTime += b2i(*d.OnTime)
			if d.SubmittedAt != nil {
				c.ProcessingDaysSum += d.DecidedAt.Sub(*d.SubmittedAt).Hours() / 24
			}
		}
		if d.Status != StatusRejected {
			c.Approved++
			c.EResults += b2i(d.ResultAt != nil)
		}
		if d.Rating >= 1 && d.Rating <= 5 {
			c.Ratings++
			c.RatingsSatisfied += b2i(d.Rating >= 4)
			c.RatingSum += int64(d.Rating)
		}
	}
	out := make([]IndicatorCounts, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b IndicatorCounts) int { return strings.Compare(a.ProcedureCode, b.ProcedureCode) })
	return out
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Indicators are the Decision 766 ratios for a set of dossiers.
type Indicators struct {
	Submitted int64 `json:"submitted"`
	Settled   int64 `json:"settled"`
	// OnTime: settled on or before the appointment ÷ settled (early counts as on time).
	OnTime Ratio `json:"on_time"`
	// OnlineSubmission: submitted online ÷ submitted.
	OnlineSubmission Ratio `json:"online_submission"`
	// FullProcessDossiers: submitted for a full-process procedure ÷ submitted.
	FullProcessDossiers Ratio `json:"full_process_dossiers"`
	// OnlinePayment: fees paid online ÷ dossiers with a fee.
	OnlinePayment Ratio `json:"online_payment"`
	// DigitisedResults: e-results issued ÷ approved dossiers (a rejection is a notice, not a result).
	DigitisedResults Ratio `json:"digitised_results"`
	// Satisfaction: ratings of 4–5 ÷ ratings.
	Satisfaction      Ratio    `json:"satisfaction"`
	MeanRating        *float64 `json:"mean_rating"`
	AvgProcessingDays *float64 `json:"avg_processing_days"`
}

// Indicators computes the ratios from the tallies.
func (c IndicatorCounts) Indicators() Indicators {
	in := Indicators{
		Submitted:        c.Submitted,
		Settled:          c.Settled,
		OnTime:           Ratio{c.SettledOnTime, c.Settled},
		OnlineSubmission: Ratio{c.SubmittedOnline, c.Submitted},
		OnlinePayment:    Ratio{c.PaidOnline, c.WithFee},
		DigitisedResults: Ratio{c.EResults, c.Approved},
		Satisfaction:     Ratio{c.RatingsSatisfied, c.Ratings},
	}
	in.FullProcessDossiers = Ratio{0, c.Submitted}
	if c.FullProcess {
		in.FullProcessDossiers.Num = c.Submitted
	}
	if c.Ratings > 0 {
		m := float64(c.RatingSum) / float64(c.Ratings)
		in.MeanRating = &m
	}
	if c.Settled > 0 {
		m := c.ProcessingDaysSum / float64(c.Settled)
		in.AvgProcessingDays = &m
	}
	return in
}

// CatalogIndicators are the catalogue-level counts: how many procedures,
// how many are full-process, how many have their public information
// complete.
type CatalogIndicators struct {
	Procedures  int64 `json:"procedures"`
	FullProcess int64 `json:"full_process"`
	Published   int64 `json:"published"`
}

// SummarizeCatalog counts a catalogue's procedures; compute it once at startup.
func SummarizeCatalog(ps []*Procedure) CatalogIndicators {
	var c CatalogIndicators
	for _, p := range ps {
		c.Procedures++
		c.FullProcess += b2i(p.FullProcess)
		c.Published += b2i(p.PublicInfoComplete())
	}
	return c
}

// PublicInfoComplete reports whether the procedure publishes what a
// citizen needs before starting: names, handling agency and level, and
// the e-form or the documents to attach.
func (p *Procedure) PublicInfoComplete() bool {
	return p.NameVI != "" && p.AgencyVI != "" && p.Level != "" && (len(p.Fields) > 0 || len(p.Attachments) > 0)
}

// IndicatorGroup is one of Decision 766's five component groups.
type IndicatorGroup struct {
	Group     int    `json:"group"`
	NameVI    string `json:"name_vi"`
	NameEN    string `json:"name_en"`
	MaxPoints int    `json:"max_points"`
}

// IndicatorGroups returns the five groups and their points (DOMAIN.md: 18
// for satisfaction is published, the others are recalled; keep them data).
func IndicatorGroups() [5]IndicatorGroup {
	return [5]IndicatorGroup{
		{1, "Công khai, minh bạch", "Transparency", 18},
		{2, "Tiến độ, kết quả giải quyết", "Processing progress and results", 20},
		{3, "Số hóa hồ sơ", "Dossier digitisation", 22},
		{4, "Cung cấp dịch vụ trực tuyến", "Online service provision", 22},
		{5, "Mức độ hài lòng", "Satisfaction", 18},
	}
}

// GroupScore is one group's points; Points is nil when the group had
// nothing to judge in the period.
type GroupScore struct {
	IndicatorGroup
	Points *float64 `json:"points"`
}

// IndicatorScore is the 0–100 score and its ranking band.
type IndicatorScore struct {
	// Total is 100 × points earned ÷ points of the groups that had data, so
	// a quiet period is not scored as failure; nil when no group had data.
	Total  *float64     `json:"total"`
	Band   string       `json:"band,omitempty"`
	Groups []GroupScore `json:"groups"`
}

// Ranking bands of the Decision 766 index.
const (
	BandExcellent = "excellent" // 90–100
	BandGood      = "good"      // 80–90
	BandFair      = "fair"      // 70–80
	BandAverage   = "average"   // 50–70
	BandWeak      = "weak"      // under 50
)

// RankingBand names the band of a 0–100 score; a boundary score belongs to the higher band.
func RankingBand(score float64) string {
	switch {
	case score >= 90:
		return BandExcellent
	case score >= 80:
		return BandGood
	case score >= 70:
		return BandFair
	case score >= 50:
		return BandAverage
	}
	return BandWeak
}

// ScoreIndicators scores indicators by group:
//  1. transparency: procedures with complete public information ÷ procedures;
//  2. progress: the on-time rate;
//  3. digitisation: the digitised-results rate;
//  4. online provision: the mean of the full-process share of procedures,
//     the online submission rate and the online payment rate (those defined);
//  5. satisfaction: the share of ratings of 4–5.
func ScoreIndicators(in Indicators, cat CatalogIndicators) IndicatorScore {
	var online []float64
	for _, r := range []Ratio{{cat.FullProcess, cat.Procedures}, in.OnlineSubmission, in.OnlinePayment} {
		if v, ok := r.Value(); ok {
			online = append(online, v)
		}
	}
	values := [5]*float64{
		ratioPtr(Ratio{cat.Published, cat.Procedures}),
		ratioPtr(in.OnTime),
		ratioPtr(in.DigitisedResults),
		meanPtr(online),
		ratioPtr(in.Satisfaction),
	}
	var s IndicatorScore
	var earned, possible float64
	for i, g := range IndicatorGroups() {
		gs := GroupScore{IndicatorGroup: g}
		if v := values[i]; v != nil {
			pts := *v * float64(g.MaxPoints)
			gs.Points = &pts
			earned += pts
			possible += float64(g.MaxPoints)
		}
		s.Groups = append(s.Groups, gs)
	}
	if possible > 0 {
		total := 100 * earned / possible
		s.Total, s.Band = &total, RankingBand(total)
	}
	return s
}

func ratioPtr(r Ratio) *float64 {
	if v, ok := r.Value(); ok {
		return &v
	}
	return nil
}

func meanPtr(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(len(xs))
	return &m
}

// ProcedureIndicators are one procedure's indicators.
type ProcedureIndicators struct {
	ProcedureCode string `json:"procedure_code"`
	FullProcess   bool   `json:"full_process"`
	Indicators
}

// IndicatorReport is what GET /api/v1/indicators returns.
type IndicatorReport struct {
	Period                Period                `json:"period"`
	Overall               Indicators            `json:"overall"`
	FullProcessProcedures Ratio                 `json:"full_process_procedures"`
	PublishedProcedures   Ratio                 `json:"published_procedures"`
	Score                 IndicatorScore        `json:"score"`
	Procedures            []ProcedureIndicators `json:"procedures"`
}

// ComputeIndicators builds the report for a period from per-procedure
// tallies and the catalogue counts: overall and per procedure (sorted by
// code), with the overall score.
func ComputeIndicators(p Period, counts []IndicatorCounts, cat CatalogIndicators) IndicatorReport {
	var all IndicatorCounts
	r := IndicatorReport{
		Period:                p,
		FullProcessProcedures: Ratio{cat.FullProcess, cat.Procedures},
		PublishedProcedures:   Ratio{cat.Published, cat.Procedures},
		Procedures:            []ProcedureIndicators{},
	}
	fullSubmitted := int64(0)
	for _, c := range counts {
		all.Add(c)
		if c.FullProcess {
			fullSubmitted += c.Submitted
		}
		r.Procedures = append(r.Procedures, ProcedureIndicators{c.ProcedureCode, c.FullProcess, c.Indicators()})
	}
	slices.SortFunc(r.Procedures, func(a, b ProcedureIndicators) int { return strings.Compare(a.ProcedureCode, b.ProcedureCode) })
	r.Overall = all.Indicators()
	r.Overall.FullProcessDossiers = Ratio{fullSubmitted, all.Submitted}
	r.Score = ScoreIndicators(r.Overall, cat)
	return r
}
