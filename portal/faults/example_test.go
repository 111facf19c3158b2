package faults_test

import (
	"context"
	"fmt"

	"github.com/portalsim/portalsim/portal/faults"
)

func ExampleFromFlag() {
	f, err := faults.FromFlag("route=POST /api/v1/dossiers/:id/submit:latency=uniform:50ms..150ms,error_rate=0.05")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Target, f.Latency, f.ErrorRate)

	_, err = faults.FromFlag("payment:error_rate=1.5")
	fmt.Println(err)
	// Output:
	// POST /api/v1/dossiers/:id/submit uniform:50ms..150ms 0.05
	// invalid: fault "payment:error_rate=1.5": error_rate: must be between 0 and 1, got 1.5 (1 field errors)
}

func ExampleInjector_Apply() {
	inj := faults.NewInjector()
	_ = inj.Set(faults.Fault{Target: faults.Signer, Outage: true})
	fmt.Println(inj.Apply(context.Background(), faults.Signer))
	fmt.Println(inj.Apply(context.Background(), faults.Payment))
	// Output:
	// unavailable: signer is unavailable (injected fault)
	// <nil>
}
