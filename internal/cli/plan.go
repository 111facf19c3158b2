package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/loadtest/capacity"
	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/catalog"
)

// newPlanCmd is `portalsim plan`: national volumes → peak rates → portal
// instances and back-office officers, as a worked calculation.
func newPlanCmd(env *Env) *cobra.Command {
	in := capacity.DefaultPlanInput()
	cal := portal.DefaultCalendar()
	in.WorkingHoursPerDay = float64(cal.MorningEnd-cal.MorningStart+cal.AfternoonEnd-cal.AfternoonStart) / 60

	var (
		scenarioPath, capacityFrom, month, format string
		requestsPerJourney                        float64
		perProcedure                              bool
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Turn national volumes into peak load, portal instances and back-office officers",
		Long: `plan turns the national portal's volumes (DOMAIN.md: 1.6 million online
dossiers a month in April 2025, grown to the 2025 targets) into average and
peak journeys and requests per second, the number of portal instances a
capacity run says are needed with headroom, and the number of officers
that keeps the on-time rate at the target (Erlang C, cross-checked by a
simulation of the back-office queue). Every default is a documented
assumption; the text output shows each step of the calculation.

Shares and percentages accept 0.3 or 30%.`,
		Example: `  portalsim plan
  portalsim plan --scenario scenarios/weekday.yaml --capacity-from results/<run>/summary.json
  portalsim plan --capacity 40 --growth 1.98 --peak-factor 6 --format html > plan.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" && format != "html" {
				return withExit(ExitUsage, fmt.Errorf("--format %q: want text, json or html", format))
			}
			if in.OfficerProductiveHours > in.WorkingHoursPerDay {
				return withExit(ExitUsage, fmt.Errorf("--officer-productive-hours %v: more than the %v working hours of a day", in.OfficerProductiveHours, in.WorkingHoursPerDay))
			}
			if in.AllowedWait < 0 {
				return withExit(ExitUsage, fmt.Errorf("--allowed-wait %s: must not be negative", in.AllowedWait))
			}
			if month != "" {
				m, err := time.Parse("2006-01", month)
				if err != nil {
					return withExit(ExitUsage, fmt.Errorf("--month %q: want YYYY-MM", month))
				}
				in.WorkingDaysPerMonth = float64(capacity.WorkingDaysIn(cal, m.Year(), m.Month()))
			}
			if capacityFrom != "" {
				sc, err := capacity.ReadSummaryCapacity(capacityFrom)
				if err != nil {
					return fmt.Errorf("--capacity-from: %w", err)
				}
				in.CapacityPerInstance = sc.MaxRate
				in.CapacitySource = capacityFrom
				if sc.Scenario != "" {
					in.CapacitySource += ", scenario " + sc.Scenario
				}
				in.CapacityRequestsPerJourney = sc.RequestsPerJourney
				if sc.RequestsPerJourney > 0 {
					in.RequestsPerJourney = sc.RequestsPerJourney
					in.RequestsSource = "capacity run's summary.json"
				}
			} else if cmd.Flags().Changed("capacity") {
				in.CapacitySource = "--capacity"
			}
			if scenarioPath != "" {
				s, err := scenario.Load(scenarioPath)
				if err != nil {
					return fmt.Errorf("--scenario: %w", err)
				}
				sl, err := capacity.ScenarioRequests(s)
				if err != nil {
					return fmt.Errorf("--scenario: %w", err)
				}
				in.RequestsPerJourney = sl.RequestsPerJourney
				in.RequestsSource = fmt.Sprintf("scenario %s, mix-weighted, polls estimated", s.Name)
				if perProcedure {
					if len(sl.Procedures) == 0 {
						return fmt.Errorf("--per-procedure: the mix of scenario %s names no procedures", scenarioPath)
					}
					if err := statutoryDaysFromCatalog(sl.Procedures); err != nil {
						return fmt.Errorf("--per-procedure: %w", err)
					}
					in.Procedures = sl.Procedures
				}
			} else if perProcedure {
				return fmt.Errorf("--per-procedure needs --scenario (procedure shares come from its mix)")
			}
			if cmd.Flags().Changed("requests-per-journey") {
				in.RequestsPerJourney = requestsPerJourney
				in.RequestsSource = "--requests-per-journey"
			}

			r, err := capacity.Plan(in)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			case "html":
				return r.WriteHTML(env.Stdout)
			default:
				return r.WriteText(env.Stdout)
			}
		},
	}

	f := cmd.Flags()
	f.StringVar(&scenarioPath, "scenario", "", "scenario `FILE` whose mix gives requests per journey (and procedures for --per-procedure)")
	f.StringVar(&capacityFrom, "capacity-from", "", "summary.json `FILE` of a capacity run: capacity.max_rate per instance and requests_per_journey")
	f.Var(floatIn(&in.CapacityPerInstance, 0, false, math.Inf(1), true), "capacity", "`J/s` one instance sustains within its SLOs (journeys per second)")
	f.Var(floatIn(&in.MonthlyDossiers, 0, false, math.Inf(1), true), "monthly-dossiers", "online dossiers a month today (`N`; DOMAIN.md: 1.6M in April 2025)")
	f.Var(floatIn(&in.Growth, 0, true, math.Inf(1), true), "growth", "volume multiplier to plan for (`X`; 0 = target online share 50% ÷ today's 39.46%)")
	f.Var(floatIn(&in.WorkingDaysPerMonth, 0, false, 31, true), "working-days", "working days a month (`N`)")
	f.StringVar(&month, "month", "", "count working days of this month on the portal calendar (`YYYY-MM`) instead of --working-days")
	f.Var(shareIn(&in.BusyShare, false, true), "busy-share", "share of a day's submissions arriving in the busy hours (`P`)")
	f.Var(floatIn(&in.BusyHours, 0, false, 24, true), "busy-hours", "length of the busy hours (`H`; DOMAIN.md's ≈2.5/s implies 5, its windows add up to 7)")
	f.Var(floatIn(&in.PeakFactor, 1, true, math.Inf(1), true), "peak-factor", "peak-hour rate ÷ busy-hour average (`X`; Monday morning, deadlines: 4–6)")
	f.Var(floatIn(&in.ReadsPerSubmission, 0, true, math.Inf(1), true), "reads-per-submission", "read requests outside the journey per submission (`N`; 20–50)")
	f.Var(floatIn(&requestsPerJourney, 0, false, math.Inf(1), true), "requests-per-journey", "requests per submission journey (`N`; overrides --scenario; default 10)")
	f.Var(shareIn(&in.Headroom, true, false), "headroom", "share of each instance's maximum kept free (`P`)")
	f.Var(intIn(&in.Redundancy, 0), "redundancy", "spare instances on top of the need (`N`; 1 = N+1)")
	f.Var(floatIn(&in.HandlingMinutes, 0, false, math.Inf(1), true), "handling-minutes", "officer's mean hands-on time per dossier (`M`)")
	f.Var(floatIn(&in.OfficerProductiveHours, 0, false, 24, true), "officer-productive-hours", "hours of case work in an officer's working day (`H`)")
	f.Var(floatIn(&in.PeakDayFactor, 0, false, math.Inf(1), true), "peak-day-factor", "busiest day ÷ average day, for staffing (`X`)")
	f.Var(shareIn(&in.OnTimeTarget, false, false), "on-time-target", "share of dossiers whose wait must end in time (`P`)")
	f.Var(floatIn(&in.StatutoryDays, 0, true, math.Inf(1), true), "statutory-days", "working days from receipt to the appointment date (`D`)")
	f.DurationVar(&in.AllowedWait, "allowed-wait", 0, "allowed queue wait in working time, overriding --statutory-days (e.g. 4h)")
	f.Var(shareIn(&in.MaxOccupancy, false, true), "max-occupancy", "highest officer utilisation allowed (`P`)")
	f.Var(intIn(&in.OfficerPools, 1), "officer-pools", "independent offices sharing the load equally (`N`; 1 = one national pool)")
	f.BoolVar(&perProcedure, "per-procedure", false, "also staff each procedure of the --scenario mix as its own pool (mix weights as national shares)")
	f.Var(floatIn(&in.SimulateDays, 0, true, 365, true), "sim-days", "working days of back-office simulation to cross-check Erlang C (`D`; 0 = none)")
	f.Uint64Var(&in.Seed, "seed", in.Seed, "seed of the back-office simulation")
	f.StringVar(&format, "format", "text", "output `format`: text, json or html")
	cmd.MarkFlagsMutuallyExclusive("capacity", "capacity-from")
	cmd.MarkFlagsMutuallyExclusive("working-days", "month")
	return cmd
}

// boundedFloat is a float flag that rejects values outside its range at
// parse time, so the error names the flag.
type boundedFloat struct {
	p                  *float64
	lo, hi             float64
	loClosed, hiClosed bool
	share              bool // accepts "30%"
}

func floatIn(p *float64, lo float64, loClosed bool, hi float64, hiClosed bool) *boundedFloat {
	return &boundedFloat{p: p, lo: lo, hi: hi, loClosed: loClosed, hiClosed: hiClosed}
}

func shareIn(p *float64, loClosed, hiClosed bool) *boundedFloat {
	return &boundedFloat{p: p, lo: 0, hi: 1, loClosed: loClosed, hiClosed: hiClosed, share: true}
}

func (b *boundedFloat) String() string {
	if b.p == nil {
		return ""
	}
	return strconv.FormatFloat(*b.p, 'f', -1, 64)
}

func (b *boundedFloat) Type() string {
	if b.share {
		return "share"
	}
	return "float"
}

func (b *boundedFloat) Set(s string) error {
	t := strings.TrimSpace(s)
	percent := b.share && strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil || math.IsNaN(v) {
		return fmt.Errorf("not a number")
	}
	if percent {
		v /= 100
	}
	okLo := v > b.lo || (b.loClosed && v == b.lo)
	okHi := v < b.hi || (b.hiClosed && v == b.hi)
	if !okLo || !okHi {
		return fmt.Errorf("must be in %s", b.rangeText())
	}
	*b.p = v
	return nil
}

func (b *boundedFloat) rangeText() string {
	l, r := "(", ")"
	if b.loClosed {
		l = "["
	}
	if b.hiClosed {
		r = "]"
	}
	hi := strconv.FormatFloat(b.hi, 'g', -1, 64)
	if math.IsInf(b.hi, 1) {
		hi, r = "∞", ")"
	}
	s := l + strconv.FormatFloat(b.lo, 'g', -1, 64) + ", " + hi + r
	if b.share {
		s += " (a share: 0.3 or 30%)"
	}
	return s
}

// boundedInt is an int flag with a lower bound.
type boundedInt struct {
	p  *int
	lo int
}

func intIn(p *int, lo int) *boundedInt { return &boundedInt{p: p, lo: lo} }

func (b *boundedInt) String() string {
	if b.p == nil {
		return ""
	}
	return strconv.Itoa(*b.p)
}

func (b *boundedInt) Type() string { return "int" }

func (b *boundedInt) Set(s string) error {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	if v < b.lo {
		return fmt.Errorf("must be at least %d", b.lo)
	}
	*b.p = v
	return nil
}

// statutoryDaysFromCatalog sets each procedure's deadline from the
// catalogue's processing days; codes not in the catalogue keep the plan's
// --statutory-days. A same-day procedure (0 days) gets half a working day:
// a dossier arrives on average halfway through the day it must be done.
// Handling time is not derived: processing days are a deadline, not work.
func statutoryDaysFromCatalog(procs []capacity.ProcedureLoad) error {
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalogue: %w", err)
	}
	for i := range procs {
		p, ok := cat.Procedure(procs[i].Code)
		if !ok {
			continue
		}
		procs[i].StatutoryDays = math.Max(float64(p.ProcessingDays), 0.5)
	}
	return nil
}
