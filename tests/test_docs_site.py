"""The documentation site (``mkdocs.yml``): a strict build, and its pages in a headless browser.

Default run: ``mkdocs build --strict`` without executing the notebooks (a broken link, an
unresolved reference or a docstring that does not parse fails it) and the API page of
``solve`` carries its equations as arithmatex maths for MathJax. Slow run: the build with the
notebooks executed, served on 127.0.0.1 and loaded in headless Chromium, which must typeset the
maths with the site's own MathJax (no network) and show the figures; screenshots are saved
(``pytest -m slow -s`` prints where). ``JAXCOGEN_DOCS_SITE=<dir>`` checks a site built before
with ``JAXCOGEN_DOCS_EXECUTE=true mkdocs build --strict -d <dir>`` instead of building one.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: the modules of the ``docs`` extra the build needs
DOCS_MODULES = {
    "mkdocs": "mkdocs",
    "material": "mkdocs-material",
    "mkdocstrings_handlers.python": "mkdocstrings-python",
    "mkdocs_jupyter": "mkdocs-jupyter",
    "mathjax": "django-static-mathjax",
}


def _missing_docs_packages() -> list[str]:
    missing = []
    for module, package in DOCS_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(package)
    return missing


def _require_docs_toolchain() -> None:
    missing = _missing_docs_packages()
    if missing:
        pytest.skip(
            f"the docs toolchain is not installed ({', '.join(missing)} missing): "
            'pip install -e ".[docs]"'
        )


def build_site(site_dir: Path, *, execute: bool, timeout: float) -> float:
    """``mkdocs build --strict`` into ``site_dir``; returns the build time in seconds."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", JAXCOGEN_DOCS_EXECUTE=str(execute).lower())
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(site_dir),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, (
        f"mkdocs build --strict failed (exit {result.returncode}):\n{result.stderr[-6000:]}"
    )
    return elapsed


def test_strict_build_renders_equations(tmp_path):
    _require_docs_toolchain()
    site = tmp_path / "site"
    elapsed = build_site(site, execute=False, timeout=300)
    print(f"mkdocs build --strict (notebooks not executed): {elapsed:.1f} s")

    solve_page = (site / "api" / "solve" / "index.html").read_text(encoding="utf-8")
    # the docstring of solve has :math:`T_{\rm RH}`: it must arrive as arithmatex maths
    assert 'class="arithmatex"' in solve_page
    assert r"\(T_{\rm RH}\)" in solve_page
    assert 'id="jaxcogen.solve"' in solve_page
    assert 'id="jaxcogen.Solution"' in solve_page
    # no Sphinx role survives in any API page
    for page in (site / "api").rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r":(math|func|class|mod|meth|data|attr):`", text), page

    # the site is self-contained: MathJax is served locally, no script from another host
    assert (site / "javascripts" / "mathjax" / "tex-mml-chtml.js").is_file()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=\"(https?:)?//", text), page

    # home page = README, notebooks and the benchmarks page are part of the site
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Set-up: two commands" in home
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file()
        assert f'href="notebooks/{notebook.stem}/"' in home
    assert (site / "benchmarks" / "index.html").is_file()


# ---------------------------------------------------------------------------------------------
# slow: executed notebooks, served and rendered in headless Chromium

#: loads a page of the site in an iframe and reports what the browser made of it
PROBE = """<!doctype html>
<html><body>
<iframe id="page" src="{page}" width="1280" height="2000"></iframe>
<pre id="result">pending</pre>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", async () => {{
  const w = frame.contentWindow, d = frame.contentDocument;
  if (w.MathJax && w.MathJax.startup && w.MathJax.startup.promise) {{
    try {{ await w.MathJax.startup.promise; }} catch (e) {{}}
  }}
  await Promise.all([...d.images].map((img) => img.complete ? null :
    new Promise((done) => {{ img.onload = img.onerror = done; }})));
  document.getElementById("result").textContent = JSON.stringify({{
    mathjax: w.MathJax && w.MathJax.version ? w.MathJax.version : null,
    math: d.querySelectorAll("mjx-container").length,
    math_errors: d.querySelectorAll("mjx-merror").length,
    images: [...d.images].map((img) => ({{src: img.src.slice(0, 60), width: img.naturalWidth}})),
  }});
}});
</script>
</body></html>
"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(site: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(site),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("python -m http.server did not start")


def _chromium_run(chromium: str, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _probe(chromium: str, profile: Path, site: Path, url: str, page: str) -> dict:
    """What the browser made of ``page``: MathJax version, typeset maths, errors, images."""
    stem = re.sub(r"\W", "_", page) or "home"
    probe = site / f"probe_{stem}.html"
    probe.write_text(PROBE.format(page=f"/{page}"), encoding="utf-8")
    dom = _chromium_run(chromium, profile, "--dump-dom", url + probe.name)
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert match and match[1] != "pending", f"{page}: the probe did not report"
    return json.loads(html.unescape(match[1]))


@pytest.mark.slow
def test_site_renders_in_browser(tmp_path):
    _require_docs_toolchain()
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")

    if prebuilt := os.environ.get("JAXCOGEN_DOCS_SITE"):
        # a site built before with JAXCOGEN_DOCS_EXECUTE=true (the build takes many minutes)
        site = tmp_path / "site"
        shutil.copytree(prebuilt, site, ignore=shutil.ignore_patterns("probe_*.html"))
    else:
        site = tmp_path / "site"
        elapsed = build_site(site, execute=True, timeout=3600)
        print(f"mkdocs build --strict with executed notebooks: {elapsed:.0f} s")

    pages = {
        "home": "",
        "api_solve": "api/solve/",
        "notebook_01": "notebooks/01_single_point/",
    }
    # every other page is checked for TeX errors and broken images too (without screenshot)
    others = sorted(
        f"{folder.as_posix()}/"
        for folder in (path.parent.relative_to(site) for path in site.rglob("index.html"))
        if folder.parts and folder.parts[0] != "javascripts"
    )
    others = [page for page in others if page not in pages.values()]
    shots = tmp_path / "screenshots"
    shots.mkdir()
    profile = tmp_path / "chromium-profile"

    server, url = _serve(site)
    try:
        reports = {}
        for name, page in pages.items():
            _chromium_run(
                chromium,
                profile,
                f"--screenshot={shots / name}.png",
                "--window-size=1280,2000",
                url + page,
            )
            reports[name] = _probe(chromium, profile, site, url, page)
        for page in others:
            reports[page] = _probe(chromium, profile, site, url, page)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots: {shots}")
    print(json.dumps({name: reports[name] for name in pages}, indent=1))

    for name, report in reports.items():
        assert report["mathjax"], f"{name}: MathJax did not load"
        assert report["math_errors"] == 0, f"{name}: MathJax errors"
        broken = [img for img in report["images"] if img["width"] == 0]
        assert not broken, f"{name}: images that did not load: {broken}"
    for name in pages:
        assert reports[name]["math"] > 0, f"{name}: no typeset maths"
    home_images = [img["src"] for img in reports["home"]["images"]]
    assert any("evolution.png" in src for src in home_images), home_images
    # the executed notebook shows its figures (inline PNG outputs)
    figures = [img for img in reports["notebook_01"]["images"] if img["src"].startswith("data:")]
    assert figures, reports["notebook_01"]["images"]
    for name in pages:
        assert (shots / f"{name}.png").stat().st_size > 10_000
