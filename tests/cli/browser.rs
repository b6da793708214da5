//! Headless Chromium for the page tests: finding it, and rendering a page to its DOM, a
//! screenshot or a PDF (each run asserted to succeed).

use std::path::{Path, PathBuf};

pub struct Browser {
    bin: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    /// The browser, or None (the page test is skipped with a visible notice) when none is
    /// found, so `cargo test` passes on a fresh machine; with `KVP_SCAN_REQUIRE_BROWSER=1`
    /// (as `.ci/run` sets after installing Chromium) a missing browser is a failure.
    pub fn require() -> Option<Browser> {
        let found = std::env::var("KVP_SCAN_CHROMIUM")
            .map(PathBuf::from)
            .ok()
            .or_else(|| {
                [
                    "/usr/bin/chromium",
                    "/usr/bin/chromium-browser",
                    "/usr/bin/google-chrome",
                ]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
            });
        match found {
            Some(bin) => Some(Browser {
                bin,
                profile: tempfile::tempdir().unwrap(),
            }),
            None if std::env::var("KVP_SCAN_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => panic!(
                "KVP_SCAN_REQUIRE_BROWSER=1 but no headless Chromium was found: install Debian's \
                 `chromium` (.ci/run does) or point KVP_SCAN_CHROMIUM at a browser"
            ),
            None => {
                eprintln!(
                    "NOTICE: no headless Chromium found; the page is not rendered in a browser \
                     (install Debian's `chromium`, or set KVP_SCAN_CHROMIUM; CI requires it)"
                );
                None
            }
        }
    }

    fn run(&self, args: &[String], page: &Path) -> Vec<u8> {
        let out = std::process::Command::new(&self.bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(args)
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The page's DOM after rendering.
    pub fn dom(&self, page: &Path) -> String {
        String::from_utf8(self.run(&["--dump-dom".into()], page)).unwrap()
    }

    /// A PNG screenshot, checked to be a PNG of at least `min_bytes` (not a blank page).
    /// `KVP_SCAN_KEEP_SCREENSHOT=<path>` keeps a copy at `<path>.<name>`.
    pub fn screenshot(&self, page: &Path, size: &str, png: &Path, min_bytes: usize) {
        self.run(
            &[
                format!("--window-size={size}"),
                format!("--screenshot={}", png.display()),
            ],
            page,
        );
        let bytes = std::fs::read(png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(
            bytes.len() > min_bytes,
            "a near-empty screenshot: {} bytes",
            bytes.len()
        );
        if let Ok(keep) = std::env::var("KVP_SCAN_KEEP_SCREENSHOT") {
            let name = png.file_name().unwrap().to_string_lossy();
            std::fs::copy(png, format!("{keep}.{name}")).unwrap();
        }
    }

    /// The elements wider than `width` CSS pixels (an A4 page's printable width is about 700):
    /// empty when nothing would be cut off in print. The page is copied with a script that
    /// measures every table, figure and the page itself after layout.
    pub fn overflowing(&self, page: &Path, width: u32) -> Vec<String> {
        let html = std::fs::read_to_string(page).unwrap();
        let probe = r#"<script>
          const w = window.innerWidth, out = [];
          if (document.documentElement.scrollWidth > w) out.push('page:' + document.documentElement.scrollWidth);
          for (const e of document.querySelectorAll('table, figure, svg, section, header')) {
            const r = e.getBoundingClientRect();
            if (r.right > w + 0.5) out.push(e.tagName + '#' + (e.id || e.closest('[id]')?.id || '') + ':' + Math.round(r.right));
          }
          document.body.setAttribute('data-overflow', out.join(' '));
        </script></body>"#;
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("probe.html");
        std::fs::write(&copy, html.replace("</body>", probe)).unwrap();
        let dom = String::from_utf8(self.run(
            &[format!("--window-size={width},1200"), "--dump-dom".into()],
            &copy,
        ))
        .unwrap();
        let start = dom.find("data-overflow=\"").expect("the probe ran") + 15;
        let end = start + dom[start..].find('"').unwrap();
        dom[start..end]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// The page printed to PDF.
    pub fn pdf(&self, page: &Path, pdf: &Path) -> Vec<u8> {
        self.run(
            &[
                "--no-pdf-header-footer".into(),
                format!("--print-to-pdf={}", pdf.display()),
            ],
            page,
        );
        std::fs::read(pdf).unwrap()
    }
}

/// A page that loads nothing from elsewhere: no links, scripts, sources or imports.
pub fn assert_self_contained(page: &Path) {
    let source = std::fs::read_to_string(page).unwrap();
    for external in ["http://", "https://", "src=", "<link", "@import", "<script"] {
        assert!(
            !source.contains(external),
            "{} refers to {external}",
            page.display()
        );
    }
}
