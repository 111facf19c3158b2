// Package cli builds portalsim's command tree. Each command lives in its own
// file; all of them read and write through Env so tests can drive them in
// process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes. ExitSLOFailed is what CI pipelines look for.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitSLOFailed = 99
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// Env is everything a command touches outside the process: streams,
// environment, arguments and the context cancelled by Ctrl-C.
type Env struct {
	Ctx    context.Context
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// IsTerminal reports whether Stdout is a terminal (live progress line).
	IsTerminal bool
}

// OSEnv returns the process's real environment, with a context cancelled on
// SIGINT or SIGTERM.
func OSEnv() *Env {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	fi, err := os.Stdout.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	return &Env{Ctx: ctx, Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, IsTerminal: tty}
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExit wraps err so Main exits with code.
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// NewRoot returns the portalsim command tree bound to env.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "portalsim",
		Short:         "A mock national public-service portal and a load-test harness for it",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd, env)
		},
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddCommand(
		newVersionCmd(env),
		newScenarioCmd(env),
		newServeCmd(env),
		newPlanCmd(env),
		newCatalogCmd(env),
		newRunCmd(env),
		newCapacityCmd(env),
		newReportCmd(env),
		newCompareCmd(env),
		newDemoCmd(env),
	)
	return root
}

// Main runs the command tree and returns the process exit code.
func Main(env *Env) int {
	root := NewRoot(env)
	root.SetArgs(env.Args)
	err := root.ExecuteContext(env.Ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != ExitSLOFailed {
			fmt.Fprintln(env.Stderr, "portalsim:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(env.Stderr, "portalsim:", err)
	if strings.Contains(err.Error(), "unknown command") || strings.Contains(err.Error(), "flag") {
		return ExitUsage
	}
	return ExitError
}

// bindEnv fills every flag the user did not set from PORTALSIM_<FLAG>
// (upper case, dashes as underscores), so `serve --addr` is also
// PORTALSIM_ADDR.
func bindEnv(cmd *cobra.Command, env *Env) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		name := "PORTALSIM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := env.Getenv(name); v != "" {
			if err := cmd.Flags().Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the portalsim version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(env.Stdout, "portalsim %s\n", Version)
			return err
		},
	}
}
