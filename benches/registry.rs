//! Element registry benchmark: an app of 10,000 instance folders.
//!
//! Reports the median of repeated runs for: cold `App::open` (a fresh `App` each time; the
//! OS page cache is warm), the first `get_element` of an element (its build: chain
//! resolution, config read, `{{VAR}}` substitution, typed parse, DiskType construction), and a
//! cached `get_element`, both at the registry level and through the `jitstore::App` facade.
//!
//! Run: `cargo bench --bench registry` (about half a minute).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const INSTANCES: usize = 10_000;
const OPEN_RUNS: usize = 15;
const FIRST_GET_SAMPLES: usize = 2_000;
const CACHED_GETS: usize = 1_000_000;
const CACHED_ROUNDS: usize = 7;

fn build_app(root: &Path) -> std::io::Result<()> {
    std::fs::write(
        root.join("app.json"),
        r#"{"settings": {"defaultElement": {"defaultStorage": "storages.S00000"}}}"#,
    )?;
    for index in 0..INSTANCES {
        let name = format!("S{index:05}");
        let dir = root.join("storages").join(&name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("e.json"),
            r#"{"title": "bench", "type": "storages.DiskType", "backendBundleEntry": ".", "variables": [{"name": "BENCH_DIR", "value": "appData/bench"}]}"#,
        )?;
        std::fs::write(
            dir.join(format!("{name}.json")),
            format!(r#"{{"directory": "{{{{BENCH_DIR}}}}/{name}"}}"#),
        )?;
    }
    Ok(())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn fmt(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos >= 1_000_000 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else if nanos >= 1_000 {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{nanos} ns")
    }
}

fn open(root: &Path) -> Result<jitstore::App, jitstore::Error> {
    jitstore::App::builder(root)
        .env::<String, String>([])
        .open()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let setup = Instant::now();
    build_app(dir.path())?;
    println!(
        "built an app of {INSTANCES} instance folders in {}",
        fmt(setup.elapsed())
    );

    // Cold open: a fresh App (new registry, empty cache) each run.
    let _warm_page_cache = open(dir.path())?;
    let mut open_times = Vec::with_capacity(OPEN_RUNS);
    for _ in 0..OPEN_RUNS {
        let start = Instant::now();
        let app = black_box(open(dir.path())?);
        open_times.push(start.elapsed());
        if app.storages().len() != INSTANCES {
            return Err("the bench app lost elements".into());
        }
    }
    let open_median = median(open_times.clone());

    // Where open's time goes: reading the files alone, and parsing them alone.
    let defines: Vec<(std::path::PathBuf, String)> = (0..INSTANCES)
        .map(|i| {
            let path = dir.path().join(format!("storages/S{i:05}/e.json"));
            std::fs::read_to_string(&path).map(|text| (path, text))
        })
        .collect::<Result<_, _>>()?;
    let read_times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for (path, _) in &defines {
                black_box(std::fs::read(path).map(|b| b.len()).unwrap_or(0));
            }
            start.elapsed()
        })
        .collect();
    let parse_times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for (_, text) in &defines {
                black_box(serde_json::from_str::<jitstore::element::ElementDefine>(text).is_ok());
            }
            start.elapsed()
        })
        .collect();

    // First get_element (build) of distinct elements in a fresh App.
    let app = open(dir.path())?;
    let step = INSTANCES / FIRST_GET_SAMPLES;
    let mut first_times = Vec::with_capacity(FIRST_GET_SAMPLES);
    for i in 0..FIRST_GET_SAMPLES {
        let name = format!("storages.S{:05}", i * step);
        let start = Instant::now();
        let handle = black_box(app.get_element(&name));
        first_times.push(start.elapsed());
        handle?;
    }

    // Cached get_element: average over many calls, median over rounds.
    let name = "storages.S04242";
    app.get_element(name)?;
    let registry = app.registry();
    let per_call = |f: &dyn Fn()| -> Duration {
        let rounds: Vec<Duration> = (0..CACHED_ROUNDS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..CACHED_GETS {
                    f();
                }
                start.elapsed() / CACHED_GETS as u32
            })
            .collect();
        median(rounds)
    };
    let cached_registry = per_call(&|| {
        black_box(registry.get_element(black_box(name)).is_ok());
    });
    let cached_facade = per_call(&|| {
        black_box(app.get_element(black_box(name)).is_ok());
    });

    println!();
    println!("| measurement ({INSTANCES} instance folders) | median | min | target |");
    println!("|---|---|---|---|");
    println!(
        "| cold `App::open` ({OPEN_RUNS} runs) | {} | {} | < 300 ms |",
        fmt(open_median),
        fmt(open_times.iter().copied().min().unwrap_or_default())
    );
    println!(
        "| of which: read {INSTANCES} e.json files, one thread (5 runs) | {} | {} | - |",
        fmt(median(read_times.clone())),
        fmt(read_times.iter().copied().min().unwrap_or_default())
    );
    println!(
        "| of which: parse {INSTANCES} e.json texts, one thread (5 runs) | {} | {} | - |",
        fmt(median(parse_times.clone())),
        fmt(parse_times.iter().copied().min().unwrap_or_default())
    );
    println!(
        "| first `get_element` (build), {FIRST_GET_SAMPLES} elements | {} | {} | - |",
        fmt(median(first_times.clone())),
        fmt(first_times.iter().copied().min().unwrap_or_default())
    );
    println!(
        "| cached `get_element`, registry (`jitstore_element::App`) | {} | - | < 1 µs |",
        fmt(cached_registry)
    );
    println!(
        "| cached `get_element`, facade (`jitstore::App`, returns a `StorageHandle`) | {} | - | < 1 µs |",
        fmt(cached_facade)
    );
    Ok(())
}
