//! One message flooded over a random 8-regular graph: p2psim's kernel and network model against
//! the hand-written yardstick. Reported as events per second. Larger sizes run in `scale`.

use benches::flood::{Flood, run_once};
use benches::flood_events;
use benches::yardstick::Yardstick;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("flood");
    g.sample_size(10);
    for n in [1_000u32, 10_000] {
        let events = flood_events(u64::from(n), 8);
        g.throughput(Throughput::Elements(events));
        g.bench_with_input(BenchmarkId::new("p2psim", n), &n, |b, &n| {
            b.iter_batched(
                || Flood::new(n, 1, 1),
                |mut f| assert_eq!(run_once(&mut f).0, events),
                criterion::BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("yardstick", n), &n, |b, &n| {
            b.iter_batched(
                || Yardstick::new(n, 1, 1),
                |mut y| assert_eq!(y.run(1, 0).0, events),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
