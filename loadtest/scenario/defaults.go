package scenario

import "time"

// Defaults applied by ApplyDefaults (and so by Load and Parse).
const (
	DefaultTarget       = "embedded"
	DefaultTimeout      = 10 * time.Second
	DefaultMaxWorkers   = 512
	DefaultWorkers      = 32
	DefaultMaxBody      = 1 << 20
	DefaultDrain        = 30 * time.Second
	DefaultSeed         = 1
	DefaultProcess      = "poisson"
	DefaultCitizenCount = 10000
	DefaultFeederOrder  = "random"
)

// ApplyDefaults fills every optional field left empty. Validate first:
// defaults never turn an invalid scenario into a valid one.
func (s *Scenario) ApplyDefaults() {
	if s.Target == "" {
		s.Target = DefaultTarget
	}
	if s.Seed == 0 {
		s.Seed = DefaultSeed
	}
	if s.Drain == 0 {
		s.Drain = Duration(DefaultDrain)
	}
	if s.HTTP.Timeout == 0 {
		s.HTTP.Timeout = Duration(DefaultTimeout)
	}
	if s.HTTP.MaxWorkers == 0 {
		s.HTTP.MaxWorkers = DefaultMaxWorkers
	}
	if s.HTTP.Workers == 0 {
		s.HTTP.Workers = min(DefaultWorkers, s.HTTP.MaxWorkers)
	}
	if s.HTTP.MaxBody == 0 {
		s.HTTP.MaxBody = DefaultMaxBody
	}
	if s.MixOrder == "" {
		s.MixOrder = MixWeighted
	}
	if s.Arrival.Process == "" {
		s.Arrival.Process = DefaultProcess
	}
	for i := range s.Feeders {
		f := &s.Feeders[i]
		if f.Type == FeederCitizens && f.Count == 0 {
			f.Count = DefaultCitizenCount
		}
		if f.Order == "" {
			f.Order = DefaultFeederOrder
		}
	}
}
