// Command gapply applies Puppet-language and HCL manifests to the machine it
// runs on. This package is only the command line: flags, wiring and exit
// codes. Nothing below main calls os.Exit, so the whole CLI runs inside tests.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
