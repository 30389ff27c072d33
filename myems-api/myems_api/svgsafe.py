"""SVG source as stored in tbl_svgs, made safe to put into a page (MyEMS stored and served it as it came,
a stored XSS: https://github.com/MyEMS/myems/issues/412).

`sanitise(source)` parses the SVG as XML and keeps what draws:

* no element that runs or embeds code or other documents (script, foreignObject, iframe, ...), no comments
  or processing instructions (an xml-stylesheet one would load a sheet);
* no event handler attribute (`on*`), no link or reference (`href`, `xlink:href`, `src`, ...) other than to
  a fragment of the drawing (`#id`), a web address (http, https) or an embedded raster image;
* no animation that sets an event handler or a link; no style (attribute or element) that imports, calls
  `expression(...)` or names a `javascript:` address;
* a document type declaration is refused (entity expansion), as is anything but an `<svg>` root.

It returns the cleaned SVG, or None (logged) for a source it refuses.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

log = logging.getLogger(__name__)

SVG_NS = 'http://www.w3.org/2000/svg'
XLINK_NS = 'http://www.w3.org/1999/xlink'
ET.register_namespace('', SVG_NS)
ET.register_namespace('xlink', XLINK_NS)

DROPPED = frozenset({'script', 'foreignobject', 'iframe', 'object', 'embed', 'handler', 'listener', 'applet', 'meta'})
ANIMATIONS = frozenset({'set', 'animate', 'animatemotion', 'animatetransform', 'animatecolor'})
LINKS = frozenset({'href', 'src', 'action', 'formaction', 'data', 'codebase'})
ANIMATED_VALUES = ('to', 'from', 'values', 'by')
SAFE_LINK = re.compile(r'^(#|https?://|data:image/(png|jpe?g|gif|webp);)', re.IGNORECASE)
UNSAFE_STYLE = re.compile(r'javascript:|vbscript:|expression\s*\(|@import|behavior\s*:|-moz-binding', re.IGNORECASE)
DOCTYPE = re.compile(r'<!DOCTYPE[^>\[]*>', re.IGNORECASE)
INVISIBLE = re.compile(r'[\s\x00-\x1f\x7f]+')


def _local(name: str) -> str:
    return name.rsplit('}', 1)[-1].lower()


def _safe_link(value: str) -> bool:
    compact = INVISIBLE.sub('', value)
    return bool(SAFE_LINK.match(compact)) or (':' not in compact.split('/', 1)[0] and compact != '')


def _clean(element: ET.Element) -> None:
    for child in list(element):
        tag = child.tag if isinstance(child.tag, str) else ''
        name = _local(tag)
        if not tag or name in DROPPED or _unsafe_animation(child, name):
            element.remove(child)
            continue
        if name == 'style' and UNSAFE_STYLE.search(''.join(child.itertext())):
            element.remove(child)
            continue
        _clean(child)
    for attribute in list(element.attrib):
        name, value = _local(attribute), element.attrib[attribute]
        if (
            name.startswith('on')
            or (name in LINKS and not _safe_link(value))
            or (name == 'style' and UNSAFE_STYLE.search(value))
        ):
            del element.attrib[attribute]


def _unsafe_animation(element: ET.Element, name: str) -> bool:
    """An animation of an event handler or a link, or one whose values name a script address."""
    if name not in ANIMATIONS:
        return False
    target = _local(element.attrib.get('attributeName', '')).strip()
    values = ' '.join(element.attrib.get(k, '') for k in ANIMATED_VALUES)
    return target.startswith('on') or target in LINKS or bool(UNSAFE_STYLE.search(INVISIBLE.sub('', values)))


def sanitise(source: str | None) -> str | None:
    """The SVG without anything that runs code or loads another document; None if it cannot be made safe."""
    if not source or not source.strip():
        return None
    text = DOCTYPE.sub('', source.strip())
    if re.search(r'<!(DOCTYPE|ENTITY)', text, re.IGNORECASE):
        log.warning('an SVG with an internal document type declaration was refused')
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        log.warning('an SVG that is not well-formed XML was refused: %s', error)
        return None
    if _local(root.tag) != 'svg':
        log.warning('an SVG whose root is <%s> was refused', _local(root.tag))
        return None
    _clean(root)
    return ET.tostring(root, encoding='unicode')
