"""Which addresses a webhook may be sent to: public HTTPS only, so an endpoint cannot reach inside our network.

A URL pointing at a private, loopback, link-local or otherwise non-public address would let a chapter's
leader make our servers call internal services (server-side request forgery). The URL is checked when
it is registered, and every address its host resolves to is checked again when each delivery is sent
(`transport.post` then connects to that very address, so a DNS answer that changes in between cannot
slip a private one in). With DEBUG on, http://localhost (and 127.0.0.1, ::1) is allowed for development.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class AddressRefused(Exception):
    """The endpoint's host is, or resolves to, an address we do not send to."""


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(value.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip


def ip_allowed(value: str) -> bool:
    """A public unicast address; loopback too while DEBUG is on (a receiver on the developer's machine)."""
    ip = _ip(value)
    if settings.DEBUG and ip.is_loopback:
        return True
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (an IP literal resolves to itself, without DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(_("The host name %(host)s does not resolve.") % {"host": host}) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def allowed_addresses(host: str, port: int) -> list[str]:
    """The host's addresses, refused as a whole when any of them is not public (one bad answer is enough)."""
    addresses = resolve(host, port)
    refused = [a for a in addresses if not ip_allowed(a)]
    if refused or not addresses:
        raise AddressRefused(
            _("%(host)s points at a private or local address (%(address)s): webhooks go to public addresses only.")
            % {"host": host, "address": (refused or ["?"])[0]}
        )
    return addresses


def url_check(url: str) -> None:
    """Refuse an endpoint URL we would not send to; raises ValidationError with the reason."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError(_("Enter a full address, such as https://hooks.example.org/leadsgroups."), code="url")
    if parts.username or parts.password:
        raise ValidationError(_("Leave user names and passwords out of the address."), code="url")
    local_http = settings.DEBUG and parts.scheme == "http" and host in LOCAL_HOSTS
    if parts.scheme != "https" and not local_http:
        raise ValidationError(_("Webhooks are sent over HTTPS only: the address must start with https://."),
                              code="scheme")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError(_("The port of this address is not a number from 1 to 65535."), code="url") from exc
    try:
        allowed_addresses(host, port)
    except AddressRefused as exc:
        raise ValidationError(str(exc), code="address") from exc
