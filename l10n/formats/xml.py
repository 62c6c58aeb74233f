"""Just enough XML for the exchange formats: a strict reader that keeps line numbers, and
escaping for a writer that builds the text itself (so output is byte-for-byte deterministic).

The reader is the standard library's expat. Files come from other organisations, so a document
type declaration may name a DTD (TMX and TBX files do) but may not declare entities: that refuses
"billion laughs" expansion and external entities outright, whatever the expat version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from ..errors import L10nError
from ..textio import read_bytes

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
XML_SPACE = f"{{{XML_NS}}}space"
MAX_BYTES = 512 * 1024 * 1024


@dataclass(eq=False)
class Node:
    """An element: `tag` and attribute names in Clark notation ({namespace}local), its content
    in document order (child nodes and text), and the line its start tag is on."""

    tag: str
    attrib: dict[str, str]
    line: int
    content: list["Node | str"] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.tag.rsplit("}", 1)[-1]

    @property
    def namespace(self) -> str:
        return self.tag[1:].split("}", 1)[0] if self.tag.startswith("{") else ""

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrib.get(name, default)

    def children(self, local: str | None = None) -> list["Node"]:
        return [c for c in self.content if isinstance(c, Node) and (local is None or c.local == local)]

    def child(self, local: str) -> "Node | None":
        for c in self.content:
            if isinstance(c, Node) and c.local == local:
                return c
        return None

    def iter(self, local: str):
        """Every descendant element (and this one) called `local`, in document order."""
        if self.local == local:
            yield self
        for c in self.content:
            if isinstance(c, Node):
                yield from c.iter(local)

    def text(self) -> str:
        """All character data inside, child elements' included."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.content)


class _Refused(Exception):
    pass


def parse_xml(data: bytes, display: str, what: str) -> Node:
    """The root element of `data`, or an L10nError naming the line that is not well-formed."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    root: list[Node] = []

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag, attrs):
        node = Node(name(tag), {name(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].content.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    def chars(text):
        if stack:
            content = stack[-1].content
            if content and isinstance(content[-1], str):
                content[-1] += text
            else:
                content.append(text)

    def refuse(*args):
        raise _Refused()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except _Refused:
        raise L10nError(f"the {what} declares XML entities; refusing to expand them (a safety rule): "
                        "remove the <!ENTITY …> declarations", display, parser.CurrentLineNumber) from None
    except expat.ExpatError as err:
        raise L10nError(f"not well-formed XML ({expat.ErrorString(err.code)}, column {err.offset + 1}): "
                        f"this is not a usable {what}", display, err.lineno) from None
    if not root:
        raise L10nError(f"no XML element: this is not a usable {what}", display)
    return root[0]


def read_xml(path: Path, display: str, what: str) -> Node:
    return parse_xml(read_bytes(path, display, what, MAX_BYTES), display, what)


# --- writing --------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all, even as references.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check(value: str) -> str:
    m = _FORBIDDEN.search(value)
    if m:
        raise ValueError(f"character U+{ord(m.group()):04X} cannot be written to XML")
    return value


def text(value: str) -> str:
    """Character data, escaped. A carriage return is written as a reference, because a parser
    would otherwise turn it into a line feed."""
    return (_check(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def attr(value: str) -> str:
    """An attribute value in double quotes, escaped so that it reads back exactly (a parser
    normalises literal tabs and line breaks in attributes to spaces)."""
    escaped = (text(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;"))
    return f'"{escaped}"'


def attrs(pairs) -> str:
    """` name="value"` for each (name, value) whose value is not None, in the given order."""
    return "".join(f" {k}={attr(v)}" for k, v in pairs if v is not None)
