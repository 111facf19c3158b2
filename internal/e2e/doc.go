// Package e2e holds black-box tests of the real portalsim binary: they build
// cmd/portalsim once, run it as a child process on loopback and check what
// survives kill -9, overload, Ctrl-C and a misbehaving target. The package
// has no code of its own beyond this comment; everything is in _test files.
//
// The short variants run in `make test`; PORTALSIM_LONG=1 (`make
// test-long`) runs more rounds, longer loads and higher overload factors.
package e2e
