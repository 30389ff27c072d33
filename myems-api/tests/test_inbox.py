"""Per-user inboxes: each signed-in user reads, marks and deletes only their own messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from falcon import testing

from myems_api.auth import new_token, token_hash


def signed_in(database: Any, make_user: Any, **options: Any) -> tuple[dict[str, Any], dict[str, str]]:
    user = make_user('inbox', **options)
    token = new_token()
    with database.transaction('user') as cur:
        cur.execute('INSERT INTO tbl_sessions (user_uuid, token, utc_expires) VALUES (%s, %s, %s)',
                    (user['uuid'], token_hash(token), datetime(2099, 1, 1)))  # fmt: skip
    return user, {'USER-UUID': user['uuid'], 'TOKEN': token}


def web_message(database: Any, user_id: int, subject: str, created: datetime) -> int:
    with database.transaction('fdd') as cur:
        cur.execute(
            'INSERT INTO tbl_web_messages (rule_id, user_id, subject, category, priority, message,'
            ' created_datetime_utc, start_datetime_utc, end_datetime_utc, status)'
            " VALUES (1, %s, %s, 'fault', 'high', 'text', %s, %s, %s, 'new')",
            (user_id, subject, created, created, created),
        )
        return int(cur.lastrowid)


def test_web_messages_belong_to_their_user(api: testing.TestClient, database: Any, make_user: Any) -> None:
    alice, alice_h = signed_in(database, make_user)
    bob, bob_h = signed_in(database, make_user, is_admin=True)  # an administrator sees no other inbox either
    first = web_message(database, alice['id'], 'chiller trip', datetime(2025, 3, 1, 8))
    second = web_message(database, alice['id'], 'boiler low', datetime(2025, 3, 2, 8))
    theirs = web_message(database, bob['id'], 'for bob', datetime(2025, 3, 2, 9))
    assert [m['id'] for m in api.simulate_get('/webmessages', headers=alice_h).json] == [second, first]
    in_range = api.simulate_get('/webmessages', headers=alice_h, params={'startdatetime': '2025-03-02T00:00:00'})
    assert [m['id'] for m in in_range.json] == [second]
    assert api.simulate_get(f'/webmessages/{theirs}', headers=alice_h).status_code == 404
    assert (
        api.simulate_put(f'/webmessages/{theirs}', headers=alice_h, json={'data': {'status': 'read'}}).status_code
        == 404
    )
    assert api.simulate_delete(f'/webmessages/{theirs}', headers=alice_h).status_code == 404
    assert [m['id'] for m in api.simulate_get('/webmessagesnew', headers=bob_h).json] == [theirs]
    answer = {'data': {'status': 'acknowledged', 'reply': 'reset at 08:15'}}
    assert api.simulate_put(f'/webmessages/{first}', headers=alice_h, json=answer).status_code == 200
    got = api.simulate_get(f'/webmessages/{first}', headers=alice_h).json
    assert (got['status'], got['reply']) == ('acknowledged', 'reset at 08:15')
    assert [m['id'] for m in api.simulate_get('/webmessagesnew', headers=alice_h).json] == [second]
    assert api.simulate_put('/webmessagesnew', headers=alice_h).json == {'changed': 1}
    assert api.simulate_get('/webmessagesnew', headers=alice_h).json == []
    bad = api.simulate_put(f'/webmessages/{first}', headers=alice_h, json={'data': {'status': 'gone'}})
    assert bad.status_code == 400 and bad.json['description'] == 'API.INVALID_STATUS'
    deleted = api.simulate_delete('/webmessagesbatch', headers=alice_h, json={'data': {'ids': [first, theirs]}})
    assert deleted.json == {'changed': 1}  # bob's message is not alice's to delete
    assert [m['id'] for m in api.simulate_get('/webmessages', headers=alice_h).json] == [second]
    assert [m['id'] for m in api.simulate_get('/webmessages', headers=bob_h).json] == [theirs]


def test_notifications_and_api_keys(api: testing.TestClient, database: Any, make_user: Any,
                                    make_api_key: Any) -> None:  # fmt: skip
    carol, carol_h = signed_in(database, make_user)
    with database.transaction('user') as cur:
        cur.execute("INSERT INTO tbl_notifications (user_id, created_datetime_utc, status, subject, message, url)"
                    " VALUES (%s, %s, 'new', 'Bill ready', 'March bill', '/tenantbill')",
                    (carol['id'], datetime(2025, 4, 1)))  # fmt: skip
        note = cur.lastrowid
    assert [n['subject'] for n in api.simulate_get('/notifications', headers=carol_h).json] == ['Bill ready']
    assert (
        api.simulate_put(f'/notifications/{note}', headers=carol_h, json={'data': {'status': 'read'}}).status_code
        == 200
    )
    assert api.simulate_get(f'/notifications/{note}', headers=carol_h).json['status'] == 'read'
    assert api.simulate_get('/notifications', headers=make_api_key()).status_code == 403
    assert api.simulate_get('/notifications').status_code == 401
