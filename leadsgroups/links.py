"""Links to many objects of one kind, each URL pattern reversed once per process.

A sweep batch writes thousands of notices and emails, and a roll call renders two links a row:
reversing each one costs more than the rest of the row. `link_maker(name, *args)(pk)` is
`reverse(name, args=[*args, pk])`, with the pattern worked out once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

_PK = 987654321987  # stands in for the object's id while the pattern is reversed


@functools.lru_cache(maxsize=4096)
def _split(script_prefix: str, name: str, args: tuple) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[*args, _PK]).partition(str(_PK))
    return head, tail


def link_maker(name: str, *args) -> Callable[[int], str]:
    """A function of an object's id giving `reverse(name, args=[*args, id])`."""
    head, tail = _split(get_script_prefix(), name, args)
    return lambda pk: f"{head}{pk}{tail}"


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _split.cache_clear()
