"""The ticket proxy against a workflow service on loopback (workflow.py beside this file)."""

from __future__ import annotations

from typing import Any

import pytest
from falcon import testing

from myems_api.app import create_app

PERIOD = {'startdatetime': '2026-01-01T00:00:00', 'enddatetime': '2026-02-01T00:00:00', 'status': 'new'}


@pytest.fixture(scope='module')
def proxied(settings: Any, database: Any, workflow_service: Any) -> testing.TestClient:
    return testing.TestClient(create_app(workflow_service.settings_for(settings), database))


def test_tickets_are_listed_read_updated_and_deleted_through_the_service(
    proxied: testing.TestClient, workflow_service: Any, admin_headers: dict[str, str]
) -> None:
    workflow_service.tickets.update({7: {'id': 7, 'title': 'Chiller alarm', 'state': 'new'}})
    listed = proxied.simulate_get('/tickets', headers=admin_headers, params=PERIOD)
    assert listed.status_code == 200, listed.text
    assert listed.json['data']['value'][0]['title'] == 'Chiller alarm'
    method, path, query, _ = workflow_service.requests[-1]
    assert (method, path, query['status'], query['per_page']) == ('GET', '/api/v1.0/tickets', ['new'], ['20'])
    assert proxied.simulate_get('/tickets/7', headers=admin_headers).json['data']['state'] == 'new'
    updated = proxied.simulate_put(
        '/tickets/7', headers=admin_headers, json={'data': {'state': 'acknowledged', 'cost': 12.5}}
    )
    assert updated.status_code == 200 and workflow_service.tickets[7]['state'] == 'acknowledged'
    assert workflow_service.tickets[7]['cost'] == 12.5  # numbers (parsed as Decimal) are forwarded
    assert proxied.simulate_delete('/tickets/7', headers=admin_headers).status_code == 204
    gone = proxied.simulate_get('/tickets/7', headers=admin_headers)
    assert gone.status_code == 404 and gone.json['description'] == 'API.TICKET_NOT_FOUND'


@pytest.mark.parametrize(
    ('params', 'code'),
    [
        ({**PERIOD, 'startdatetime': '2026-13-01T00:00:00'}, 'API.INVALID_START_DATETIME_FORMAT'),
        ({**PERIOD, 'enddatetime': ''}, 'API.INVALID_END_DATETIME_FORMAT'),
        ({**PERIOD, 'enddatetime': '2025-01-01T00:00:00'}, 'API.START_DATETIME_MUST_BE_EARLIER_THAN_END_DATETIME'),
        ({**PERIOD, 'status': 'closed'}, 'API.INVALID_STATUS'),
    ],
)
def test_bad_queries_are_refused_before_the_service_is_called(
    params: dict[str, str], code: str, proxied: testing.TestClient, workflow_service: Any, admin_headers: Any
) -> None:
    before = len(workflow_service.requests)
    refused = proxied.simulate_get('/tickets', headers=admin_headers, params=params)
    assert refused.status_code == 400 and refused.json['description'] == code
    assert len(workflow_service.requests) == before


def test_without_a_service_or_with_a_wrong_token(
    api: testing.TestClient, settings: Any, database: Any, workflow_service: Any, admin_headers: Any, make_user: Any,
    sign_in: Any,
) -> None:  # fmt: skip
    import dataclasses

    unconfigured = api.simulate_get('/tickets/1', headers=admin_headers)
    assert unconfigured.status_code == 503 and unconfigured.json['description'] == 'API.WORKFLOW_NOT_CONFIGURED'
    wrong = dataclasses.replace(workflow_service.settings_for(settings), workflow_token='guess')
    refused = testing.TestClient(create_app(wrong, database)).simulate_get('/tickets/1', headers=admin_headers)
    assert refused.status_code == 502 and '401' in refused.json['message']
    reader = sign_in(make_user('ticketreader', is_read_only=True))
    proxied = testing.TestClient(create_app(workflow_service.settings_for(settings), database))
    assert proxied.simulate_delete('/tickets/1', headers=reader).status_code == 403
    assert proxied.simulate_get('/tickets/1').status_code == 401
