//! Each gossip variant spreading one message over 10^3 and 10^4 peers for 3 simulated seconds,
//! reported as events per second.

use benches::gossip::{build, run, variants};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("gossip");
    g.sample_size(10);
    for n in [1_000u32, 10_000] {
        for (name, spec) in variants() {
            let (mut k, mut w) = build(n, &spec);
            let events = run(&mut k, &mut w);
            g.throughput(Throughput::Elements(events));
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter_batched(
                    || build(n, &spec),
                    |(mut k, mut w)| assert_eq!(run(&mut k, &mut w), events),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
