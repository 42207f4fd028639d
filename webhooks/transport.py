"""The one place a webhook leaves the building: an HTTP POST to an address checked just before connecting.

The host is resolved once, every address checked (`addresses.allowed_addresses`), and the connection
made to that checked address while the Host header and the TLS certificate check use the host name:
a DNS answer that changes between the check and the connection (DNS rebinding) cannot reach a private
address. Redirects are not followed (a 3xx is a failed try), and at most 64 KiB of an answer is read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from webhooks.addresses import allowed_addresses

MAX_ANSWER_BYTES = 64 * 1024


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict, timeout: float) -> int:
    """POST and return the answer's status code; raises AddressRefused, OSError or HTTPException."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = allowed_addresses(parts.hostname or "", port)[0]
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address=address, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        return answer.status
    finally:
        connection.close()
