"""The page's script templates: folium's, with ``tojson`` writing compact UTF-8 JSON.

jinja's ``tojson`` writes ``json.dumps`` with its defaults: every Chinese character as a
six-byte ``\\uXXXX`` escape and a space after every comma. The map carries thousands of names and
popups, so its templates (:mod:`siting.maps`, :mod:`siting.map_controls`,
:mod:`siting.map_whatif`) are made with :class:`Template`, whose ``tojson`` writes UTF-8 text
(three bytes a character) without the spaces. ``<``, ``>``, ``&`` and ``'`` are still escaped
(jinja's ``htmlsafe_json_dumps``), so no string can end the script or run as HTML; the values
the page's script reads are the same.
"""

from __future__ import annotations

from folium.template import Environment as FoliumEnvironment
from folium.template import Template as FoliumTemplate

__all__ = ["Template"]


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
