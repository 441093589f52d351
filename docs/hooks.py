"""MkDocs hooks of the documentation site (``mkdocs.yml``: ``hooks: [docs/hooks.py]``).

* The site's pages come from the whole repository, not only ``docs/``: the home page is
  ``README.md`` (``docs/index.md`` includes it with a ``--8<-- README.md`` line), the notebooks
  ``notebooks/*.ipynb`` (rendered by mkdocs-jupyter) and ``benchmarks/RESULTS.md`` are pages too.
* Links in these Markdown files are written for GitHub, relative to the file in the repository
  (``docs/physics.md`` from the README, ``../benchmarks/RESULTS.md`` from ``docs/scans.md``).
  They are rewritten relative to the page in the site; a link to a repository file that is not
  a page (a source file) becomes plain text; a link to nothing is left alone, so that
  ``mkdocs build --strict`` reports it.
* MathJax 3 is served by the site itself (no CDN, the site works offline): its files are taken
  from the installed ``django-static-mathjax`` package (a plain copy of the MathJax
  distribution; Django is not needed) and published under ``javascripts/mathjax/``.
* mkdocs-jupyter pages carry a MathJax 2 ``<script>`` from a CDN; it is removed, the site's
  MathJax 3 typesets the notebooks' Markdown cells.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[1]

#: repository files outside docs/ that are pages of the site: repository path -> site path
EXTERNAL_PAGES = {"benchmarks/RESULTS.md": "benchmarks.md"}

#: the MathJax files the site serves, relative to MathJax's ``es5/`` folder
MATHJAX_COMPONENTS = ("tex-mml-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors")
MATHJAX_SITE_DIR = "javascripts/mathjax"

_INCLUDE = re.compile(r"^--8<--\s+\"?([^\"\s]+)\"?\s*$", re.MULTILINE)
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\(\s*<?(?P<target>[^()\s<>]+)>?(?P<title>\s+\"[^\"]*\")?\s*\)"
)
_MATHJAX2 = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


def _notebooks() -> list[str]:
    return sorted(f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb"))


def _site_path(repo_path: str) -> str | None:
    """The site path (``src_uri``) of a repository file, or None if it is not part of the site."""
    if repo_path == "README.md":
        return "index.md"
    if repo_path.startswith("docs/"):
        return repo_path[len("docs/") :]
    if repo_path in EXTERNAL_PAGES:
        return EXTERNAL_PAGES[repo_path]
    if repo_path in _notebooks():
        return repo_path
    return None


def _repo_path(site_path: str) -> str:
    """The repository file a site page comes from (inverse of :func:`_site_path`)."""
    for repo_path, page in EXTERNAL_PAGES.items():
        if page == site_path:
            return repo_path
    if site_path.startswith("notebooks/"):
        return site_path
    return f"docs/{site_path}"


def _rewrite_link(match: re.Match, origin_dir: str, page_site_path: str) -> str:
    target = match["target"]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return match[0]
    path, hash_, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(origin_dir, path))
    if resolved.startswith("../") or not (REPO / resolved).exists():
        return match[0]  # a broken link: left for mkdocs --strict to report
    site = _site_path(resolved)
    if site is None:
        # a repository file that is not a page (source code, data): the text without the link
        return match["text"] if not match["bang"] else match[0]
    new = posixpath.relpath(site, posixpath.dirname(page_site_path) or ".") + hash_ + anchor
    return f"{match['bang']}[{match['text']}]({new}{match['title'] or ''})"


def _rewrite_links(markdown: str, origin_repo_path: str, page_site_path: str) -> str:
    """Rewrite the relative links of ``markdown`` (written relative to ``origin_repo_path``)."""
    origin_dir = posixpath.dirname(origin_repo_path)
    out, fence = [], None
    for line in markdown.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening[2]
        elif fence is not None:
            if opening and opening[2].startswith(fence[0] * len(fence)):
                fence = None
        else:
            line = _LINK.sub(lambda m: _rewrite_link(m, origin_dir, page_site_path), line)
        out.append(line)
    return "".join(out)


def _mathjax_es5() -> Path:
    spec = importlib.util.find_spec("mathjax")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        es5 = Path(location) / "static" / "mathjax" / "es5"
        if (es5 / "tex-mml-chtml.js").is_file():
            return es5
    raise PluginError(
        "MathJax 3 not found: the site serves it from the django-static-mathjax package "
        '(pip install -e ".[docs]")'
    )


@event_priority(100)  # before mkdocs-jupyter's on_files, which wraps the .ipynb files
def on_files(files: Files, config) -> Files:
    for repo_path in _notebooks():
        # a File with a source folder (not File.generated): mkdocs-jupyter's wrapper reads the
        # notebook from src_dir/src_uri
        files.append(File(repo_path, str(REPO), config.site_dir, config.use_directory_urls))
    for repo_path, site_path in EXTERNAL_PAGES.items():
        text = (REPO / repo_path).read_text(encoding="utf-8")
        files.append(File.generated(config, site_path, content=text))
    es5 = _mathjax_es5()
    for component in MATHJAX_COMPONENTS:
        source = es5 / component
        paths = (
            [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        )
        for path in paths:
            uri = f"{MATHJAX_SITE_DIR}/{path.relative_to(es5).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    files.append(
        File.generated(
            config, f"{MATHJAX_SITE_DIR}/LICENSE", abs_src_path=str(es5.parent / "LICENSE")
        )
    )
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    site_path = page.file.src_uri
    origin = _repo_path(site_path)

    def include(match: re.Match) -> str:
        included = match[1]
        text = (REPO / included).read_text(encoding="utf-8")
        return _rewrite_links(text, included, site_path)

    markdown = _rewrite_links(markdown, origin, site_path)
    return _INCLUDE.sub(include, markdown)


def on_page_content(html: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        html = _MATHJAX2.sub("", html)
    return html


def on_serve(server, config, builder):
    """``mkdocs serve`` also rebuilds when the README, a notebook or a docstring changes."""
    for path in (REPO / "README.md", REPO / "notebooks", REPO / "benchmarks" / "RESULTS.md"):
        server.watch(os.fspath(path))
    server.watch(os.fspath(REPO / "jaxcogen"))
    return server
