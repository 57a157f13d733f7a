//! The HTML report in a real browser (headless Chromium, when installed; CI
//! installs it): it renders from a `file:` URL with no network, shows the
//! verdict and evidence, and a hostile bundle cannot add elements or scripts.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
];

/// Chromium's serialized DOM of a local file, rendered offline, and what it logged
/// (console messages, blocked requests) on stderr.
fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let out = Command::new(browser)
        .args(FLAGS)
        .args(["--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console errors, script errors and refused or failed requests in Chromium's log.
fn page_problems(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Refused to")
                || l.contains("net::ERR_")
        })
        .collect()
}

/// Saves a screenshot of the page where test artifacts go.
fn screenshot(browser: &Path, page: &Path, profile: &Path, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    let shot = dir.join(name);
    let _ = std::fs::remove_file(&shot);
    let status = Command::new(browser)
        .args(FLAGS)
        .arg("--window-size=1200,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(status.status.success(), "screenshot failed");
    shot
}

fn html_report(bundle: &str, out: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO_BIN_EXE_bundle-doctor"))
        .args(["analyze", bundle, "-f", "html", "--out"])
        .arg(out)
        .status()
        .expect("runs");
    assert!(status.success());
    out.join("report.html")
}

#[test]
fn html_report_renders_offline_and_stays_inert() {
    let Some(browser) = chromium() else {
        eprintln!("chromium not installed: skipping the browser test");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = html_report(
        "fixtures/apiservice-discovery-timeout/seed-loose-files",
        &dir.path().join("seed"),
    );
    let (dom, log) = dump_dom(&browser, &page, &dir.path().join("profile"));
    assert!(page_problems(&log).is_empty(), "{:?}", page_problems(&log));
    assert!(dom.contains("apiservice-discovery-timeout"), "{dom}");
    assert!(dom.contains("Root cause:"), "verdict missing");
    assert!(dom.contains("curl -ik https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1"));
    assert!(dom.contains("class=\"copy\""), "copy buttons missing");
    let shot = screenshot(
        &browser,
        &page,
        &dir.path().join("profile-shot"),
        "seed-report.png",
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "screenshot {} is only {size} bytes",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());

    // A hostile bundle: markup in a log line, a label and a curl body.
    let bundle = dir.path().join("hostile");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    let evil =
        r#"<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">"#;
    std::fs::write(
        bundle.join("metrics-server.log"),
        format!("E0511 21:57:06.607078       1 scraper.go:140] \"Failed to scrape node\" err=\"Get \\\"https://192.168.1.5:10250/metrics/resource\\\": x509: cannot validate certificate for 192.168.1.5 because it doesn't contain any IP SANs {evil}\" node=\"n1\"\n"),
    )
    .expect("write");
    std::fs::write(
        bundle.join("curl.txt"),
        format!("$ curl -ik https://10.0.0.1:443/\nHTTP/1.1 200 OK\n\n{evil}\n"),
    )
    .expect("write");
    let page = html_report(
        bundle.to_str().expect("utf-8"),
        &dir.path().join("hostile-out"),
    );
    let (dom, log) = dump_dom(&browser, &page, &dir.path().join("profile2"));
    assert!(page_problems(&log).is_empty(), "{:?}", page_problems(&log));
    assert!(dom.contains("kubelet-x509-no-ip-sans"), "{dom}");
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the report's own script may exist"
    );
    assert!(!dom.contains("<img"), "bundle content became an element");
    assert!(!dom.contains("<title>pwned"), "bundle script ran");
}
