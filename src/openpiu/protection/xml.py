"""Sensitive items in raw PNRGOV XML: the byte spans of the SSR elements the policy removes.

The stored raw XML must not keep what the records lose (Art 13(4)): each ``SSR`` element (any namespace
prefix) whose code or text the policy rejects is cut out whole, with `blank_segments`. Cutting a whole
element between its siblings keeps the document well-formed. Only these spans are found with a pattern,
never parsed into a tree: the reader (defusedxml) has already accepted the document, and XML in the wild
writes the element in the few shapes matched here (``<SSR .../>``, ``<SSR ...>...</SSR>``).
"""

from __future__ import annotations

import html
import re

from openpiu.model import ServiceItem
from openpiu.protection.filter import service_removal
from openpiu.protection.policy import SensitivePolicy

__all__ = ["sensitive_xml_spans"]

_ELEMENT = re.compile(
    rb"<(?P<tag>(?:[A-Za-z_][\w.-]*:)?SSR)(?P<attrs>(?:\s[^<>]*?)?)"
    rb"(?:/>|>(?P<body>.*?)</(?P=tag)\s*>)",
    re.DOTALL,
)
_ATTR = re.compile(rb"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?[Tt](?:ext|EXT)\s*>(.*?)</", re.DOTALL)


def sensitive_xml_spans(raw: bytes, policy: SensitivePolicy) -> list[tuple[int, int]]:
    """(offset, length) of every SSR element in ``raw`` that the policy removes."""
    spans = []
    for match in _ELEMENT.finditer(raw):
        attrs = {
            name.decode("utf-8", "replace").split(":")[-1]: html.unescape(
                (double if double is not None else single or b"").decode("utf-8", "replace")
            )
            for name, double, single in _ATTR.findall(match.group("attrs") or b"")
        }
        code = attrs.get("SSRCode") or attrs.get("SSR_Code") or attrs.get("Code")
        text = attrs.get("Text")
        body = match.group("body")
        if body:
            found = _TEXT.search(body)
            if found:
                text = html.unescape(found.group(1).decode("utf-8", "replace"))
        if service_removal(ServiceItem(kind="SSR", code=code, text=text), policy) is not None:
            spans.append((match.start(), match.end() - match.start()))
    return spans
