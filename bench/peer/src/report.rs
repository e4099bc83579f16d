//! Medians, ratios and the Markdown table.

use crate::orchestrate::Header;

/// Which operation a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// One PutObject.
    Put,
    /// A multipart upload.
    Multipart,
    /// One GET stream.
    Get,
    /// Parallel ranged GETs.
    Ranged,
}

impl Category {
    fn title(self) -> &'static str {
        match self {
            Category::Put => "PUT (one request)",
            Category::Multipart => "multipart PUT",
            Category::Get => "GET (one stream)",
            Category::Ranged => "ranged GET (parallel ranges)",
        }
    }

    /// The curl row the category is compared with.
    fn curl_row(self) -> &'static str {
        match self {
            Category::Put | Category::Multipart => "curl PUT (presigned)",
            Category::Get | Category::Ranged => "curl GET (presigned)",
        }
    }
}

/// One timed client run (its bytes already checked).
#[derive(Debug, Clone)]
pub struct Sample {
    /// The round (0-based) the run belongs to.
    pub round: usize,
    /// Row name.
    pub name: String,
    /// Operation.
    pub category: Category,
    /// 10^6 bytes per second of the client process's wall time.
    pub mbps: f64,
    /// Peak resident set of the client process.
    pub peak_rss_mib: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The median over rounds of `a`'s MB/s divided by `b`'s in the same round: rounds are run
/// close together, so this cancels drift in the machine's load that the ratio of the two
/// medians keeps.
fn paired_ratio(samples: &[Sample], a: &str, b: &str) -> Option<f64> {
    let rounds = samples.iter().map(|s| s.round).max()? + 1;
    let ratios: Vec<f64> = (0..rounds)
        .filter_map(|round| {
            let of = |name: &str| {
                samples
                    .iter()
                    .find(|s| s.round == round && s.name == name)
                    .map(|s| s.mbps)
            };
            Some(of(a)? / of(b)?)
        })
        .collect();
    (!ratios.is_empty()).then(|| median(ratios))
}

/// A row's medians.
struct Summary {
    name: String,
    category: Category,
    mbps: f64,
    min: f64,
    max: f64,
    rss: f64,
    runs: usize,
}

fn summarise(samples: &[Sample]) -> Vec<Summary> {
    let mut names: Vec<(String, Category)> = Vec::new();
    for s in samples {
        if !names.iter().any(|(n, _)| n == &s.name) {
            names.push((s.name.clone(), s.category));
        }
    }
    names
        .into_iter()
        .map(|(name, category)| {
            let mine: Vec<&Sample> = samples.iter().filter(|s| s.name == name).collect();
            let speeds: Vec<f64> = mine.iter().map(|s| s.mbps).collect();
            Summary {
                mbps: median(speeds.clone()),
                min: speeds.iter().copied().fold(f64::INFINITY, f64::min),
                max: speeds.iter().copied().fold(0.0, f64::max),
                rss: median(mine.iter().map(|s| s.peak_rss_mib).collect()),
                runs: mine.len(),
                name,
                category,
            }
        })
        .collect()
}

/// The Markdown report: one table per category, then the target ratios.
pub fn render(samples: &[Sample], header: &Header) -> String {
    let rows = summarise(samples);
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    let find_prefix = |prefix: &str| rows.iter().find(|r| r.name.starts_with(prefix));
    let mut out = format!(
        "File: {} MiB of random bytes on tmpfs, one local `jitstore serve` (release, data on \
         tmpfs, signatures checked), {} rounds in rotating order, {} cores. MB/s = 10^6 bytes per \
         second of the client process's wall time (start to exit); peak RSS of the client process \
         (wait4). Every run's bytes were checked (CRC-64 of the downloaded file, or size and the \
         server's CRC-64 of the uploaded object). Multipart and ranged rows use {} MiB parts x {} \
         unless marked.\n",
        header.size_mib,
        header.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        header.part_mib,
        header.concurrency,
    );
    for category in [
        Category::Put,
        Category::Multipart,
        Category::Get,
        Category::Ranged,
    ] {
        let mine: Vec<&Summary> = rows.iter().filter(|r| r.category == category).collect();
        if mine.is_empty() {
            continue;
        }
        let curl = find(category.curl_row()).map(|c| c.mbps);
        out.push_str(&format!(
            "\n**{}**\n\n| client | MB/s median | min..max | vs curl | peak RSS MiB | runs |\n|---|---:|---:|---:|---:|---:|\n",
            category.title()
        ));
        for r in mine {
            let ratio = curl.map_or("-".to_owned(), |c| format!("{:.2}x", r.mbps / c));
            out.push_str(&format!(
                "| {} | {:.1} | {:.0}..{:.0} | {} | {:.1} | {} |\n",
                r.name, r.mbps, r.min, r.max, ratio, r.rss, r.runs
            ));
        }
    }
    let ratio = |a: Option<&Summary>, b: Option<&Summary>| match (a, b) {
        (Some(a), Some(b)) => format!(
            "{:.2}x | {}",
            a.mbps / b.mbps,
            paired_ratio(samples, &a.name, &b.name).map_or("-".to_owned(), |r| format!("{r:.2}x"))
        ),
        _ => "not run | not run".to_owned(),
    };
    let rss_ratio = |a: Option<&Summary>, b: Option<&Summary>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2} | -", a.rss / b.rss),
        _ => "not run | -".to_owned(),
    };
    let curl_get = find("curl GET (presigned)");
    let curl_put = find("curl PUT (presigned)");
    let single = find("jitstore lib download_file (concurrency 1)");
    let fixed = rows
        .iter()
        .find(|r| r.name.starts_with("jitstore lib download_file") && r.name.ends_with("fixed)"));
    let opendal_ranged = find_prefix("OpenDAL reader chunk/concurrent");
    let put = find("jitstore lib put_object (streamed from the file)");
    let multipart = find_prefix("jitstore lib upload_file");
    out.push_str(&format!(
        "\n| target | ratio of the medians | median of the per-round ratios |\n|---|---|---|\n\
         | single-stream GET >= 0.9x curl | {} |\n\
         | ranged GET >= 1.0x curl | {} |\n\
         | ranged GET >= 1.1x OpenDAL (same parts) | {} |\n\
         | ranged GET peak RSS <= 0.5x OpenDAL's | {} |\n\
         | single PUT >= 0.95x curl | {} |\n\
         | multipart PUT >= 1.5x single PUT | {} |\n",
        ratio(single, curl_get),
        ratio(fixed, curl_get),
        ratio(fixed, opendal_ranged),
        rss_ratio(fixed, opendal_ranged),
        ratio(put, curl_put),
        ratio(multipart, put),
    ));
    out
}
