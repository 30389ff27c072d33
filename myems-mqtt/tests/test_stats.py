from __future__ import annotations

from myems_mqtt.stats import RateLimit, TopicStats


def test_rate_limit_holds_back_and_counts() -> None:
    now = [0.0]
    limit = RateLimit(60, clock=lambda: now[0])
    assert limit.allow('a') == (True, 0)
    assert limit.allow('a') == (False, 0)
    assert limit.allow('b') == (True, 0)
    now[0] = 30
    assert limit.allow('a') == (False, 0)
    now[0] = 61
    assert limit.allow('a') == (True, 2)
    assert limit.allow('a') == (False, 0)


def test_topic_stats() -> None:
    stats = TopicStats()
    stats.accept('t', 2)
    stats.reject('t', 'not JSON')
    stats.reject('t', 'not JSON')
    stats.reject('t', 'bad timestamp')
    stats.reject('u', 'not JSON')
    assert stats.accepted_on('t') == 2
    assert stats.rejected_on('t') == 3 and stats.rejected_on('t', 'not JSON') == 2
    assert stats.totals() == (2, 4)
