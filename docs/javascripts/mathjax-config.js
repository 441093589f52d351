// MathJax 3 for pymdownx.arithmatex (generic mode: \( \) and \[ \] in .arithmatex elements) and
// for the Markdown cells of the rendered notebooks ($ $ and $$ $$, left as text by nbconvert).
// MathJax itself is served by the site (javascripts/mathjax/, published from the
// django-static-mathjax package by docs/hooks.py): the site needs no network.
// Only the page content and its table of contents are searched for maths; code is skipped.
const MATH_CONTAINERS = [".md-content", ".md-sidebar--secondary"];

window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    processHtmlClass: "arithmatex",
  },
  startup: {
    elements: MATH_CONTAINERS,
  },
};

// mkdocs-material swaps the page without a reload when navigation.instant is on: typeset again.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise(MATH_CONTAINERS.flatMap((s) => [...document.querySelectorAll(s)]));
    }
  });
}
