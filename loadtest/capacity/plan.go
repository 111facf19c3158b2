// Package capacity answers the planner's two questions: how many journeys
// per second one deployment sustains within its SLOs (the capacity
// search), and what national volumes need (the planner): peak arrival and
// request rates, portal instances with headroom, and back-office officers
// sized with Erlang C and cross-checked by simulation.
package capacity

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// PlanInput holds every assumption of a national-volume plan. Defaults
// come from DOMAIN.md sections 0 and 5; each field says where its default
// comes from ([S] published, [E] estimate). A zero field means "use the
// default" only where the comment says so; DefaultPlanInput fills the rest.
type PlanInput struct {
	// MonthlyDossiers: online dossiers a month through the national portal
	// today. [S] >1.6 million in April 2025.
	MonthlyDossiers float64 `json:"monthly_dossiers"`
	// Services on the portal; context for the report. [S] 3,525 (Apr 2025).
	Services int `json:"services"`

	// Growth multiplies today's volume to the volume planned for. Zero
	// means TargetOnlineShare / CurrentOnlineShare: online records are
	// assumed to grow from today's share of all records to the 2025 target
	// share, with the total number of records unchanged.
	Growth float64 `json:"growth"`
	// CurrentOnlineShare: full-process online dossiers ÷ all dossiers. [S] 39.46% (Apr 2025).
	CurrentOnlineShare float64 `json:"current_online_share"`
	// TargetOnlineShare: [S] the 2025 target of 50% of adults using online
	// services, taken [E] as the online share of records.
	TargetOnlineShare float64 `json:"target_online_share"`
	// FullProcessShare now and its target: [S] 50.4% → 100%. Not used in the
	// default growth; their ratio (1.98×) is reported as the upper growth
	// case, if online records grew in proportion to full-process coverage.
	FullProcessShare       float64 `json:"full_process_share"`
	TargetFullProcessShare float64 `json:"target_full_process_share"`

	// WorkingDaysPerMonth: [E] 21 (DOMAIN.md §5); WorkingDaysIn computes it
	// from the portal calendar for a given month.
	WorkingDaysPerMonth float64 `json:"working_days_per_month"`
	// WorkingHoursPerDay: [S] 8 (07:30–11:30, 13:00–17:00); officers' clock.
	WorkingHoursPerDay float64 `json:"working_hours_per_day"`
	// BusyShare of a working day's submissions arrive within BusyHours.
	// [E] DOMAIN.md §5 says 60% within 08:00–11:30 and 13:30–17:00 and
	// derives "≈2.5 per second", which is 76,190 × 0.6 ÷ 5 h; the two
	// windows it names add up to 7 h (→ 1.81/s). The default keeps the
	// published ≈2.5/s (5 h, the more demanding figure); set BusyHours to 7
	// for the literal windows.
	BusyShare float64 `json:"busy_share"`
	BusyHours float64 `json:"busy_hours"`
	// PeakFactor: peak-hour rate ÷ busy-hour average, for a Monday morning
	// or a filing deadline. [E] DOMAIN.md §5: 4–6×, default 5.
	PeakFactor float64 `json:"peak_factor"`

	// ReadsPerSubmission: requests outside the submission journey per
	// submission (status polls and sync, catalogue browsing, logins).
	// [E] DOMAIN.md §5: 20–50, default 30.
	ReadsPerSubmission float64 `json:"reads_per_submission"`
	// RequestsPerJourney: requests of one submission journey. [E] 10 by
	// default (login 2, search, procedure, create, update, submit, a few
	// status reads); ScenarioRequests counts it from a scenario's mix.
	RequestsPerJourney float64 `json:"requests_per_journey"`
	// RequestsSource says where RequestsPerJourney came from.
	RequestsSource string `json:"requests_source,omitempty"`

	// CapacityPerInstance: journeys per second one instance sustains within
	// its SLOs, from a capacity run (summary.json capacity.max_rate) or given.
	// Zero: unknown, no instance count.
	CapacityPerInstance float64 `json:"capacity_per_instance"`
	// CapacityRequestsPerJourney: requests per journey of the scenario the
	// capacity was measured with; zero means RequestsPerJourney.
	CapacityRequestsPerJourney float64 `json:"capacity_requests_per_journey"`
	CapacitySource             string  `json:"capacity_source,omitempty"`
	// Headroom: share of an instance's maximum kept free. [E] 30%: run at ≤ 70%.
	Headroom float64 `json:"headroom"`
	// Redundancy: spare instances on top of the need (1 = N+1).
	Redundancy int `json:"redundancy"`

	// HandlingMinutes: an officer's mean hands-on time per dossier. [E] 20
	// min. A procedure's statutory processing days are a deadline, not
	// handling time.
	HandlingMinutes float64 `json:"handling_minutes"`
	// OfficerProductiveHours of case work in a working day. [E] 6.5 of 8.
	OfficerProductiveHours float64 `json:"officer_productive_hours"`
	// PeakDayFactor scales the average working day's dossiers for staffing
	// (e.g. 1.3 for month end). [E] 1: deadlines are days long, so the
	// backlog absorbs hourly peaks and officers are sized on the day.
	PeakDayFactor float64 `json:"peak_day_factor"`
	// OnTimeTarget: share of dossiers whose wait ends in time. [E] 95%.
	OnTimeTarget float64 `json:"on_time_target"`
	// StatutoryDays: working days from receipt to the appointment date. [E]
	// 3, typical of civil-status procedures. The allowed wait is this in
	// working time minus one mean effective handling time.
	StatutoryDays float64 `json:"statutory_days"`
	// AllowedWait overrides the wait derived from StatutoryDays.
	AllowedWait time.Duration `json:"allowed_wait_ns,omitempty"`
	// MaxOccupancy caps officer utilisation. [E] 85%, common practice in
	// contact centres: with deadlines of days Erlang C alone staffs near
	// 100%, which never reaches steady state and breaks on one sick day.
	MaxOccupancy float64 `json:"max_occupancy"`
	// OfficerPools: independent offices sharing the load equally, with no
	// officer working for another office. 1 (one national pool) is the
	// optimistic lower bound.
	OfficerPools int `json:"officer_pools"`
	// Procedures: optional per-procedure staffing, each procedure its own
	// pool of specialised officers.
	Procedures []ProcedureLoad `json:"procedures,omitempty"`

	// SimulateDays of working time for the back-office simulation that
	// cross-checks Erlang C (0: no simulation). Seed makes it repeatable.
	SimulateDays float64 `json:"simulate_days"`
	Seed         uint64  `json:"seed"`
}

// ProcedureLoad is one procedure's share of dossiers and its officer work.
// Zero HandlingMinutes or StatutoryDays take the plan's values.
type ProcedureLoad struct {
	Code            string  `json:"code"`
	Share           float64 `json:"share"`
	HandlingMinutes float64 `json:"handling_minutes,omitempty"`
	StatutoryDays   float64 `json:"statutory_days,omitempty"`
}

// DefaultPlanInput returns the national plan of DOMAIN.md with every
// default filled in; Growth stays zero so it is derived.
func DefaultPlanInput() PlanInput {
	return PlanInput{
		MonthlyDossiers:        1_600_000,
		Services:               3525,
		CurrentOnlineShare:     0.3946,
		TargetOnlineShare:      0.50,
		FullProcessShare:       0.504,
		TargetFullProcessShare: 1.0,
		WorkingDaysPerMonth:    21,
		WorkingHoursPerDay:     8,
		BusyShare:              0.60,
		BusyHours:              5,
		PeakFactor:             5,
		ReadsPerSubmission:     30,
		RequestsPerJourney:     10,
		RequestsSource:         "default estimate",
		Headroom:               0.30,
		Redundancy:             1,
		HandlingMinutes:        20,
		OfficerProductiveHours: 6.5,
		PeakDayFactor:          1,
		OnTimeTarget:           0.95,
		StatutoryDays:          3,
		MaxOccupancy:           0.85,
		OfficerPools:           1,
		SimulateDays:           10,
		Seed:                   1,
	}
}

// WorkingDaysIn counts the working days of a month on cal (weekends and
// public holidays off, make-up Saturdays on).
func WorkingDaysIn(cal *portal.Calendar, year int, month time.Month) int {
	n := 0
	for d := time.Date(year, month, 1, 12, 0, 0, 0, cal.Location); d.Month() == month; d = d.AddDate(0, 0, 1) {
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// Validate reports every out-of-range field at once, by its JSON name.
func (in PlanInput) Validate() error {
	var errs []error
	positive := func(name string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s: %v must be a positive number", name, v))
		}
	}
	nonNegative := func(name string, v float64) {
		if !(v >= 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s: %v must not be negative", name, v))
		}
	}
	share := func(name string, v float64, openLow, openHigh bool) {
		ok := v >= 0 && v <= 1 && !(openLow && v == 0) && !(openHigh && v == 1)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %v must be a share between 0 and 1", name, v))
		}
	}
	positive("monthly_dossiers", in.MonthlyDossiers)
	nonNegative("growth", in.Growth)
	if in.Growth == 0 {
		share("current_online_share", in.CurrentOnlineShare, true, false)
		share("target_online_share", in.TargetOnlineShare, true, false)
	}
	positive("working_days_per_month", in.WorkingDaysPerMonth)
	if !(in.WorkingHoursPerDay > 0 && in.WorkingHoursPerDay <= 24) {
		errs = append(errs, fmt.Errorf("working_hours_per_day: %v must be in (0, 24]", in.WorkingHoursPerDay))
	}
	share("busy_share", in.BusyShare, true, false)
	if !(in.BusyHours > 0 && in.BusyHours <= 24) {
		errs = append(errs, fmt.Errorf("busy_hours: %v must be in (0, 24]", in.BusyHours))
	}
	if !(in.PeakFactor >= 1) || math.IsInf(in.PeakFactor, 0) {
		errs = append(errs, fmt.Errorf("peak_factor: %v must be at least 1", in.PeakFactor))
	}
	nonNegative("reads_per_submission", in.ReadsPerSubmission)
	positive("requests_per_journey", in.RequestsPerJourney)
	nonNegative("capacity_per_instance", in.CapacityPerInstance)
	nonNegative("capacity_requests_per_journey", in.CapacityRequestsPerJourney)
	share("headroom", in.Headroom, false, true)
	if in.Redundancy < 0 {
		errs = append(errs, fmt.Errorf("redundancy: %d must not be negative", in.Redundancy))
	}
	positive("handling_minutes", in.HandlingMinutes)
	if !(in.OfficerProductiveHours > 0 && in.OfficerProductiveHours <= in.WorkingHoursPerDay) {
		errs = append(errs, fmt.Errorf("officer_productive_hours: %v must be in (0, working_hours_per_day %v]", in.OfficerProductiveHours, in.WorkingHoursPerDay))
	}
	positive("peak_day_factor", in.PeakDayFactor)
	share("on_time_target", in.OnTimeTarget, true, true)
	nonNegative("statutory_days", in.StatutoryDays)
	if in.AllowedWait < 0 {
		errs = append(errs, fmt.Errorf("allowed_wait_ns: %s must not be negative", in.AllowedWait))
	}
	share("max_occupancy", in.MaxOccupancy, true, false)
	if in.OfficerPools < 1 {
		errs = append(errs, fmt.Errorf("officer_pools: %d must be at least 1", in.OfficerPools))
	}
	var sum float64
	for i, p := range in.Procedures {
		if !(p.Share > 0) {
			errs = append(errs, fmt.Errorf("procedures[%d] %s: share %v must be positive", i, p.Code, p.Share))
		}
		if p.HandlingMinutes < 0 || p.StatutoryDays < 0 {
			errs = append(errs, fmt.Errorf("procedures[%d] %s: handling minutes and statutory days must not be negative", i, p.Code))
		}
		sum += p.Share
	}
	if len(in.Procedures) > 0 && math.Abs(sum-1) > 1e-6 {
		errs = append(errs, fmt.Errorf("procedures: shares add up to %v, want 1", sum))
	}
	if !(in.SimulateDays >= 0) || in.SimulateDays > 365 {
		errs = append(errs, fmt.Errorf("simulate_days: %v must be in [0, 365]", in.SimulateDays))
	}
	if len(errs) > 0 {
		return fmt.Errorf("plan input: %w", errors.Join(errs...))
	}
	return nil
}

// PlanResult is the plan: the resolved inputs and every derived figure.
type PlanResult struct {
	Input PlanInput `json:"input"`
	// Growth actually applied, how it was chosen, and the upper case.
	Growth      float64 `json:"growth"`
	GrowthBasis string  `json:"growth_basis"`
	GrowthUpper float64 `json:"growth_upper"`
	// Baseline is today's load; Planned is Baseline × Growth and is what
	// instances and officers are sized for.
	Baseline Load `json:"baseline"`
	Planned  Load `json:"planned"`
	// Instances is nil when no capacity per instance was given.
	Instances  *InstancePlan       `json:"instances,omitempty"`
	BackOffice StaffingPlan        `json:"back_office"`
	Procedures []ProcedureStaffing `json:"procedures,omitempty"`
}

// Load is the web-tier load of one volume. Averages are over the busy
// hours; peaks are averages × PeakFactor. Submission journeys and their
// requests are separate from reads.
type Load struct {
	MonthlyDossiers  float64 `json:"monthly_dossiers"`
	DailySubmissions float64 `json:"daily_submissions"`
	// Submission journeys per second.
	AvgJourneysPerS  float64 `json:"avg_journeys_per_s"`
	PeakJourneysPerS float64 `json:"peak_journeys_per_s"`
	// Requests per second made by submission journeys.
	AvgSubmissionRequestsPerS  float64 `json:"avg_submission_requests_per_s"`
	PeakSubmissionRequestsPerS float64 `json:"peak_submission_requests_per_s"`
	// Read requests per second outside the journeys.
	AvgReadRequestsPerS  float64 `json:"avg_read_requests_per_s"`
	PeakReadRequestsPerS float64 `json:"peak_read_requests_per_s"`
	// All requests per second.
	AvgRequestsPerS  float64 `json:"avg_requests_per_s"`
	PeakRequestsPerS float64 `json:"peak_requests_per_s"`
}

// InstancePlan sizes the portal tier. Load is compared in requests, so
// reads count: one instance carries CapacityPerInstance journeys/s of its
// capacity run's mix, i.e. CapacityRequestsPerS.
type InstancePlan struct {
	CapacityJourneysPerS float64 `json:"capacity_journeys_per_s"`
	CapacityRequestsPerS float64 `json:"capacity_requests_per_s"`
	UsableRequestsPerS   float64 `json:"usable_requests_per_s"` // × (1 − headroom)
	// PeakJourneyEquivalentsPerS: peak requests/s in journeys of the capacity run.
	PeakJourneyEquivalentsPerS float64 `json:"peak_journey_equivalents_per_s"`
	Needed                     int     `json:"needed"` // ceil(peak ÷ usable)
	Redundancy                 int     `json:"redundancy"`
	Total                      int     `json:"total"`
	// PeakUtilisation: share of all Total instances' maximum used at peak.
	PeakUtilisation float64 `json:"peak_utilisation"`
}

// StaffingPlan sizes the back office as an M/M/c queue in working time.
type StaffingPlan struct {
	DailyDossiers float64 `json:"daily_dossiers"` // planned × PeakDayFactor
	// ArrivalPerS: dossiers per second of working time.
	ArrivalPerS float64 `json:"arrival_per_s"`
	HandlingS   float64 `json:"handling_s"`
	// EffectiveHandlingS stretches handling by working ÷ productive hours:
	// an officer present 8 h handles dossiers for 6.5 h of them.
	EffectiveHandlingS float64 `json:"effective_handling_s"`
	OfferedLoad        float64 `json:"offered_load_erlangs"`
	AllowedWaitS       float64 `json:"allowed_wait_s"`
	Pools              int     `json:"pools"`
	// ErlangCOfficers: smallest total meeting the on-time target by Erlang C;
	// OccupancyOfficers: smallest total keeping utilisation ≤ MaxOccupancy.
	ErlangCOfficers   int `json:"erlang_c_officers"`
	OccupancyOfficers int `json:"occupancy_officers"`
	Officers          int `json:"officers"` // the larger of the two
	// Figures at Officers (per pool; pools are identical).
	Utilisation float64 `json:"utilisation"`
	ProbWait    float64 `json:"prob_wait"`
	MeanWaitS   float64 `json:"mean_wait_s"`
	OnTimeShare float64 `json:"on_time_share"`
	// Simulation of one pool at Officers/Pools officers with exponential
	// handling; nil when SimulateDays is 0.
	Simulation *OfficerSimResult `json:"simulation,omitempty"`
}

// ProcedureStaffing is the staffing of one procedure's own pool.
type ProcedureStaffing struct {
	Code         string  `json:"code"`
	Share        float64 `json:"share"`
	ArrivalPerS  float64 `json:"arrival_per_s"`
	HandlingS    float64 `json:"handling_s"`
	AllowedWaitS float64 `json:"allowed_wait_s"`
	Officers     int     `json:"officers"`
	Utilisation  float64 `json:"utilisation"`
	OnTimeShare  float64 `json:"on_time_share"`
}

// Plan turns the inputs into loads, instances and officers.
func Plan(in PlanInput) (*PlanResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	r := &PlanResult{Input: in}
	r.Growth, r.GrowthBasis = in.Growth, "given"
	if in.Growth == 0 {
		r.Growth = in.TargetOnlineShare / in.CurrentOnlineShare
		r.GrowthBasis = fmt.Sprintf("online share of records %.2f%% → target %.0f%%", in.CurrentOnlineShare*100, in.TargetOnlineShare*100)
	}
	if in.FullProcessShare > 0 && in.TargetFullProcessShare > 0 {
		r.GrowthUpper = in.TargetFullProcessShare / in.FullProcessShare
	}
	r.Input.Growth = r.Growth
	r.Baseline = load(in, in.MonthlyDossiers)
	r.Planned = load(in, in.MonthlyDossiers*r.Growth)

	if in.CapacityPerInstance > 0 {
		r.Instances = instances(in, r.Planned)
	}
	st, err := staffing(in, r.Planned.DailySubmissions)
	if err != nil {
		return nil, err
	}
	r.BackOffice = st
	for _, p := range in.Procedures {
		ps, err := procedureStaffing(in, p, st.ArrivalPerS)
		if err != nil {
			return nil, err
		}
		r.Procedures = append(r.Procedures, ps)
	}
	return r, nil
}

func load(in PlanInput, monthly float64) Load {
	l := Load{MonthlyDossiers: monthly, DailySubmissions: monthly / in.WorkingDaysPerMonth}
	l.AvgJourneysPerS = l.DailySubmissions * in.BusyShare / (in.BusyHours * 3600)
	l.PeakJourneysPerS = l.AvgJourneysPerS * in.PeakFactor
	l.AvgSubmissionRequestsPerS = l.AvgJourneysPerS * in.RequestsPerJourney
	l.PeakSubmissionRequestsPerS = l.PeakJourneysPerS * in.RequestsPerJourney
	l.AvgReadRequestsPerS = l.AvgJourneysPerS * in.ReadsPerSubmission
	l.PeakReadRequestsPerS = l.PeakJourneysPerS * in.ReadsPerSubmission
	l.AvgRequestsPerS = l.AvgSubmissionRequestsPerS + l.AvgReadRequestsPerS
	l.PeakRequestsPerS = l.PeakSubmissionRequestsPerS + l.PeakReadRequestsPerS
	return l
}

// ceilTolerant rounds up, ignoring floating-point noise just above an
// integer (3.0000000000000004 instances is 3).
func ceilTolerant(x float64) int { return int(math.Ceil(x - 1e-9)) }

func instances(in PlanInput, l Load) *InstancePlan {
	rpj := in.CapacityRequestsPerJourney
	if rpj == 0 {
		rpj = in.RequestsPerJourney
	}
	p := &InstancePlan{
		CapacityJourneysPerS: in.CapacityPerInstance,
		CapacityRequestsPerS: in.CapacityPerInstance * rpj,
		Redundancy:           in.Redundancy,
	}
	p.UsableRequestsPerS = p.CapacityRequestsPerS * (1 - in.Headroom)
	p.PeakJourneyEquivalentsPerS = l.PeakRequestsPerS / rpj
	p.Needed = max(1, ceilTolerant(l.PeakRequestsPerS/p.UsableRequestsPerS))
	p.Total = p.Needed + p.Redundancy
	p.PeakUtilisation = l.PeakRequestsPerS / (float64(p.Total) * p.CapacityRequestsPerS)
	return p
}

// workingSecondsPerDay is the officers' clock: deadlines and waits run in
// working time only.
func (in PlanInput) workingSecondsPerDay() float64 { return in.WorkingHoursPerDay * 3600 }

func (in PlanInput) effectiveHandlingS(minutes float64) float64 {
	return minutes * 60 * in.WorkingHoursPerDay / in.OfficerProductiveHours
}

func (in PlanInput) allowedWaitS(statutoryDays, effHandlingS float64) float64 {
	if in.AllowedWait > 0 {
		return in.AllowedWait.Seconds()
	}
	return math.Max(0, statutoryDays*in.workingSecondsPerDay()-effHandlingS)
}

func staffing(in PlanInput, plannedDaily float64) (StaffingPlan, error) {
	s := StaffingPlan{
		DailyDossiers: plannedDaily * in.PeakDayFactor,
		HandlingS:     in.HandlingMinutes * 60,
		Pools:         in.OfficerPools,
	}
	s.ArrivalPerS = s.DailyDossiers / in.workingSecondsPerDay()
	s.EffectiveHandlingS = in.effectiveHandlingS(in.HandlingMinutes)
	s.OfferedLoad = s.ArrivalPerS * s.EffectiveHandlingS
	s.AllowedWaitS = in.allowedWaitS(in.StatutoryDays, s.EffectiveHandlingS)

	lambda := s.ArrivalPerS / float64(in.OfficerPools)
	mu := 1 / s.EffectiveHandlingS
	perPool, err := SmallestServers(lambda, mu, s.AllowedWaitS, in.OnTimeTarget)
	if err != nil {
		return s, fmt.Errorf("back-office staffing: %w", err)
	}
	occPerPool := ceilTolerant(lambda / mu / in.MaxOccupancy)
	s.ErlangCOfficers = perPool * in.OfficerPools
	s.OccupancyOfficers = occPerPool * in.OfficerPools
	c := max(perPool, occPerPool)
	s.Officers = c * in.OfficerPools
	q := MMc{Lambda: lambda, Mu: mu, Servers: c}
	s.Utilisation = q.Utilisation()
	s.ProbWait = q.ProbWait()
	s.MeanWaitS = q.MeanWait()
	s.OnTimeShare = q.ProbWaitWithin(s.AllowedWaitS)

	if in.SimulateDays > 0 {
		days := in.SimulateDays
		// Bound the simulation to about 2 million dossiers per pool.
		if maxDays := 2e6 / (lambda * in.workingSecondsPerDay()); days > maxDays {
			days = maxDays
		}
		sim, err := SimulateOfficers(OfficerSim{
			ArrivalRate: lambda,
			Handling:    ExponentialHandling{MeanSeconds: s.EffectiveHandlingS},
			Officers:    c,
			Horizon:     time.Duration(days * in.workingSecondsPerDay() * float64(time.Second)),
			AllowedWait: time.Duration(s.AllowedWaitS * float64(time.Second)),
			Seed:        in.Seed,
		})
		if err != nil {
			return s, fmt.Errorf("back-office simulation: %w", err)
		}
		s.Simulation = &sim
	}
	return s, nil
}

func procedureStaffing(in PlanInput, p ProcedureLoad, totalArrivalPerS float64) (ProcedureStaffing, error) {
	minutes, days := p.HandlingMinutes, p.StatutoryDays
	if minutes == 0 {
		minutes = in.HandlingMinutes
	}
	if days == 0 {
		days = in.StatutoryDays
	}
	ps := ProcedureStaffing{Code: p.Code, Share: p.Share, ArrivalPerS: totalArrivalPerS * p.Share}
	ps.HandlingS = in.effectiveHandlingS(minutes)
	ps.AllowedWaitS = in.allowedWaitS(days, ps.HandlingS)
	mu := 1 / ps.HandlingS
	c, err := SmallestServers(ps.ArrivalPerS, mu, ps.AllowedWaitS, in.OnTimeTarget)
	if err != nil {
		return ps, fmt.Errorf("staffing procedure %s: %w", p.Code, err)
	}
	c = max(c, ceilTolerant(ps.ArrivalPerS/mu/in.MaxOccupancy))
	q := MMc{Lambda: ps.ArrivalPerS, Mu: mu, Servers: c}
	ps.Officers = c
	ps.Utilisation = q.Utilisation()
	ps.OnTimeShare = q.ProbWaitWithin(ps.AllowedWaitS)
	return ps, nil
}
