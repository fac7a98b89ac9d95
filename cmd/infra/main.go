// Command infra plans, deploys and inspects the stacks of this project.
package main

import (
	"os"

	"infra/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], &cli.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv}))
}
