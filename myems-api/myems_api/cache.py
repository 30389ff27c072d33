"""Optional Redis cache of GET responses (IS_REDIS_ENABLED, off by default as in MyEMS).

A response is cached per path, query and viewer (administrators share one view; every other user
or API key has its own), so nobody receives another user's view. Every successful write increments a generation
number that is part of every key: all earlier entries become unreachable at once and expire by
their TTL. The caller is authenticated before the cache is consulted, so a closed session never
reads a cached page. If Redis fails, requests go on uncached.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import falcon

from myems_api.context import Services

log = logging.getLogger(__name__)
GENERATION_KEY = 'myems:api:generation'
TTL_SECONDS = 1800
WRITE_METHODS = frozenset({'POST', 'PUT', 'DELETE', 'PATCH'})
SESSION_PATHS = frozenset({'/users/login', '/users/logout'})  # writes that change no cached data


def connect_redis(services: Services) -> Any:
    import redis

    s = services.settings
    return redis.Redis(
        host=s.redis_host,
        port=s.redis_port,
        password=s.redis_password or None,
        db=s.redis_db,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
    )


class ResponseCache:
    """Falcon middleware; add it only when the cache is enabled."""

    def __init__(self, services: Services, client: Any = None, ttl: int = TTL_SECONDS) -> None:
        self.services = services
        self.client = client if client is not None else connect_redis(services)
        self.ttl = ttl

    def _key(self, req: falcon.Request) -> str | None:
        if not (req.get_header('USER-UUID') or req.get_header('API-KEY')):
            return None  # anonymous requests are answered by the resource (401 or public)
        identity, _ = self.services.who(req)
        # administrators share one view; anyone else (scoped users, API keys) gets entries of their own
        view = 'admin' if identity.kind == 'user' and identity.is_admin else identity.actor
        generation = self.client.get(GENERATION_KEY) or b'0'
        raw = f'{generation.decode()}|{view}|{req.path}|{req.query_string}'
        return 'myems:api:get:' + hashlib.sha256(raw.encode()).hexdigest()

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: Any) -> None:
        if req.method != 'GET' or resource is None:
            return
        try:
            key = self._key(req)
            cached = self.client.get(key) if key else None
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the request
            log.warning('response cache unavailable: %s', exc)
            return
        req.context.cache_key = key
        if cached is not None:
            resp.data = cached
            resp.content_type = falcon.MEDIA_JSON
            resp.set_header('X-Cache', 'HIT')
            resp.complete = True

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool) -> None:
        try:
            if req.method in WRITE_METHODS and succeeded and int(resp.status_code) < 400:
                if req.path in SESSION_PATHS or 'identity' not in req.context:
                    return  # anonymous writes (sign-in, sign-up requests) change no cached data
                self.client.incr(GENERATION_KEY)
                return
            key = req.context.get('cache_key')
            if req.method == 'GET' and key and succeeded and resp.status_code == 200 and not resp.complete:
                body = resp.render_body()
                if body is not None:
                    self.client.set(key, body, ex=self.ttl)
                    resp.set_header('X-Cache', 'MISS')
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the request
            log.warning('response cache unavailable: %s', exc)
