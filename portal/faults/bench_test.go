package faults

import (
	"context"
	"testing"
)

// BenchmarkApply measures the cost a fault site adds to every call.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("no fault", func(b *testing.B) {
		inj := NewInjector(WithLogger(discard()))
		_ = inj.Set(Fault{Target: Signer, Outage: true})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = inj.Apply(ctx, Payment)
			}
		})
	})
	b.Run("error rate", func(b *testing.B) {
		inj := NewInjector(WithLogger(discard()))
		_ = inj.Set(Fault{Target: Payment, ErrorRate: 0.1})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = inj.Apply(ctx, Payment)
			}
		})
	})
}
