"""The bulletin: self-contained, accessible, published figures only; rendered headless by
Chromium when it is installed (Debian package ``chromium``)."""

import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import pytest

from pipelines.publication.bundle import build_bundle
from tests.publication_sample import sample_cells, sample_deliveries, with_cell

P = "2026-10"
CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="module")
def html():
    cells = sample_cells("2024-06", P, seed=5)
    for period, n in ((P, 31), ("2026-09", 26), ("2025-10", 40)):
        cells = with_cell(cells, period, "diversions_started", count=n)
    cells = with_cell(cells, P, "completion_rate", rate=(75, 80))  # 93.8
    cells = with_cell(cells, "2026-09", "completion_rate", rate=(60, 80))  # 75.0
    cells = with_cell(cells, P, "arrests_in_scope", count=3)  # [c]
    cells = with_cell(cells, "2026-06", "records_expunged", count=2)  # [c]: a gap
    deliveries = sample_deliveries("2024-06", P) + [
        {"source": "custody", "month": P, "version": 2,
         "file_name": "custody/custody_202610_v2.csv", "sha256": "a" * 64,
         "status": "rejected", "rows_read": None, "rows_loaded": None,
         "rows_quarantined": None, "rows_duplicate": None, "reason": "missing column"}]
    dq = {"rows_quarantined": 1234, "note": "<script>alert(1)</script>",
          "alerts": ["custody_202610_v2.csv rejected"]}
    files = build_bundle(P, cells, deliveries, dq, "abc123")
    return files[f"bulletin_{P}.html"].decode("utf-8")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html):
    parser = Tags()
    parser.feed(html)
    return parser.tags


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_page_structure(html):
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    found = tags(html)
    names = [t for t, _ in found]
    assert names.count("h1") == 1 and names.count("main") == 1
    assert names.count("h2") >= 4 and "title" in names
    for _, attrs in found:
        if "aria-labelledby" in attrs:
            for ref in attrs["aria-labelledby"].split():
                assert f'id="{ref}"' in html


def test_no_external_resource(html):
    assert "http://" not in html and "https://" not in html
    for tag, attrs in tags(html):
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "image")
        assert "src" not in attrs
        for name, value in attrs.items():
            assert "//" not in (value or ""), (tag, name, value)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs
    assert "@import" not in html and "url(" not in html


def test_charts_are_inline_svg_with_title_desc_and_a_table(html):
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 3
    for svg, name in zip(svgs, ("diversions-started", "completion-rate", "records-expunged")):
        assert 'role="img"' in svg
        assert f'<title id="chart-{name}-title">' in svg and f'<desc id="chart-{name}-desc">' in svg
    # Each chart's figures are in a table too: 24 months, November 2024 to October 2026.
    tables = re.findall(r"<details><summary>[^<]*: the figures in the chart.*?</details>", html,
                        flags=re.S)
    assert len(tables) == 3
    for table in tables:
        assert table.count('<th scope="row">') == 24
        assert "November 2024" in table and "October 2026" in table
        assert "June 2024" not in table
    assert "June 2026</th><td class=\"n\">[c] (confidential)" in tables[2]
    # a month with a marker is a gap: the line is cut in two
    assert svgs[2].count("<polyline") == 2


def test_headline_figures_and_changes(html):
    page = text(html)
    assert ("Diversions started: 31 in October 2026; up 5 from 26 in September 2026, and "
            "down 9 from 40 in October 2025.") in page
    assert ("Completion rate: 93.8% in October 2026; up 18.8 percentage points from 75.0% in "
            "September 2026") in page
    # A suppressed figure is shown as its marker and no change is worked out from it.
    row = re.search(r"Arrests in scope</th>(.*?)</tr>", html).group(1)
    assert "[c] (confidential)" in row and "not comparable" in row
    assert "Records expunged" in page


def test_data_quality(html):
    page = text(html)
    assert "rms/arrests_202610.csv" in page and "programme/checkpoint_programme_202410.xlsx" in page
    every = re.search(r"<details><summary>Every delivery.*?</details>", html, re.S).group(0)
    assert "custody_202610_v2.csv" not in every
    assert "1 rejected" in page
    assert "Total 87 8,700 8,439 174 87" in page  # 29 months × 3 sources
    assert "Rows quarantined 1,234" in page
    assert "<script>" not in html and "&lt;script&gt;" in html


# --------------------------------------------------------------------------- Chromium


def chromium(tmp_path, *args):
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, timeout=180, check=False,
    )


def page_requests(net_log):
    """URLs the page itself asked for (the browser's own housekeeping requests have no
    origin as initiator and are left out)."""
    log = json.loads(net_log.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    events = [e.get("params", {}) for e in log["events"] if e["type"] == start]
    return [p["url"] for p in events
            if "url" in p and p.get("initiator") != "not an origin"
            and not p["url"].startswith(("file:", "data:"))]


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); CI installs it",
)


@needs_chromium
def test_chromium_renders_the_bulletin(html, tmp_path):
    page = tmp_path / f"bulletin_{P}.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000",
                    page.as_uri())
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 2000)
    assert len(data) > 20_000
    idat = b"".join(data[i + 8:i + 8 + struct.unpack(">I", data[i:i + 4])[0]]
                    for i in (m.start() - 4 for m in re.finditer(b"IDAT", data)))
    assert len(set(zlib.decompress(idat)[::7])) > 20  # not a blank page


@needs_chromium
def test_chromium_dom_and_no_network_request(html, tmp_path):
    page = tmp_path / f"bulletin_{P}.html"
    page.write_text(html, encoding="utf-8")
    net_log = tmp_path / "net.json"
    done = chromium(tmp_path, f"--log-net-log={net_log}", "--dump-dom", page.as_uri())
    dom = done.stdout.decode("utf-8")
    assert "Main points" in dom and "Diversions started: 31" in dom
    assert dom.count("<svg") == 3
    assert page_requests(net_log) == []


@needs_chromium
def test_the_network_check_catches_an_external_resource(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><body><h1>x</h1>'
                    '<img src="http://example.invalid/x.png" alt=""></body></html>')
    net_log = tmp_path / "net.json"
    chromium(tmp_path, f"--log-net-log={net_log}", "--dump-dom", page.as_uri())
    assert page_requests(net_log) == ["http://example.invalid/x.png"]
