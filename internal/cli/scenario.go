package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

func newScenarioCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Check scenario files and print their JSON Schema",
	}
	cmd.AddCommand(newScenarioValidateCmd(env), newScenarioSchemaCmd(env))
	return cmd
}

func newScenarioValidateCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Strictly decode and validate scenario files, reporting every problem with file:line",
		Long: `Validate decodes each scenario file strictly (unknown fields, wrong types and
durations without a unit are errors) and checks everything that can be checked
before a run. It prints "ok FILE" for each valid file and every problem of each
invalid one, one per line as file:line: field: message, and exits 2 if any file
is invalid.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			invalid := 0
			for _, file := range files {
				if _, err := scenario.Load(file); err != nil {
					invalid++
					var perr *scenario.Error
					if errors.As(err, &perr) {
						for _, p := range perr.Problems {
							fmt.Fprintln(env.Stderr, p)
						}
					} else {
						fmt.Fprintf(env.Stderr, "%s: %v\n", file, err)
					}
					continue
				}
				fmt.Fprintf(env.Stdout, "ok %s\n", file)
			}
			if invalid > 0 {
				return withExit(ExitUsage, fmt.Errorf("%d of %d scenario files invalid", invalid, len(files)))
			}
			return nil
		},
	}
}

func newScenarioSchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the scenario file's JSON Schema (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := scenario.JSONSchema()
			if err != nil {
				return fmt.Errorf("scenario schema: %w", err)
			}
			_, err = env.Stdout.Write(b)
			return err
		},
	}
}
