//! The bench's smoke run: every part of `cargo xtask bench` on a few dozen articles, so the documented full run keeps working.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::path::PathBuf;

use crate::support;
use crate::support::needs;
use gazette_bench::BenchPlan;
use gazette_bench::peer::PythonPeer;
use gazette_bench::report::{JSON_FILE, LATENCY_CHART, MARKDOWN_FILE, WORKERS_CHART};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_measures_the_pipeline_against_both_ceilings() {
    needs!(RabbitMq, Garage);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_gazette"));
    let mut plan = BenchPlan::smoke(binary, &support::repo_root());
    plan.amqp_url = support::amqp_url();
    plan.python_peer = Some(
        PythonPeer::ensure(&support::repo_root())
            .expect("scripts/ensure-python-peer installs the Python peer"),
    );
    let report = gazette_bench::run(&plan)
        .await
        .expect("the smoke bench runs");

    assert_eq!(report.throughput.len(), 1);
    assert!(report.headline.articles_per_second > 0.0);
    assert_eq!(report.headline.articles, plan.articles);
    // Every paced article of every run was published and timed once.
    let latency = &report.latency.percentiles;
    assert_eq!(report.latency.runs.len(), plan.latency_runs);
    assert!(report.latency.runs.iter().all(|run| run.samples == 20));
    assert_eq!(latency.samples, 20 * plan.latency_runs);
    // Each run says what the machine and each part of it did meanwhile: the
    // stages, RabbitMQ and Garage all worked, and the machine was busy.
    assert_eq!(report.latency.conditions.len(), plan.latency_runs);
    for run in &report.latency.conditions {
        let machine = run.machine.as_ref().expect("/proc is read on Linux");
        assert!(machine.busy_cores > 0.0, "{run:?}");
        assert!(machine.stolen_cores >= 0.0 && machine.iowait_cores >= 0.0);
        assert!(run.stages_cpu_ms_per_article > 0.0, "{run:?}");
        assert!(
            run.broker_cpu_ms_per_article.is_some_and(|ms| ms > 0.0),
            "{run:?}"
        );
        assert!(
            run.store_cpu_ms_per_article.is_some_and(|ms| ms > 0.0),
            "{run:?}"
        );
    }
    assert!(
        latency.p50_ms > 0.0
            && latency.p50_ms <= latency.p99_ms
            && latency.p99_ms <= latency.max_ms
    );
    assert_eq!(
        report
            .latency
            .histogram
            .iter()
            .map(|b| b.count)
            .sum::<usize>(),
        20 * plan.latency_runs
    );

    // Every article of the front-page run was seen linked from its
    // category's front page. The watcher looks for an article only once
    // it was published, so each one's figure is at least its own time to
    // publication; the paced runs above are other runs, which a loaded
    // machine may make slower, so their p50 bounds nothing here.
    let front = &report.latency.front_page;
    assert_eq!(front.samples, 20);
    assert!(
        front.p50_ms > 0.0 && front.p50_ms <= front.p99_ms && front.p99_ms <= front.max_ms,
        "{front:?}"
    );

    // Each stage's handling time, read from its worker's /metrics. The
    // bench's articles name no pictures, so validate hands them straight
    // to render: the media worker runs and reports, and handles none.
    for stage in crate::support::pipeline_stages() {
        let time = report.latency.stages.iter().find(|t| t.stage == stage);
        if stage == "media" {
            assert!(time.is_some_and(|t| t.handled == 0), "{stage}: {time:?}");
            continue;
        }
        assert!(
            time.is_some_and(|t| t.handled >= 20 && t.mean_ms > 0.0),
            "{stage}: {time:?}"
        );
    }
    // And inside publish, each step and each S3 request kind that was made.
    let row = |name: &str| {
        report
            .latency
            .stages
            .iter()
            .find(|t| t.stage == name && t.process.starts_with("publish"))
    };
    for step in ["copies", "advance", "page", "converge"] {
        let time = row(&format!("publish step: {step}"));
        assert!(time.is_some_and(|t| t.handled >= 20), "{step}: {time:?}");
    }
    let puts = row("S3 put");
    assert!(puts.is_some_and(|t| t.handled >= 60), "{puts:?}");

    // Two copies and the page: what the publish stage writes, counted from the store.
    assert_eq!(report.workload.objects_per_article, 3);
    let w = &report.workload;
    assert!(
        4096 < w.object_bytes_min
            && w.object_bytes_min <= w.object_bytes_mean
            && w.object_bytes_mean <= w.object_bytes_max,
        "{w:?}"
    );
    let c = &report.ceilings;
    assert!(c.broker_per_second > 0.0 && c.storage_puts_per_second > 0.0);
    let separate = c.broker_per_second.min(c.storage_articles_per_second);
    assert!((c.separate_ratio - report.headline.articles_per_second / separate).abs() < 1e-9);
    // The headline ratio is against the null pipeline, run in the same bench.
    assert!(c.joint_per_second > 0.0);
    assert!((c.ratio - report.headline.articles_per_second / c.joint_per_second).abs() < 1e-9);
    // One hop per stage the bench's articles meet (every pipeline stage
    // but media) and the reader, each weighed as the broker carried it:
    // the rendered page makes the publish hop heavier than render's, and
    // compressed it stays under twice the submission it would be four
    // times plain.
    assert_eq!(c.broker_hops, support::pipeline_stages().len());
    assert_eq!(c.hop_bytes.len(), c.broker_hops);
    assert!(
        c.hop_bytes.iter().all(|&bytes| bytes > 100),
        "{:?}",
        c.hop_bytes
    );
    let publish_hop = c.broker_hops - 2;
    assert!(
        c.hop_bytes[publish_hop] > c.hop_bytes[publish_hop - 1]
            && c.hop_bytes[publish_hop] < 2 * c.hop_bytes[0],
        "{:?}",
        c.hop_bytes
    );
    // Garage's own count: the null pipeline PUTs exactly what a published
    // article writes and nothing else; the pipeline PUTs at least as much.
    assert_eq!(
        c.null_store_requests_per_article.get("PutObject"),
        Some(&(report.workload.objects_per_article as f64)),
        "{:?}",
        c.null_store_requests_per_article
    );
    assert_eq!(c.null_store_requests_per_article.len(), 1);
    // Garage wrote every one of the null pipeline's bodies to disk: they
    // are random, so they do not compress, and each its own, so none is a
    // block the store already held. The pipeline's articles reach the disk too.
    assert!(
        c.null_store_bytes_written_per_article
            >= (report.workload.objects_per_article * w.object_bytes_min) as f64,
        "{} bytes per article for objects of at least {}",
        c.null_store_bytes_written_per_article,
        w.object_bytes_min
    );
    assert!(report.store_bytes_written_per_article > 0.0);
    let puts = report.store_requests_per_article.get("PutObject");
    assert!(
        puts.is_some_and(|&n| n >= report.workload.objects_per_article as f64),
        "{:?}",
        report.store_requests_per_article
    );

    let names: Vec<&str> = report.processes.iter().map(|p| p.name.as_str()).collect();
    for stage in ["validate-0", "media-0", "render-0", "publish-0", "garage"] {
        assert!(names.contains(&stage), "{stage} missing from {names:?}");
    }
    assert!(
        report
            .processes
            .iter()
            .all(|p| p.peak_rss_mb > 1.0 && p.cpu_seconds >= 0.0)
    );
    assert!(report.up.peak_rss_mb > 1.0 && report.up.articles_per_second > 0.0);
    // The Python peer carried every article of its burst, each stage in a
    // process of its own that did some work.
    let peer = report.peer.as_ref().expect("the peer ran");
    assert_eq!(peer.articles, plan.articles);
    assert!(peer.articles_per_second > 0.0 && peer.seconds > 0.0);
    let stages: Vec<&str> = peer.workers.iter().map(|w| w.stage.as_str()).collect();
    assert_eq!(stages, ["validate", "render", "publish"]);
    assert!(
        peer.workers
            .iter()
            .all(|w| w.cpu_seconds > 0.0 && w.peak_rss_mb > 1.0)
    );
    assert_eq!(report.targets.len(), 5);

    let out = tempfile::tempdir().unwrap();
    report.write(out.path()).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join(JSON_FILE)).unwrap()).unwrap();
    assert_eq!(json["workload"]["objects_per_article"], 3);
    let markdown = std::fs::read_to_string(out.path().join(MARKDOWN_FILE)).unwrap();
    assert!(markdown.contains("cargo xtask bench --smoke"));
    assert!(markdown.contains("joint ceiling") && markdown.contains("| PutObject |"));
    assert!(markdown.contains(LATENCY_CHART) && markdown.contains(WORKERS_CHART));
    assert!(markdown.contains("| stolen cores |"), "{markdown}");
    assert!(markdown.contains("## The Python peer"), "{markdown}");
    let chart = std::fs::read_to_string(out.path().join(LATENCY_CHART)).unwrap();
    assert_eq!(
        chart.matches("<rect x=").count(),
        report.latency.histogram.len()
    );
    assert!(
        std::fs::read_to_string(out.path().join(WORKERS_CHART))
            .unwrap()
            .contains("<polyline")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_bench_times_rebuild_against_hugo_and_counts_what_indexing_writes() {
    needs!(RabbitMq, Garage, Hugo);
    let plan = gazette_bench::site::SitePlan {
        gazette_binary: PathBuf::from(env!("CARGO_BIN_EXE_gazette")),
        hugo_binary: PathBuf::from("hugo"),
        example_article: support::example_article_path(),
        amqp_url: support::amqp_url(),
        articles: 60,
        runs: 1,
        index_site_articles: 150,
        keep: None,
    };
    let report = gazette_bench::site::run(&plan)
        .await
        .expect("the site bench runs (scripts/ensure-hugo installs hugo)");
    assert_eq!(report.gazette_seconds.len(), 1);
    assert!(report.gazette_median > 0.0 && report.hugo_median > 0.0);
    assert!(
        report.hugo_version.contains("hugo"),
        "{}",
        report.hugo_version
    );
    // The rebuild's search index holds every article, one fragment each.
    assert_eq!(report.search.fragments, 60, "{:?}", report.search);
    assert!(report.search.index_chunks >= 1, "{:?}", report.search);
    // In a site without search (GAZETTE_SEARCH=off, as a site too large
    // for one index runs): its category's newest page with its state, the
    // category front and feeds, the home page, the site feeds, the sitemap
    // and its shard state and the site state: 11, and 2 more
    // (the page before, and its state) when the article opens a page. The
    // article's record is a row of the registry, not an object. Then per
    // tag (the example's two, which every generated article carries: the
    // site's 154 others come first, so the new ones take tag places 154 and
    // 155 and open no tag page): its newest page and state, front page,
    // RSS, Atom and state.
    let index = &report.index;
    assert_eq!(index.new_articles.len(), 2, "{index:?}");
    let tags = support::example_article()["tags"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(tags, 2);
    for article in &index.new_articles {
        let expected = if article.opens_a_page { 13 } else { 11 } + 6 * tags as u64;
        assert_eq!(article.objects_written, expected, "{index:?}");
        // Counted again on disk, independently of what the indexer says.
        assert_eq!(
            article.files_changed as u64, article.objects_written,
            "{index:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_bench_offers_beacons_and_every_answered_one_is_counted() {
    needs!(RabbitMq);
    let plan = gazette_bench::views::ViewsPlan {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_gazette")),
        amqp_url: support::amqp_url(),
        per_second: 200,
        seconds: 2,
    };
    let report = gazette_bench::views::measure_views(&plan)
        .await
        .expect("the views bench runs");
    assert_eq!(report.sent, 400);
    // Each beacon is a distinct reader from its own address: none is
    // refused, so the rate limit judges readers, not the benchmark.
    assert_eq!(report.answered_204, 400, "{report:?}");
    assert_eq!(report.counted, 400, "{report:?}");
    assert!(
        report.p50_ms > 0.0 && report.p50_ms <= report.p99_ms && report.p99_ms <= report.max_ms
    );
    assert!(
        report.markdown().contains("| 200/s for 2 s | 400 |"),
        "{}",
        report.markdown()
    );
}
