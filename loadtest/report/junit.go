package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): they
// show pass/fail per SLO and per regression check without parsing text.
// The layout is the common Ant/Surefire one: testsuites › testsuite ›
// testcase with an optional failure or skipped element.

// JUnitSuites is the root <testsuites> element.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
}

// JUnitProperty is a <property name value>.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one <testcase>; Failure or Skipped set its outcome.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitMessage `xml:"failure,omitempty"`
	Skipped   *JUnitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitMessage is a <failure> or <skipped> element.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the document with an XML header.
func WriteJUnit(w io.Writer, doc *JUnitSuites) error {
	doc.Tests, doc.Failures, doc.Skipped = 0, 0, 0
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Tests, s.Failures, s.Skipped = len(s.Cases), 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				s.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJUnitFile writes doc to path.
func WriteJUnitFile(path string, doc *JUnitSuites) error {
	return writeFile(path, func(w io.Writer) error { return WriteJUnit(w, doc) })
}

func seconds(s float64) string { return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', 3, 64) }

// RunJUnit is a run's SLO verdicts: one test case per SLO (failed with the
// measured value against the SLO), plus "run finished", which fails when
// the run was interrupted.
func RunJUnit(s *metrics.Summary) *JUnitSuites {
	class := "portalsim.run." + s.Scenario
	suite := JUnitSuite{
		Name: "portalsim run " + s.Scenario, Time: seconds(s.DurationS),
		Timestamp: s.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []JUnitProperty{
			{"target", s.Target}, {"seed", strconv.FormatInt(s.Seed, 10)},
			{"completion_rate", strconv.FormatFloat(s.CompletionRate, 'f', 4, 64)},
		},
	}
	if s.Version != "" {
		suite.Properties = append(suite.Properties, JUnitProperty{"portalsim_version", s.Version})
	}
	finished := JUnitCase{Name: "run finished", Classname: class, Time: seconds(s.DurationS)}
	if s.Interrupted {
		finished.Failure = &JUnitMessage{Message: "the run was interrupted before the scenario ended", Type: "interrupted"}
	}
	suite.Cases = append(suite.Cases, finished)
	for _, r := range s.SLOs {
		c := JUnitCase{Name: "SLO " + r.Expr, Classname: class, Time: "0.000"}
		measured := sloMeasured(r)
		switch {
		case r.Error != "":
			c.Failure = &JUnitMessage{Message: fmt.Sprintf("%s: not evaluated: %s", r.Expr, r.Error), Type: "slo_not_evaluated"}
		case !r.OK:
			c.Failure = &JUnitMessage{Message: fmt.Sprintf("%s: measured %s", r.Expr, measured), Type: "slo_failed",
				Text: fmt.Sprintf("SLO %s does not hold: the run measured %s.", r.Expr, measured)}
		default:
			c.SystemOut = fmt.Sprintf("measured %s", measured)
		}
		suite.Cases = append(suite.Cases, c)
	}
	return &JUnitSuites{Name: "portalsim", Time: suite.Time, Suites: []JUnitSuite{suite}}
}

func sloMeasured(r metrics.SLOResult) string {
	switch r.Unit {
	case "ms":
		return num(r.Value) + " ms"
	case "ratio":
		return strconv.FormatFloat(r.Value, 'f', 4, 64)
	}
	return num(r.Value)
}

// CompareJUnit is a comparison as test cases, one per compared metric:
// a regression fails, a metric in only one run is skipped.
func CompareJUnit(c *Comparison) *JUnitSuites {
	class := "portalsim.compare." + c.New.Scenario
	suite := JUnitSuite{
		Name: "portalsim compare " + c.New.Scenario, Time: "0.000",
		Timestamp: c.New.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []JUnitProperty{
			{"base", c.Base.Path}, {"new", c.New.Path}, {"thresholds", thresholdLine(c.Thresholds)},
		},
	}
	for _, w := range c.Warnings {
		suite.Properties = append(suite.Properties, JUnitProperty{"warning", w})
	}
	for _, ch := range c.Changes {
		tc := JUnitCase{Name: ch.Metric, Classname: class, Time: "0.000"}
		summary := fmt.Sprintf("%s: %s → %s (%s)", ch.Metric, changeValue(ch.Kind, ch.Base), changeValue(ch.Kind, ch.New), changeDelta(ch))
		switch ch.Verdict {
		case VerdictRegression:
			tc.Failure = &JUnitMessage{Message: summary + "; " + ch.Rule, Type: "regression"}
		case VerdictNew:
			tc.Skipped = &JUnitMessage{Message: ch.Metric + ": only in the new run"}
		case VerdictMissing:
			tc.Skipped = &JUnitMessage{Message: ch.Metric + ": only in the base run"}
		default:
			tc.SystemOut = summary + ": " + string(ch.Verdict)
			if ch.Note != "" {
				tc.SystemOut += " (" + ch.Note + ")"
			}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return &JUnitSuites{Name: "portalsim", Time: suite.Time, Suites: []JUnitSuite{suite}}
}
