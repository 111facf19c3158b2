package backoffice

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// queue hands out dossiers to officers, work in progress before intake,
// oldest submission first within each, each to one officer at a time.
// Claims live in memory: the pool is the only
// simulated actor in the process, and against human officers (or a second
// process) the store's lifecycle check turns a double action into
// ECONFLICT, which the loser skips.
type queue struct {
	mu        sync.Mutex
	claimed   map[string]string // dossier ID → officer ID
	pending   []*portal.Dossier // claimable at the last scan, oldest first
	nextScan  time.Time         // real time before which an empty queue is not scanned again
	waiting   int               // claimable at the last scan and not yet handed out
	unpaid    int               // submitted with an unpaid fee at the last scan
	truncated bool              // the last intake scan stopped at ScanLimit
}

// claim gives officer o the oldest claimable dossier, freshly loaded, or
// nil when there is none.
func (p *Pool) claim(ctx context.Context, o *officer) (*portal.Dossier, error) {
	q := &p.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	for scanned := false; ; scanned = true {
		for len(q.pending) > 0 {
			cand := q.pending[0]
			q.pending = q.pending[1:]
			q.waiting = len(q.pending)
			if _, taken := q.claimed[cand.ID]; taken {
				continue
			}
			// The scan may be stale: reload, someone may have acted since.
			d, err := p.svc.Get(ctx, o.who, cand.ID)
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("load queued dossier %s: %w", cand.ID, err)
			}
			if !p.claimable(d) {
				continue
			}
			q.claimed[d.ID] = o.who.UserID
			p.mu.Lock()
			o.current = d.ID
			p.mu.Unlock()
			return d, nil
		}
		if scanned || (p.cfg.MinRealPoll >= 0 && time.Now().Before(q.nextScan)) {
			return nil, nil
		}
		if err := p.scan(ctx, o.who); err != nil {
			return nil, err
		}
		if len(q.pending) == 0 && p.cfg.MinRealPoll > 0 {
			q.nextScan = time.Now().Add(p.cfg.MinRealPoll)
		}
	}
}

// scan lists the queue and keeps the claimable dossiers: work in
// progress (received, processing, approved) first, then intake, each
// oldest first and each up to ScanLimit dossiers. Called with q.mu held.
//
// Unpaid dossiers cannot be filtered out by the store, so they are read
// and skipped; if more than ScanLimit of them sit at the head of intake,
// newer paid dossiers are hidden until some are paid or withdrawn. That is
// reported (Stats.IntakeTruncated, a warning in the log) rather than silent.
func (p *Pool) scan(ctx context.Context, who portal.Principal) error {
	q := &p.queue
	q.pending, q.unpaid = q.pending[:0], 0
	if _, err := p.scanStatuses(ctx, who, []portal.Status{portal.StatusReceived,
		portal.StatusProcessing, portal.StatusApproved}); err != nil {
		return err
	}
	truncated, err := p.scanStatuses(ctx, who, []portal.Status{portal.StatusSubmitted})
	if err != nil {
		return err
	}
	if truncated && !q.truncated {
		p.log.Warn("back office: intake scan hit its limit; newer dossiers are hidden behind unpaid ones",
			"scan_limit", p.cfg.ScanLimit, "unpaid", q.unpaid)
	}
	q.truncated = truncated
	q.waiting = len(q.pending)
	return nil
}

// scanStatuses appends the claimable dossiers in the statuses to
// q.pending and reports whether it stopped at ScanLimit with more left.
func (p *Pool) scanStatuses(ctx context.Context, who portal.Principal, statuses []portal.Status) (bool, error) {
	q := &p.queue
	for off := 0; ; {
		if off >= p.cfg.ScanLimit {
			return true, nil
		}
		limit := min(portal.MaxPerPage, p.cfg.ScanLimit-off)
		ds, total, err := p.svc.List(ctx, who, portal.DossierFilter{
			Statuses: statuses, OldestFirst: true, Offset: off, Limit: limit})
		if err != nil {
			return false, fmt.Errorf("scan the queue: %w", err)
		}
		for _, d := range ds {
			if d.Status == portal.StatusSubmitted && !feeSettled(d) {
				q.unpaid++
			} else if _, taken := q.claimed[d.ID]; !taken && p.claimable(d) {
				q.pending = append(q.pending, d)
			}
		}
		off += len(ds)
		if len(ds) < limit || off >= total {
			return false, nil
		}
	}
}

// claimable reports whether the back office should work on d now. Results
// are issued for every approved dossier; anything else assigned to a human
// officer is left to them (the officer API's claim sets AssigneeID), and
// an unpaid fee keeps a dossier at intake.
func (p *Pool) claimable(d *portal.Dossier) bool {
	switch d.Status {
	case portal.StatusApproved:
		return true
	case portal.StatusSubmitted:
		if !feeSettled(d) {
			return false
		}
	case portal.StatusReceived, portal.StatusProcessing:
	default:
		return false
	}
	return d.AssigneeID == "" || p.simulated(d.AssigneeID)
}

// simulated reports whether an assignee is a simulated officer, of this
// pool or of an earlier one (a restart with fewer officers still picks up
// what the missing ones left).
func (p *Pool) simulated(officerID string) bool {
	return strings.HasPrefix(officerID, p.cfg.OfficerIDPrefix+"-")
}

func feeSettled(d *portal.Dossier) bool {
	return d.PaymentStatus == portal.PaymentNone || d.PaymentStatus == portal.PaymentPaid || d.PaymentStatus == ""
}

func (p *Pool) release(o *officer, id string) {
	p.queue.mu.Lock()
	delete(p.queue.claimed, id)
	p.queue.mu.Unlock()
	p.mu.Lock()
	o.current = ""
	p.mu.Unlock()
}

// OfficerStats is one simulated officer's record.
type OfficerStats struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Busy is simulated working time spent on dossiers; Utilisation is Busy
	// over the working time since the pool was created.
	Busy        time.Duration `json:"busy_ns"`
	Utilisation float64       `json:"utilisation"`
	Handled     int           `json:"handled"` // steps that ended in a lifecycle move
	Received    int           `json:"received"`
	Refused     int           `json:"refused"`
	Supplements int           `json:"supplements"`
	Rejected    int           `json:"rejected"`
	Approved    int           `json:"approved"`
	Current     string        `json:"current,omitempty"` // dossier ID being worked
}

// Stats is a snapshot of the back office, for /metrics and the dashboard.
type Stats struct {
	Officers    []OfficerStats `json:"officers"`
	OnDuty      time.Duration  `json:"on_duty_ns"`  // working time since the pool was created
	Utilisation float64        `json:"utilisation"` // mean over officers
	Waiting     int            `json:"waiting"`     // claimable at the last scan, not yet taken
	Unpaid      int            `json:"unpaid"`      // at intake waiting for the fee, at the last scan
	InProgress  int            `json:"in_progress"` // claimed by an officer now
	// IntakeTruncated: the last scan of intake read ScanLimit dossiers and
	// stopped, so newer ones may be hidden (behind unpaid ones).
	IntakeTruncated bool `json:"intake_truncated"`
	// Results issued (and completed) by the portal, signer failures that
	// left a dossier approved, lifecycle conflicts lost to someone else,
	// failed steps, and supplements answered by simulated citizens.
	ResultsIssued      int `json:"results_issued"`
	ResultFailures     int `json:"result_failures"`
	Completed          int `json:"completed"`
	Conflicts          int `json:"conflicts"`
	Errors             int `json:"errors"`
	CitizenSupplements int `json:"citizen_supplements"`
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.queue.mu.Lock()
	s := Stats{Waiting: p.queue.waiting, Unpaid: p.queue.unpaid, InProgress: len(p.queue.claimed),
		IntakeTruncated: p.queue.truncated}
	p.queue.mu.Unlock()
	s.OnDuty = workingDuration(p.svc.Calendar, p.since, p.svc.Clock.Now())
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.officers {
		st := OfficerStats{ID: o.who.UserID, Name: o.who.Name, Busy: o.busy, Handled: o.handled,
			Received: o.received, Refused: o.refused, Supplements: o.supps, Rejected: o.rejected,
			Approved: o.approved, Current: o.current}
		if s.OnDuty > 0 {
			st.Utilisation = min(1, float64(o.busy)/float64(s.OnDuty))
		}
		s.Utilisation += st.Utilisation / float64(len(p.officers))
		s.Officers = append(s.Officers, st)
	}
	t := p.totals
	s.ResultsIssued, s.ResultFailures, s.Completed = t.issued, t.issueFailures, t.completed
	s.Conflicts, s.Errors, s.CitizenSupplements = t.conflicts, t.errors, t.citizenSupplements
	return s
}
