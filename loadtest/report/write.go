package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// File names inside a run folder.
const (
	SummaryFile  = "summary.json"
	ReportFile   = "report.txt"
	ResultsFile  = "results.bin"
	JourneysFile = "journeys.jsonl"
	ScenarioFile = "scenario.yaml"
)

// MarshalSummary encodes s as indented JSON with a trailing newline.
func MarshalSummary(s *metrics.Summary) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteSummary writes dir/summary.json.
func WriteSummary(dir string, s *metrics.Summary) error {
	b, err := MarshalSummary(s)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, SummaryFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadSummary reads dir/summary.json (or a summary.json path), refusing
// other schema versions.
func ReadSummary(path string) (*metrics.Summary, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, SummaryFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	var s metrics.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if s.SchemaVersion != metrics.SchemaVersion {
		return nil, fmt.Errorf("read %s: schema_version %d, this portalsim reads %d", path, s.SchemaVersion, metrics.SchemaVersion)
	}
	return &s, nil
}

// WriteText writes dir/report.txt.
func WriteText(dir string, s *metrics.Summary) error {
	path := filepath.Join(dir, ReportFile)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := Text(f, s); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
