"""GET /docs: the OpenAPI document as one self-contained HTML page (no scripts, no external assets).

Operations are grouped by tag, each a <details> block with its parameters, request body and responses;
schemas are tables linked by anchor. Every value taken from the document is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

Schema = dict[str, Any]
METHODS = ('get', 'post', 'put', 'patch', 'delete')
MAX_DEPTH = 4

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header a{color:#cfe3ff}main{display:flex;align-items:flex-start}
nav{position:sticky;top:0;width:230px;flex:none;max-height:100vh;overflow:auto;padding:16px;box-sizing:border-box}
nav a{display:block;color:#1d3557;text-decoration:none;padding:2px 0}nav a:hover{text-decoration:underline}
.content{flex:1;min-width:0;padding:8px 28px 40px}h2{border-bottom:2px solid #d7dde5;padding-bottom:4px}
details.op{background:#fff;border:1px solid #d7dde5;border-radius:6px;margin:6px 0}
details.op>summary{cursor:pointer;padding:7px 10px;list-style:none}
details.op[open]>summary{border-bottom:1px solid #e5e9ef}
.op-body{padding:8px 14px}code{font:13px ui-monospace,Menlo,Consolas,monospace}
.m{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font:bold 12px monospace;
padding:2px 0;margin-right:8px}.m-get{background:#2a7ab0}.m-post{background:#2e8b57}.m-put{background:#b7791f}
.m-patch{background:#8e5bb5}.m-delete{background:#c0392b}.summary{color:#4a5568;margin-left:10px}
table{border-collapse:collapse;margin:4px 0 10px;font-size:14px}th,td{border:1px solid #e1e6ed;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#eef2f7}.muted{color:#718096}.req{color:#c0392b}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _anchor(kind: str, name: str) -> str:
    return kind + '-' + re.sub(r'[^A-Za-z0-9_.-]+', '-', name)


def describe(schema: Any) -> str:
    """A short, escaped description of a schema's type: 'string (at most 255 characters)', links for $ref."""
    if not isinstance(schema, dict):
        return 'any'
    if '$ref' in schema:
        name = str(schema['$ref']).rsplit('/', 1)[-1]
        return f'<a href="#{_e(_anchor("schema", name))}">{_e(name)}</a>'
    parts = []
    if 'type' in schema:
        kinds = schema['type'] if isinstance(schema['type'], list) else [schema['type']]
        parts.append(
            ' or '.join(_e(k) for k in kinds) + (' of ' + describe(schema['items']) if 'items' in schema else '')
        )
    notes = _constraints(schema)
    if notes:
        parts.append(f'<span class="muted">({notes})</span>' if parts else notes)
    for keyword, word in (('anyOf', ' or '), ('oneOf', ' or '), ('allOf', ' and ')):
        if keyword in schema:
            alternatives = word.join(describe(s) for s in schema[keyword])
            parts.append(f'({alternatives})' if parts else alternatives)
    return ' '.join(parts) or 'any'


def _pattern(pattern: str) -> str:
    if pattern == r'\S':
        return 'not blank'
    if len(pattern) <= 24:
        return f'matching <code>{_e(pattern)}</code>'
    return f'<span title="{_e(pattern)}">matching a pattern</span>'


def _constraints(schema: Schema) -> str:
    notes = []
    if 'format' in schema:
        notes.append(_e(schema['format']))
    if 'pattern' in schema:
        notes.append(_pattern(str(schema['pattern'])))
    if 'maxLength' in schema:
        notes.append(f'at most {_e(schema["maxLength"])} characters')
    if 'minimum' in schema:
        notes.append(f'&ge; {_e(schema["minimum"])}')
    if 'maximum' in schema:
        notes.append(f'&le; {_e(schema["maximum"])}')
    if 'enum' in schema:
        notes.append('one of ' + ', '.join(f'<code>{_e(v)}</code>' for v in schema['enum']))
    if schema.get('readOnly'):
        notes.append('read-only')
    return '; '.join(notes)


def schema_block(schema: Any, depth: int = 0, components: Schema | None = None, writing: bool = False) -> str:
    """An object's properties as a table (inline objects nested); anything else as its description.

    With `components` (request bodies), a reference at the top levels is shown expanded under its link,
    without the read-only properties a client does not send.
    """
    if isinstance(schema, dict) and '$ref' in schema and components is not None and depth <= 1:
        target = components.get(str(schema['$ref']).rsplit('/', 1)[-1])
        if isinstance(target, dict) and 'properties' in target:
            return describe(schema) + schema_block(target, depth + 1, writing=True)
    if not isinstance(schema, dict) or 'properties' not in schema or depth > MAX_DEPTH:
        return describe(schema)
    required = set(schema.get('required', []))
    rows = []
    for name, prop in schema['properties'].items():
        if writing and isinstance(prop, dict) and prop.get('readOnly'):
            continue
        mark = '<span class="req">required</span>' if name in required else ''
        note = _e(prop.get('description', '')) if isinstance(prop, dict) else ''
        cell = schema_block(prop, depth + 1, components, writing)
        rows.append(f'<tr><td><code>{_e(name)}</code></td><td>{cell}</td><td>{mark}</td><td>{note}</td></tr>')
    head = '<tr><th>Field</th><th>Type</th><th></th><th>Notes</th></tr>'
    return f'<table>{head}{"".join(rows)}</table>'


def _parameters(op: Schema) -> str:
    params = op.get('parameters') or []
    if not params:
        return ''
    rows = ''.join(
        f'<tr><td><code>{_e(p["name"])}</code></td><td>{_e(p["in"])}</td><td>{describe(p.get("schema"))}</td>'
        f'<td>{"yes" if p.get("required") else "no"}</td><td>{_e(p.get("schema", {}).get("description", ""))}</td></tr>'
        for p in params
    )
    head = '<tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Notes</th></tr>'
    return f'<h4>Parameters</h4><table>{head}{rows}</table>'


def _content_schema(part: Schema) -> tuple[str, Any] | None:
    for media_type, content in (part.get('content') or {}).items():
        return media_type, content.get('schema')
    return None


def _body(op: Schema, schemas: Schema) -> str:
    content = _content_schema(op.get('requestBody') or {})
    if content is None:
        return ''
    media_type, schema = content
    return f'<h4>Request body <span class="muted">{_e(media_type)}</span></h4>{schema_block(schema, 0, schemas)}'


def _responses(op: Schema, shared: Schema) -> str:
    items = []
    for status, response in op.get('responses', {}).items():
        if '$ref' in response:
            response = shared.get(str(response['$ref']).rsplit('/', 1)[-1], {})
        content = _content_schema(response)
        shape = f' &rarr; {describe(content[1])} <span class="muted">{_e(content[0])}</span>' if content else ''
        items.append(f'<li><code>{_e(status)}</code> {_e(response.get("description", ""))}{shape}</li>')
    return f'<h4>Responses</h4><ul>{"".join(items)}</ul>'


def render_operation(path: str, method: str, op: Schema, components: Schema) -> str:
    return (
        f'<details class="op" id="{_e(_anchor("op", op.get("operationId", method + path)))}"><summary>'
        f'<span class="m m-{_e(method)}">{_e(method.upper())}</span><code>{_e(path)}</code>'
        f'<span class="summary">{_e(op.get("summary", ""))}</span></summary><div class="op-body">'
        f'<p>{_e(op.get("description", ""))}</p>{_parameters(op)}{_body(op, components.get("schemas", {}))}'
        f'{_responses(op, components.get("responses", {}))}</div></details>'
    )


def _by_tag(document: Schema) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {t['name']: [] for t in document.get('tags', [])}
    for path, ops in document.get('paths', {}).items():
        for method in METHODS:
            if method in ops:
                for tag in ops[method].get('tags') or ['other']:
                    html_op = render_operation(path, method, ops[method], document.get('components', {}))
                    groups.setdefault(tag, []).append(html_op)
    return groups


def render(document: Schema) -> str:
    """The whole page."""
    info = document.get('info', {})
    descriptions = {t['name']: t.get('description', '') for t in document.get('tags', [])}
    groups = {tag: ops for tag, ops in _by_tag(document).items() if ops}
    nav = ''.join(f'<a href="#{_e(_anchor("tag", t))}">{_e(t)} ({len(ops)})</a>' for t, ops in groups.items())
    sections = ''.join(
        f'<section id="{_e(_anchor("tag", t))}"><h2>{_e(t)}</h2><p class="muted">{_e(descriptions.get(t, ""))}</p>'
        f'{"".join(ops)}</section>'
        for t, ops in groups.items()
    )
    schemas = ''.join(
        f'<h3 id="{_e(_anchor("schema", name))}">{_e(name)}</h3>{schema_block(schema)}'
        for name, schema in document.get('components', {}).get('schemas', {}).items()
    )
    title = f'{info.get("title", "API")} {info.get("version", "")}'.strip()
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
        f'<style>{STYLE}</style></head><body><header><h1>{_e(title)}</h1><div>{_e(info.get("description", ""))}</div>'
        f'<div>OpenAPI {_e(document.get("openapi", ""))}: <a href="/openapi.json">/openapi.json</a></div></header>'
        f'<main><nav>{nav}<a href="#schemas">Schemas</a></nav><div class="content">{sections}'
        f'<section id="schemas"><h2>Schemas</h2>{schemas}</section></div></main></body></html>'
    )
