import pytest
from django.core.exceptions import ImproperlyConfigured

from rapport.core.addresses import client_ip
from rapport.core.audit import request_origin


def test_forwarded_for_from_an_untrusted_client_is_ignored(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert client_ip(request) == "198.51.100.7"
    assert request_origin(request)[0] == "198.51.100.7"


def test_forwarded_for_is_ignored_when_the_peer_is_not_a_listed_proxy(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert client_ip(request) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::1"]
    # The client forged "1.2.3.4"; our proxy appended the address it really saw.
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9, 10.0.0.7",
    )

    assert client_ip(request) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_only_gives_the_last_address_seen(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="10.0.0.8, 10.0.0.7")

    assert client_ip(request) == "10.0.0.8"


def test_garbage_in_the_chain_stops_the_walk(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1, <script>, 10.0.0.5"
    )

    assert client_ip(request) == "10.0.0.5"


def test_ports_and_brackets_are_stripped(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    v4 = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1:5555")
    v6 = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="[2001:db8::9]:443")

    assert (client_ip(v4), client_ip(v6)) == ("203.0.113.1", "2001:db8::9")


def test_a_request_without_a_peer_address_has_none(rf):
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None


def test_a_misconfigured_proxy_list_fails_loudly(rf, settings):
    settings.TRUSTED_PROXIES = ["not-an-address"]

    with pytest.raises(ImproperlyConfigured):
        client_ip(rf.get("/", REMOTE_ADDR="10.0.0.5"))


def test_any_429_without_its_own_retry_after_gets_one(rf):
    from django.http import HttpResponse

    from rapport.core.middleware import RetryAfterMiddleware

    bare = RetryAfterMiddleware(lambda r: HttpResponse(status=429))(rf.get("/"))
    exact = RetryAfterMiddleware(lambda r: HttpResponse(status=429, headers={"Retry-After": "7"}))
    ok = RetryAfterMiddleware(lambda r: HttpResponse())(rf.get("/"))

    assert bare["Retry-After"] == "60"
    assert exact(rf.get("/"))["Retry-After"] == "7"
    assert "Retry-After" not in ok
