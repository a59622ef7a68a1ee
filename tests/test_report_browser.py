"""The demo reports as an examiner opens them: headless Chromium, no network, both languages.

Each demo institution is generated (smaller) and audited end to end (papermill, nbconvert); Chromium then
loads report.html from disk with every connection sent to a dead proxy and host resolution off. The page
must log nothing to the console (a CSP violation, a blocked load or a script error would), its DOM must hold
no element from the data (the demo complaints carry `<script>alert(1)</script>`) and no personal data of the
demo's customers and staff may appear in it. The zh page is also screenshotted (Noto Sans CJK SC from
mplfonts through a private fontconfig, so the picture does not depend on the machine's fonts); set
AUDITLIB_SCREENSHOT=1 to refresh docs/img/report-demo-a.png with it.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import personal_data

from auditlib.demo import write_demo
from auditlib.runner import run_one

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "img" / "report-demo-a.png"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
]
DEMOS = {"demo-a": 2000, "demo-b": None}  # transactions (None: the demo's own size)


def chromium(page: Path, tmp: Path, *args: str, env: dict | None = None) -> tuple[str, list[str]]:
    """Run headless Chromium on a file: (stdout, console lines)."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    p = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    return p.stdout, console


@pytest.fixture(scope="module", params=list(DEMOS))
def demo(request, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    inst = request.param
    root = tmp_path_factory.mktemp(inst)
    write_demo(root / "data", names=[inst], transactions=DEMOS[inst])
    params = yaml.safe_load((ROOT / "params" / f"{inst}.yaml").read_text(encoding="utf-8"))
    params["data_dir"] = str(root / "data" / inst)
    for key in ("attestations", "responses"):  # relative to the params file, which moves to root
        if params.get(key):
            params[key] = str(ROOT / "params" / params[key])
    params_file = root / f"{inst}.yaml"
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    outcome = run_one(params_file, root / "out")
    assert outcome.status == "ok", outcome.error
    return inst, root, Path(outcome.report)


def test_report_displays_offline_with_no_console_message_no_markup_from_data_no_personal_data(demo, tmp_path):
    inst, root, report = demo
    source = report.read_text(encoding="utf-8")
    assert "<script" not in source and "<link" not in source and "@import" not in source
    # every link is in-page, every image inline: nothing to fetch (text such as a quoted URL is just text)
    refs = re.findall(
        r"""\b(?:src|href|action|srcset|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", source
    )
    assert refs and [r for r in map("".join, refs) if not r.startswith(("#", "data:"))] == []
    assert not re.search(r"url\((?!\s*['\"]?data:)", source)
    dom, console = chromium(report, tmp_path, "--dump-dom")
    assert console == [], console
    assert "<script" not in dom.lower() and "<iframe" not in dom.lower()
    assert 'id="contents"' in dom and 'id="rule-SOD-001"' in dom
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    assert "<script>alert(1)</script>" not in source  # the hostile complaint texts, if shown at all, as text
    pii = personal_data(root / "data" / inst)
    assert len(pii) > 500
    leaked = sorted(v for v in pii if v in source or v in text)
    assert leaked == []
    assert ("监督检查报告" in text) if inst == "demo-a" else ("Supervisory audit report" in text)
    assert "Traceback" not in text and "Error:" not in text


def test_harness_sees_console_errors(tmp_path):
    """The console check is not vacuous: a page whose script and image the CSP blocks is caught."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<script>console.log(1)</script><img src="http://example.invalid/x.png">',
        encoding="utf-8",
    )
    _, console = chromium(page, tmp_path, "--dump-dom")
    assert len(console) == 2


def test_screenshot(demo, tmp_path):
    inst, _, report = demo
    if inst != "demo-a":
        pytest.skip("one screenshot (the zh report) is enough")
    import mplfonts

    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>
<include ignore_missing="yes">/etc/fonts/fonts.conf</include>
<dir>{Path(mplfonts.__file__).parent / "fonts"}</dir>
<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>""",
        encoding="utf-8",
    )
    shot = tmp_path / "report.png"
    chromium(
        report,
        tmp_path,
        "--window-size=1200,1500",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        env={"FONTCONFIG_FILE": str(conf)},
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("AUDITLIB_SCREENSHOT"):  # a 256-colour PNG: a third of the size, text still crisp
        from PIL import Image

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        Image.open(shot).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            SCREENSHOT, optimize=True
        )
