"""The page's script templates: folium's, with ``tojson`` writing compact UTF-8 JSON.

jinja's ``tojson`` writes ``json.dumps`` with its defaults: every Chinese character as a
six-byte ``\\uXXXX`` escape and a space after every comma. The map carries thousands of names and
popups, so its templates (:mod:`siting.maps`, :mod:`siting.map_controls`,
:mod:`siting.map_whatif`) are made with :class:`Template`, whose ``tojson`` writes UTF-8 text
(three bytes a character) without the spaces. ``<``, ``>``, ``&`` and ``'`` are still escaped
(jinja's ``htmlsafe_json_dumps``), so no string can end the script or run as HTML; the values
the page's script reads are the same.

branca's ``MacroElement`` puts what its macros write into the page as new ``Element`` s, and an
``Element`` reads its text as a Jinja template once more: a name holding ``{{ 7*7 }}`` would show
as 49 (and Jinja code in a name would run), and reading every layer's data as a template again
took half a second of the demo's map. The tool's own elements are :class:`RawMacro` s,
whose macros' text goes into the page as it is (:class:`Raw`); every text from the inputs is also
escaped with its braces (:func:`siting.maps.html_text`), for folium's own elements (layer names
in the layer list, labels).
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement
from folium.template import Environment as FoliumEnvironment
from folium.template import Template as FoliumTemplate

__all__ = ["Raw", "RawMacro", "Template", "folium_template"]


class _PageEnvironment(FoliumEnvironment):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.policies["json.dumps_kwargs"] = {
            "sort_keys": True,
            "ensure_ascii": False,
            "separators": (",", ":"),
        }


class Template(FoliumTemplate):
    """A folium template whose ``tojson`` writes compact UTF-8 JSON (see the module)."""

    environment_class = _PageEnvironment


def folium_template(cls: type, old: str | None = None, new: str | None = None) -> Template:
    """The template of folium's element class ``cls`` as a :class:`Template` (``old`` replaced by
    ``new`` in it); an error if folium's source no longer has it, so that a changed folium is
    noticed rather than drawn wrong."""
    import inspect

    source = inspect.getsource(cls)
    head = '_template = Template(\n        """'
    if head not in source:
        raise RuntimeError(f"folium's {cls.__name__} template changed: update siting.map_template")
    start = source.index(head) + len(head)
    text = source[start : source.index('"""', start)]
    if old is not None:
        if old not in text:
            raise RuntimeError(
                f"folium's {cls.__name__} template changed: update siting.map_template"
            )
        text = text.replace(old, new or "")
    return Template(text)


class Raw(Element):
    """An element whose text is put in the page as it is (not read as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class RawMacro(MacroElement):
    """A ``MacroElement`` whose ``header``, ``html`` and ``script`` macros' text goes into the
    page as it is (:class:`Raw`), not read as a template again (see the module)."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} can only be rendered inside a Figure")
        macros = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = macros.get(part)
            if macro is not None:
                target.add_child(Raw(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
