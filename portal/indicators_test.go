package portal

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// at is a time in the week of Monday 24 Nov 2025 (day 0 = Monday).
func at(day, hour int) *time.Time {
	t := time.Date(2025, 11, 24+day, hour, 0, 0, 0, VietnamTime)
	return &t
}

func settled(onTime bool) *bool { return &onTime }

// indicatorDossiers is a hand-checked week: procedure A is full-process
// with a fee, B is partial and free.
func indicatorDossiers() []*Dossier {
	return []*Dossier{
		// a1: online, paid, on time, e-result returned, rated 5.
		{ProcedureCode: "A", Online: true, Fee: 10000, PaymentStatus: PaymentPaid, Status: StatusCompleted,
			SubmittedAt: at(0, 8), DecidedAt: at(1, 8), OnTime: settled(true), ResultAt: at(1, 9), Rating: 5},
		// a2: online, fee unpaid, undecided.
		{ProcedureCode: "A", Online: true, Fee: 10000, PaymentStatus: PaymentUnpaid, Status: StatusSubmitted, SubmittedAt: at(0, 9)},
		// a3: at the counter, paid, rejected late, rated 2.
		{ProcedureCode: "A", Fee: 10000, PaymentStatus: PaymentPaid, Status: StatusRejected,
			SubmittedAt: at(0, 8), DecidedAt: at(2, 8), OnTime: settled(false), Rating: 2},
		// a4: submitted the week before, approved on time this week, result not issued yet.
		{ProcedureCode: "A", Online: true, PaymentStatus: PaymentNone, Status: StatusApproved,
			SubmittedAt: at(-4, 8), DecidedAt: at(0, 10), OnTime: settled(true)},
		// a5: submitted this week, decided next week.
		{ProcedureCode: "A", Online: true, PaymentStatus: PaymentNone, Status: StatusApproved,
			SubmittedAt: at(4, 8), DecidedAt: at(8, 8), OnTime: settled(true)},
		// b1: online, free, on time, e-result issued, rated 4.
		{ProcedureCode: "B", Online: true, PaymentStatus: PaymentNone, Status: StatusResultIssued,
			SubmittedAt: at(0, 9), DecidedAt: at(3, 9), OnTime: settled(true), ResultAt: at(3, 10), Rating: 4},
		// b2: a draft; c1: outside the period entirely.
		{ProcedureCode: "B", Status: StatusDraft},
		{ProcedureCode: "C", Online: true, Status: StatusCompleted, SubmittedAt: at(-10, 8), DecidedAt: at(-9, 8), OnTime: settled(true)},
	}
}

func weekPeriod() Period { return Period{From: *at(0, 0), To: *at(7, 0)} }

func TestCountIndicators(t *testing.T) {
	got := CountIndicators(indicatorDossiers(), weekPeriod(), func(code string) bool { return code == "A" })
	want := []IndicatorCounts{
		{ProcedureCode: "A", FullProcess: true, Submitted: 4, SubmittedOnline: 3, WithFee: 3, PaidOnline: 2,
			Settled: 3, SettledOnTime: 2, Approved: 2, EResults: 1, ProcessingDaysSum: 1 + 2 + 4 + 2.0/24,
			Ratings: 2, RatingsSatisfied: 1, RatingSum: 7},
		{ProcedureCode: "B", Submitted: 1, SubmittedOnline: 1, Settled: 1, SettledOnTime: 1, Approved: 1, EResults: 1,
			ProcessingDaysSum: 3, Ratings: 1, RatingsSatisfied: 1, RatingSum: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d procedures %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.ProcessingDaysSum-w.ProcessingDaysSum) > 1e-9 {
			t.Errorf("%s processing days %v, want %v", w.ProcedureCode, g.ProcessingDaysSum, w.ProcessingDaysSum)
		}
		g.ProcessingDaysSum, w.ProcessingDaysSum = 0, 0
		if g != w {
			t.Errorf("counts\n got %+v\nwant %+v", g, w)
		}
	}
}

func value(t *testing.T, name string, r Ratio) float64 {
	t.Helper()
	v, ok := r.Value()
	if !ok {
		t.Fatalf("%s undefined", name)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestComputeIndicatorsHandChecked(t *testing.T) {
	cat := CatalogIndicators{Procedures: 10, FullProcess: 5, Published: 9}
	r := ComputeIndicators(weekPeriod(), CountIndicators(indicatorDossiers(), weekPeriod(), func(code string) bool { return code == "A" }), cat)
	o := r.Overall
	for _, c := range []struct {
		name string
		got  Ratio
		want float64
	}{
		{"on time", o.OnTime, 3.0 / 4},
		{"online submission", o.OnlineSubmission, 4.0 / 5},
		{"full-process dossiers", o.FullProcessDossiers, 4.0 / 5},
		{"online payment", o.OnlinePayment, 2.0 / 3},
		{"digitised results", o.DigitisedResults, 2.0 / 3},
		{"satisfaction", o.Satisfaction, 2.0 / 3},
		{"full-process procedures", r.FullProcessProcedures, 0.5},
		{"published procedures", r.PublishedProcedures, 0.9},
	} {
		if got := value(t, c.name, c.got); !near(got, c.want) {
			t.Errorf("%s = %v (%d/%d), want %v", c.name, got, c.got.Num, c.got.Den, c.want)
		}
	}
	if o.MeanRating == nil || !near(*o.MeanRating, 11.0/3) {
		t.Errorf("mean rating %v, want 3.667", o.MeanRating)
	}
	if o.AvgProcessingDays == nil || !near(*o.AvgProcessingDays, (10+2.0/24)/4) {
		t.Errorf("average processing days %v, want 2.521", o.AvgProcessingDays)
	}
	// 16.2 + 15 + 14.667 + 22×mean(0.5, 0.8, 0.667) + 12
	wantPoints := []float64{16.2, 15, 22 * 2.0 / 3, 22 * (0.5 + 0.8 + 2.0/3) / 3, 12}
	for i, g := range r.Score.Groups {
		if g.Points == nil || !near(*g.Points, wantPoints[i]) {
			t.Errorf("group %d points %v, want %v", g.Group, g.Points, wantPoints[i])
		}
	}
	if r.Score.Total == nil || !near(*r.Score.Total, 72.288889) || r.Score.Band != BandFair {
		t.Errorf("score %v %q, want 72.29 fair", r.Score.Total, r.Score.Band)
	}
	if len(r.Procedures) != 2 || r.Procedures[0].ProcedureCode != "A" || !r.Procedures[0].FullProcess {
		t.Fatalf("procedures %+v", r.Procedures)
	}
	if b := r.Procedures[1]; value(t, "B on time", b.OnTime) != 1 || value(t, "B full process", b.FullProcessDossiers) != 0 {
		t.Errorf("procedure B %+v", b)
	}
	if _, ok := r.Procedures[1].OnlinePayment.Value(); ok {
		t.Error("B has no fees; its online payment rate must be undefined, not 0")
	}
}

func TestScoreRescalesGroupsWithoutData(t *testing.T) {
	tests := []struct {
		name      string
		in        Indicators
		cat       CatalogIndicators
		wantTotal float64
		wantBand  string
	}{
		// Only transparency (0.9 × 18) and online provision (0.5 × 22) can be judged: 27.2 of 40.
		{"quiet period", Indicators{}, CatalogIndicators{Procedures: 10, FullProcess: 5, Published: 9}, 68, BandAverage},
		{"perfect", Indicators{OnTime: Ratio{5, 5}, OnlineSubmission: Ratio{5, 5}, OnlinePayment: Ratio{2, 2},
			DigitisedResults: Ratio{4, 4}, Satisfaction: Ratio{3, 3}}, CatalogIndicators{2, 2, 2}, 100, BandExcellent},
		{"all late, unrated", Indicators{OnTime: Ratio{0, 8}, DigitisedResults: Ratio{0, 8}},
			CatalogIndicators{4, 1, 4}, 100 * (18 + 0 + 0 + 22*0.25) / 82, BandWeak},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ScoreIndicators(tt.in, tt.cat)
			if s.Total == nil || !near(*s.Total, tt.wantTotal) || s.Band != tt.wantBand {
				t.Fatalf("score %v %q, want %v %q", s.Total, s.Band, tt.wantTotal, tt.wantBand)
			}
		})
	}
	if s := ScoreIndicators(Indicators{}, CatalogIndicators{}); s.Total != nil || s.Band != "" {
		t.Errorf("nothing to judge: score %v %q, want none", s.Total, s.Band)
	}
}

func TestRankingBand(t *testing.T) {
	for _, tt := range []struct {
		score float64
		want  string
	}{{100, BandExcellent}, {90, BandExcellent}, {89.99, BandGood}, {80, BandGood}, {79.9, BandFair},
		{70, BandFair}, {69.9, BandAverage}, {50, BandAverage}, {49.99, BandWeak}, {0, BandWeak}} {
		if got := RankingBand(tt.score); got != tt.want {
			t.Errorf("RankingBand(%v) = %q, want %q", tt.score, got, tt.want)
		}
	}
}

func TestRatioJSON(t *testing.T) {
	for _, tt := range []struct {
		r    Ratio
		want string
	}{{Ratio{0, 0}, `{"num":0,"den":0,"value":null}`}, {Ratio{1, 4}, `{"num":1,"den":4,"value":0.25}`}} {
		got, err := json.Marshal(tt.r)
		if err != nil || string(got) != tt.want {
			t.Errorf("marshal %+v = %s, %v; want %s", tt.r, got, err, tt.want)
		}
	}
}

func TestSummarizeCatalog(t *testing.T) {
	full := &Procedure{NameVI: "Khai sinh", AgencyVI: "UBND xã", Level: LevelCommune, FullProcess: true, Fields: []FormField{{Name: "x"}}}
	partial := &Procedure{NameVI: "Kết hôn", AgencyVI: "UBND xã", Level: LevelCommune, Attachments: []Requirement{{Code: "y"}}}
	bare := &Procedure{NameVI: "Không rõ", FullProcess: true}
	if got, want := SummarizeCatalog([]*Procedure{full, partial, bare}), (CatalogIndicators{3, 2, 2}); got != want {
		t.Errorf("SummarizeCatalog = %+v, want %+v", got, want)
	}
}
