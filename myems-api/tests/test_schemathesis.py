"""schemathesis against /openapi.json, in process (WSGI), as an administrator: no request is answered
with a 5xx, every error has the {"title", "description", "message"} shape, and every success body
matches the schema the document declares for it.

Each operation gets a bounded number of valid and of invalid requests (schemathesis's positive and
negative generation), derandomized and without an example database, so the run is the same on every
machine. Valid requests mostly have their ids pointed at existing rows (a generated id almost never
exists), so they reach past the 404 into updates, links, clones and exports. Every problem is collected
and reported at the end, one line per operation and kind of problem, rather than stopping at the first.

The run has databases of its own (`isolated_settings`): it deletes, edits and logs out users, which
must not touch the session-wide ones other tests sign in with.

(schemathesis's pytest integration, `schemathesis.pytest.from_fixture`, does not run under pytest 9.2: it
sets `Function._nodeid`, which pytest 9.2 no longer has. The operations are driven here with
`APIOperation.as_strategy()` and Hypothesis's `@given` instead.)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import schemathesis
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from myems_api.app import create_app
from myems_common.db import Database
from myems_common.registry import BY_PLURAL, ENTRIES, REGISTRY, Entity, Relation
from myems_common.schema import install, migrate

log = logging.getLogger(__name__)
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 12}  # per operation
ROWS_PER_ENTITY = 2
ERROR_KEYS = ('title', 'description', 'message')


def conftest(request: pytest.FixtureRequest) -> ModuleType:
    """This directory's conftest module (tests import with --import-mode=importlib, so not by name)."""
    path = str(Path(__file__).with_name('conftest.py'))
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, '__file__', None) == path:
            return plugin  # type: ignore[no-any-return]
    raise LookupError(path)


# ------------------------------------------------------------------------------- the app under test
@dataclass
class Target:
    client: testing.TestClient
    database: Database
    new_admin_session: Callable[[], dict[str, str]]


@pytest.fixture
def target(
    request: pytest.FixtureRequest, isolated_settings: Any, helpers: ModuleType, workflow_service: Any
) -> Iterator[Target]:
    """The app over fresh databases of its own, with a couple of rows of every writable entity."""
    install(isolated_settings)
    migrate(isolated_settings)
    database = Database(isolated_settings)
    module, counter = conftest(request), iter(range(1, 10**6))

    def new_admin_session() -> dict[str, str]:
        return module.open_session(database, module.create_user(database, f'fuzzer{next(counter)}', is_admin=True))

    client = testing.TestClient(create_app(workflow_service.settings_for(isolated_settings), database))
    factory = helpers.Factory(client, new_admin_session())
    for entity in ENTRIES:
        if not helpers.is_read_only(entity):
            for _ in range(ROWS_PER_ENTITY):
                factory.create(entity.name)
    yield Target(client, database, new_admin_session)
    database.close()


# ------------------------------------------------------------------------- pointing ids at real rows
class Rows:
    """Ids of existing rows of an entity."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def ids(self, entity: Entity) -> list[int]:
        with self.database.transaction(entity.database) as cur:
            cur.execute(f'SELECT `id` FROM `{entity.table}` ORDER BY `id` LIMIT 100')
            return [row[0] for row in cur.fetchall()]


def path_entities(path: str) -> tuple[Entity | None, Relation | None]:
    """The registry entity whose id `{id_}` is in `path`, and the relation `{target}` belongs to, if any."""
    parts = path.strip('/').split('/')
    entity = BY_PLURAL.get(parts[0])
    relations = {r.name: r for r in entity.relations} if entity else {}
    return entity, relations.get(parts[2]) if len(parts) > 2 else None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def ground(case: schemathesis.Case, rows: Rows, data: st.DataObject) -> None:
    """Point the ids of a valid case (path ids, references, the link target) at existing rows, mostly."""
    entity, relation = path_entities(case.operation.path)
    if entity is None or data.draw(st.integers(0, 3)) == 3:  # some cases keep their generated ids
        return

    def existing(target: Entity, current: Any) -> Any:
        index = data.draw(st.integers(0, 999))  # drawn the same way whatever the table holds
        ids = rows.ids(target)
        return ids[index % len(ids)] if ids else current

    params = case.path_parameters or {}
    if 'id_' in params:
        params['id_'] = existing(entity, params['id_'])
    if relation is not None and 'target' in params:
        params['target'] = existing(REGISTRY[relation.target], params['target'])
    body = case.body.get('data', case.body) if isinstance(case.body, dict) else None
    if not isinstance(body, dict):
        return
    for f in entity.fields:
        if f.type == 'ref' and f.ref and is_number(body.get(f.name)):
            body[f.name] = existing(REGISTRY[f.ref], body[f.name])
    if relation is not None and is_number(body.get(relation.target_column)):
        body[relation.target_column] = existing(REGISTRY[relation.target], body[relation.target_column])


# ------------------------------------------------------------------------------------------ checking
def problem(case: schemathesis.Case, response: schemathesis.Response) -> str | None:
    """What is wrong with one response, or None."""
    status = response.status_code
    if status >= 500:
        return f'{status} {response.text[:300]}'
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            return f'{status} with a body that is not JSON: {response.text[:200]!r}'
        if not (isinstance(body, dict) and all(isinstance(body.get(k), str) for k in ERROR_KEYS)):
            return f'{status} error body without title/description/message: {response.text[:200]}'
        return None
    try:
        case.validate_response(response, checks=[response_schema_conformance])
    except (AssertionError, FailureGroup) as exc:
        return f'{status} body does not match the document: {str(exc)[:400]}'
    return None


@dataclass
class Run:
    rows: Rows
    headers: dict[str, str]
    statuses: Counter[int]
    problems: dict[str, str]


def exercise(operation: Any, mode: GenerationMode, run: Run) -> None:
    """EXAMPLES[mode] generated requests against one operation; problems are recorded in `run`."""

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[p for p in settings.default.phases if p.name not in ('shrink', 'explain')],
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=run.headers), data=st.data())
    def check(case: schemathesis.Case, data: st.DataObject) -> None:
        if mode == GenerationMode.POSITIVE:
            ground(case, run.rows, data)
        response = case.call()
        run.statuses[response.status_code] += 1
        wrong = problem(case, response)
        if wrong:
            key = f'{operation.label} {wrong[:60]}'
            run.problems.setdefault(key, f'{case.method} {case.formatted_path} ({mode.value}): {wrong}')

    try:
        check()
    except Unsatisfiable:  # negative mode on an operation with no parameters and no body: nothing to break
        pass


@pytest.mark.timeout(900)
def test_api_answers_generated_requests_without_server_errors(target: Target) -> None:
    config = schemathesis.Config.from_dict({'generation': {'with-security-parameters': False}})  # we sign in
    schema = schemathesis.openapi.from_wsgi('/openapi.json', target.client.app, config=config)
    rows, statuses, problems, operations, started = Rows(target.database), Counter[int](), {}, 0, time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        run = Run(rows, target.new_admin_session(), statuses, problems)  # logout or user edits end only this one
        for mode in EXAMPLES:
            exercise(operation, mode, run)
    log.info(
        'schemathesis: %d operations, %d requests in %.0f s; statuses %s',
        operations, statuses.total(), time.monotonic() - started, dict(sorted(statuses.items())),
    )  # fmt: skip
    assert operations > 0
    assert not problems, f'{len(problems)} problems:\n' + '\n'.join(problems.values())
