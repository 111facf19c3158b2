package capacity

import (
	"fmt"
	"math"
)

// Hint is one clue to what limited the capacity, read from the step at
// the first failing rate (or the highest step when none failed). Measured
// says whether the figure was measured at all; Detail says how.
type Hint struct {
	Resource string  `json:"resource"`
	Measured bool    `json:"measured"`
	Value    float64 `json:"value,omitempty"`
	Unit     string  `json:"unit,omitempty"`
	// Limiting is true when the figure points at this resource as the limit.
	Limiting bool   `json:"limiting"`
	Detail   string `json:"detail"`
}

// Thresholds above which a hint calls its resource limiting.
const (
	HintCPUUtilisation = 0.80 // of GOMAXPROCS cores
	HintMachineBusy    = 0.90 // of the machine's CPU time, all processes
	HintShedShare      = 0.01 // of requests answered 503
	HintLatenessP99MS  = 100  // generator lateness p99
	HintAchievedRatio  = 0.95 // journeys started / offered
	HintQueueGrowth    = 10   // more dossiers waiting for officers at the end of a step
)

// Hints reads the limiting-resource clues from the step at the first
// failing rate (or the highest step). Officer queue and database busy time
// are listed as not measured: the embedded portal exposes neither.
func Hints(r *SearchResult) []Hint {
	s := r.Worst()
	if s == nil {
		for i := range r.Steps {
			if s == nil || r.Steps[i].OfferedRate > s.OfferedRate {
				s = &r.Steps[i]
			}
		}
	}
	if s == nil {
		return nil
	}
	at := fmt.Sprintf("at %s journeys/s", fmtRate(s.OfferedRate))
	var hints []Hint

	res := s.Resources
	if res.Cores > 0 && res.WallSeconds > 0 {
		h := Hint{Resource: "cpu", Measured: true, Value: round3(res.CPUUtilisation), Unit: "ratio",
			Limiting: res.CPUUtilisation >= HintCPUUtilisation || res.MachineCPUBusy >= HintMachineBusy}
		h.Detail = fmt.Sprintf("%s the process used %.1f CPU-seconds in %.1f s on %d cores (%.0f%%), %.3f ms of CPU per request; "+
			"measured with getrusage(RUSAGE_SELF) around the step, so it covers the load generator and, when the target is embedded, the portal too",
			at, res.CPUSeconds, res.WallSeconds, res.Cores, res.CPUUtilisation*100, res.CPUPerRequestMS)
		if res.MachineCPUBusy > 0 {
			h.Detail += fmt.Sprintf("; the whole machine was %.0f%% busy (all processes, /proc/stat)", res.MachineCPUBusy*100)
		}
		switch {
		case res.CPUUtilisation >= HintCPUUtilisation:
			h.Detail += fmt.Sprintf("; at or above %.0f%% the cores are the limit", HintCPUUtilisation*100)
		case res.MachineCPUBusy >= HintMachineBusy:
			h.Detail += "; other processes held the cores, so this process got only its share: the machine's CPU is the limit and the rate is a floor for an idle machine"
		}
		hints = append(hints, h)
	}

	shed := Hint{Resource: "load_shedding", Measured: true, Value: round3(s.ShedShare), Unit: "ratio", Limiting: s.ShedShare >= HintShedShare}
	shed.Detail = fmt.Sprintf("%s %.1f%% of requests were answered 503 (the target shed load: all its request slots were busy); "+
		"measured from the step's status codes", at, s.ShedShare*100)
	hints = append(hints, shed)

	sum := s.Summary
	achieved := 1.0
	var lateOver1s uint64
	if sum != nil {
		if sum.Arrivals.Intended > 0 {
			achieved = float64(sum.Arrivals.Achieved) / float64(sum.Arrivals.Intended)
		}
		lateOver1s = sum.Arrivals.LateOver1s
	}
	gen := Hint{Resource: "generator", Measured: sum != nil, Value: s.LatenessP99MS, Unit: "ms",
		Limiting: s.LatenessP99MS >= HintLatenessP99MS || achieved < HintAchievedRatio || lateOver1s > 0}
	gen.Detail = fmt.Sprintf("%s request lateness p99 %.1f ms, %.1f%% of intended journeys started, %d journeys started over 1 s late; "+
		"lateness is the actual send time minus the intended one", at, s.LatenessP99MS, achieved*100, lateOver1s)
	if gen.Limiting {
		gen.Detail += ": the generator could not keep up, so this rate says as much about the load generator as about the target"
	}
	hints = append(hints, gen)

	if q := res.Officers; q != nil {
		h := Hint{Resource: "officer_queue", Measured: true, Value: math.Round(q.GrowthPerS*100) / 100, Unit: "dossiers/s",
			Limiting: q.WaitingEnd > q.WaitingStart+HintQueueGrowth && q.GrowthPerS > 0}
		h.Detail = fmt.Sprintf("%s dossiers waiting for an officer went from %d to %d (%+.2f/s), officers %.0f%% busy; "+
			"sampled from the embedded portal's back-office pool at the start and end of the measured run. "+
			"A growing queue limits the back office (on-time rate, see portalsim plan), not the HTTP rate",
			at, q.WaitingStart, q.WaitingEnd, q.GrowthPerS, q.Utilisation*100)
		hints = append(hints, h)
	} else {
		hints = append(hints, Hint{Resource: "officer_queue", Detail: "not measured: the target's back-office queue is not visible (external target, or no officers)"})
	}
	hints = append(hints, Hint{Resource: "database", Detail: "not measured: portal/sqlite exposes no busy-time or pool-wait statistics"})
	return hints
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
