"""Declarations of hand-written routes for the OpenAPI document (registry routes are documented by
reading the registry itself). A module that adds routes calls `document(...)` once per operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RouteDoc:
    path: str  # Falcon template, e.g. '/users/{id_}'
    method: str  # 'GET', 'POST', 'PUT', 'DELETE'
    summary: str
    tag: str
    auth: str = 'user'  # 'none', 'user' (any signed-in user or API key), 'admin'
    body: dict[str, Any] | None = None  # JSON schema of the request body, if any
    response: dict[str, Any] | None = None  # JSON schema of the success body, if any
    status: int = 200
    query: tuple[tuple[str, str, bool], ...] = field(default=())  # (name, JSON type, required)
    media_type: str = 'application/json'  # of the success body
    body_type: str = 'application/json'  # of the request body


ROUTES: list[RouteDoc] = []


def document(path: str, method: str, summary: str, tag: str, **options: Any) -> None:
    """Record one operation (idempotent: the same path and method replaces the earlier entry)."""
    doc = RouteDoc(path, method.upper(), summary, tag, **options)
    ROUTES[:] = [r for r in ROUTES if (r.path, r.method) != (doc.path, doc.method)]
    ROUTES.append(doc)
