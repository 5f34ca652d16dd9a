//! The event queues alone: the classic "hold" benchmark. `n` events pending; each step pops the
//! earliest and pushes one a random delay later, so the pending set stays at `n`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use p2psim_kernel::{CalendarQueue, Dist, Entry, EventQueue, HeapQueue, Seed, SimDuration, StreamKey};

const STEPS: u64 = 200_000;

fn hold<Q: EventQueue<u32>>(mut q: Q, n: u64, delays: &[u64]) -> u64 {
    let mut seq = 0u64;
    for i in 0..n {
        q.push(Entry { time: delays[i as usize % delays.len()], seq, event: 0 });
        seq += 1;
    }
    let mut checksum = 0u64;
    for i in 0..STEPS {
        let e = q.pop_before(u64::MAX).expect("n events pending");
        checksum = checksum.wrapping_add(e.time);
        q.push(Entry { time: e.time + delays[i as usize % delays.len()], seq, event: 0 });
        seq += 1;
    }
    checksum
}

fn bench(c: &mut Criterion) {
    let d = Dist::expon(0.0, 50.0).expect("valid");
    let mut rng = Seed(1).stream(StreamKey::new("bench"));
    let delays: Vec<u64> = (0..65_536).map(|_| SimDuration::from_millis_f64(d.draw(&mut rng)).as_nanos()).collect();
    let mut g = c.benchmark_group("hold");
    g.throughput(Throughput::Elements(STEPS));
    g.sample_size(10);
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let expected = hold(HeapQueue::new(), n, &delays);
        g.bench_with_input(BenchmarkId::new("calendar", n), &n, |b, &n| {
            b.iter(|| assert_eq!(hold(CalendarQueue::new(), n, &delays), expected))
        });
        g.bench_with_input(BenchmarkId::new("binary_heap", n), &n, |b, &n| {
            b.iter(|| assert_eq!(hold(HeapQueue::new(), n, &delays), expected))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
