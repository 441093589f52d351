"""Griffe extension: jaxcogen's reST-flavoured docstrings as Markdown for mkdocstrings.

The docstrings are Google style with Sphinx roles and directives; mkdocstrings renders Markdown.
Before rendering, every docstring of the package is rewritten:

* ``:math:`x``` becomes ``\\(x\\)`` and a ``.. math::`` block becomes a ``\\[ ... \\]`` display
  (one per blank-line-separated equation, in ``aligned`` when it has ``&`` or ``\\\\``) for
  ``pymdownx.arithmatex``, typeset by MathJax;
* ``:func:`~jaxcogen.x.y```, ``:class:``, ``:mod:``, ``:meth:``, ``:attr:``, ``:data:``, ``:exc:``
  become code that links to the object's API entry when it has one (an *optional*
  mkdocs-autorefs reference: a private helper without a page stays plain code, no warning).
  Relative names (``:func:`solve```, ``:mod:`.thermal```) are resolved against the object's
  class, module and package, the way Sphinx does;
* a section title with a note, ``Keyword args (all optional):``, becomes the note and the
  section ``Keyword args:``;
* a paragraph ending in ``::`` (reST literal block) ends in ``:``; its indented block is a
  Markdown code block.

Used from ``mkdocs.yml`` (``extensions: [docs/griffe_sphinx_roles.py]``).
"""

from __future__ import annotations

import html
import re
import textwrap

import griffe

_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_XREF_ROLE = re.compile(r":(?:py:)?(func|class|mod|meth|attr|data|exc|obj|const):`(~?)([^`]+)`")
_MATH_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<inline>.*)$")
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$")
_SECTION_WITH_NOTE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<title>Args|Arguments|Keyword [Aa]rgs|Keyword [Aa]rguments|Parameters"
    r"|Other [Pp]arameters|Returns|Raises|Attributes) \((?P<note>[^\n]*)\):[ \t]*$",
    re.MULTILINE,
)

#: subpackages whose public names ``jaxcogen.<name>`` may stand for (lazy re-exports)
_SUBPACKAGES = ("production", "model", "fitting", "scanning", "late_universe", "models", "rates")


def _display_math(body: list[str], indent: str) -> list[str]:
    """``\\[ ... \\]`` blocks, one per blank-line-separated equation of a ``.. math::`` body."""
    text = textwrap.dedent("\n".join(body)).strip("\n")
    out: list[str] = []
    for equation in re.split(r"\n[ \t]*\n", text):
        equation = equation.strip()
        if not equation:
            continue
        if ("&" in equation or r"\\" in equation) and r"\begin" not in equation:
            equation = "\\begin{aligned}\n" + equation + "\n\\end{aligned}"
        out += [
            "",
            indent + r"\[",
            *(indent + line for line in equation.splitlines()),
            indent + r"\]",
            "",
        ]
    return out


def _math_directives(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _MATH_DIRECTIVE.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        body = [match["inline"]] if match["inline"].strip() else []
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= len(indent):
                break
            if line.strip().startswith(":") and line.strip().endswith(":") and not body:
                i += 1  # directive options (:label:, :nowrap:) are dropped
                continue
            body.append(line)
            i += 1
        out += _display_math(body, indent)
    return "\n".join(out)


def _section_with_note(match: re.Match) -> str:
    """``Keyword args (all optional):`` is no Google section title: the note goes before it."""
    indent, note = match["indent"], match["note"]
    return f"{indent}{note[:1].upper()}{note[1:]}.\n\n{indent}{match['title']}:"


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles and directives of every docstring (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        self._root = pkg
        for obj in self._walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = self._convert(obj.docstring.value, obj)

    def _walk(self, obj):
        yield obj
        for member in obj.members.values():
            if member.is_alias:
                continue
            yield from self._walk(member)

    def _exists(self, path: str) -> bool:
        root = self._root
        if path == root.path:
            return True
        if not path.startswith(root.path + "."):
            return False
        try:
            root[path[len(root.path) + 1 :]]
        except Exception:  # noqa: BLE001 - griffe raises KeyError or alias-resolution errors
            return False
        return True

    def _resolve(self, target: str, obj) -> str:
        """The dotted path ``target`` stands for, seen from ``obj`` (``target`` if unknown)."""
        target = target.rstrip("()")
        module = obj if obj.is_module else obj.module
        if target.startswith("."):
            package = module if module.is_package else module.parent
            candidates = [f"{package.path}{target}", f"{package.path}._{target.lstrip('.')}"]
        else:
            candidates = [target]
            scope = obj
            while scope is not None:
                candidates.append(f"{scope.path}.{target}")
                scope = scope.parent
            head, _, name = target.rpartition(".")
            if head == self._root.path:  # jaxcogen.fit -> jaxcogen.fitting.fit (lazy names)
                candidates += [f"{head}.{sub}.{name}" for sub in _SUBPACKAGES]
        for candidate in candidates:
            if self._exists(candidate):
                return candidate
        return target

    def _xref(self, match: re.Match, obj) -> str:
        role, short, target = match[1], match[2], match[3]
        title_target = target.rstrip("()")
        title = title_target.rpartition(".")[2] if short else title_target.lstrip(".")
        if role in ("func", "meth"):
            title += "()"
        identifier = self._resolve(target, obj)
        return (
            f'<autoref identifier="{html.escape(identifier)}" optional>'
            f"<code>{html.escape(title)}</code></autoref>"
        )

    def _convert(self, text: str, obj) -> str:
        text = _math_directives(text)
        text = _SECTION_WITH_NOTE.sub(_section_with_note, text)
        text = _MATH_ROLE.sub(lambda m: r"\(" + m[1] + r"\)", text)
        text = _XREF_ROLE.sub(lambda m: self._xref(m, obj), text)
        return "\n".join(_LITERAL.sub(":", line) for line in text.splitlines())
