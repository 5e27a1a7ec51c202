"""Abuse limits in the service: failed log-ins per name and per client, sign-ups per client, messages per session."""

from __future__ import annotations

import pytest

from tutor.errors import ConfigError, NotAllowedError, RateLimitedError
from tutor.service_limits import AbuseLimits, LimitPolicy
from tutor.service_views import TurnResult
from tutor.settings import Settings


def test_failed_log_ins_lock_the_name_for_a_while_and_good_ones_do_not_count(service):
    service.limits = AbuseLimits(LimitPolicy(failed_logins_per_name="2/minute"))
    service.sign_up("ada", "correct horse", client="10.0.0.1")
    for _ in range(4):  # right passwords are not counted
        assert service.log_in("ada", "correct horse", client="10.0.0.1").username == "ada"
    for _ in range(2):
        with pytest.raises(NotAllowedError, match="wrong username or password"):
            service.log_in("ADA", "wrong password", client="10.0.0.2")  # names are compared case-folded
    with pytest.raises(RateLimitedError) as info:
        service.log_in("ada", "correct horse", client="10.0.0.3")  # even the right password, from anywhere
    assert "too many failed log-ins for this user name" in str(info.value) and "try again in" in str(info.value)
    service.sign_up("bea", "correct horse", client="10.0.0.1")
    assert service.log_in("bea", "correct horse", client="10.0.0.2").username == "bea"  # other names are free


def test_failed_log_ins_from_one_client_are_limited_across_names(service):
    service.limits = AbuseLimits(LimitPolicy(failed_logins_per_client="3/minute"))
    for name in ("cy", "dee", "eli"):
        with pytest.raises(NotAllowedError, match="wrong username"):
            service.log_in(name, "guessing!!", client="10.0.0.9")
    with pytest.raises(RateLimitedError, match="from this computer"):
        service.log_in("fay", "guessing!!", client="10.0.0.9")
    with pytest.raises(NotAllowedError, match="wrong username"):  # another client is not affected
        service.log_in("fay", "guessing!!", client="10.0.0.8")


def test_sign_ups_per_client_are_limited(service):
    service.limits = AbuseLimits(LimitPolicy(signups_per_client="2/hour"))
    service.sign_up("gil", "correct horse", client="10.0.0.5")
    service.sign_up("hana", "correct horse", client="10.0.0.5")
    with pytest.raises(RateLimitedError, match="too many sign-ups"):
        service.sign_up("ivo", "correct horse", client="10.0.0.5")
    assert service.sign_up("ivo", "correct horse", client="10.0.0.6").username == "ivo"


def test_messages_per_session_are_limited_and_a_refused_one_is_not_stored(service):
    service.limits = AbuseLimits(LimitPolicy(messages_per_session="2/minute"))
    jo = service.sign_up("jo", "correct horse")
    first = service.start(jo, problem_id="toy-math-pencils").session_id
    second = service.start(jo, problem_id="toy-math-school-trip").session_id
    for text in ("is it 7.40?", "maybe 28?"):
        assert any(isinstance(item, TurnResult) for item in service.send(jo, first, text))
    with pytest.raises(RateLimitedError, match="too many messages in this session"):
        list(service.send(jo, first, "or 3?"))
    assert [m.text for m in service.open(jo, first).messages if m.role == "student"] == ["is it 7.40?", "maybe 28?"]
    assert any(isinstance(item, TurnResult) for item in service.send(jo, second, "3 buses?"))  # per session


def test_an_unreadable_limit_is_a_clear_settings_error(monkeypatch):
    monkeypatch.setenv("TUTOR_ACCESS__LIMITS__MESSAGES_PER_SESSION", "lots")
    with pytest.raises(ConfigError, match="access.limits.messages_per_session.*'lots' is not a rate limit"):
        Settings.load()


def test_limits_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("TUTOR_ACCESS__LIMITS__SIGNUPS_PER_CLIENT", "1/hour")
    assert AbuseLimits(Settings.load().access.limits).policy.signups_per_client == "1/hour"
