// Command portalsim is a mock national public-service portal and a load-test
// harness that replays citizen journeys against it. See README.md.
package main

import (
	"os"

	"github.com/portalsim/portalsim/internal/cli"
)

func main() {
	os.Exit(cli.Main(cli.OSEnv()))
}
