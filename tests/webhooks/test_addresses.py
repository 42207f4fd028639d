"""Endpoint addresses: public HTTPS only in production, so no one makes our servers call inside the network."""

import socket

import pytest
from django.core.exceptions import ValidationError

from webhooks.addresses import url_check


def _refused(url: str) -> str:
    with pytest.raises(ValidationError) as exc:
        url_check(url)
    return " ".join(exc.value.messages)


@pytest.mark.parametrize("url", [
    "https://10.0.0.5/hook",  # private
    "https://192.168.1.1/hook",
    "https://172.16.0.1/hook",
    "https://127.0.0.1/hook",  # loopback
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service (link-local)
    "https://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "https://0.0.0.0/hook",
    "https://[::ffff:10.0.0.1]/hook",  # a private IPv4 address written as IPv6
    "https://[fd00::1]/hook",  # unique local IPv6
    "https://224.0.0.1/hook",  # multicast
])
def test_private_and_local_addresses_are_refused_in_production(url):
    assert "private or local address" in _refused(url)


def test_a_host_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    def resolve(host, port, **kwargs):
        assert host == "hooks.example.org"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]  # one bad answer is enough

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert "10.1.2.3" in _refused("https://hooks.example.org/leadsgroups")


def test_a_host_name_that_does_not_resolve_is_refused(monkeypatch):
    def resolve(host, port, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert "does not resolve" in _refused("https://nowhere.invalid/hook")


def test_a_public_https_address_is_accepted(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))])
    url_check("https://hooks.example.org/leadsgroups?chapter=1")
    url_check("https://93.184.215.14:8443/hook")


@pytest.mark.parametrize("url,reason", [
    ("http://93.184.215.14/hook", "HTTPS only"),
    ("http://localhost:8000/hook", "HTTPS only"),  # plain http to localhost: development only
    ("ftp://93.184.215.14/hook", "HTTPS only"),
    ("https://user:pw@93.184.215.14/hook", "user names and passwords"),
    ("https:///hook", "full address"),
])
def test_other_schemes_and_credentials_are_refused(url, reason):
    assert reason in _refused(url)


def test_development_may_send_plain_http_to_localhost(settings):
    settings.DEBUG = True
    url_check("http://localhost:8000/hook")
    url_check("http://127.0.0.1:9000/hook")
    assert "HTTPS only" in _refused("http://93.184.215.14/hook")  # elsewhere still HTTPS
    assert "private or local address" in _refused("https://10.0.0.5/hook")  # and never the private network
