from datetime import date

import pytest

from members.models import Membership


@pytest.fixture
def personas(personas):
    """The shared personas, seated for years (a seat taken today would be judged over a single day)."""
    Membership.objects.filter(chapter__in=[personas.chapter, personas.other_chapter]).update(joined_on=date(2020, 1, 1))
    for name in ("president", "vice_president", "treasurer", "member", "member2", "outsider"):
        getattr(personas, name).joined_on = date(2020, 1, 1)
    return personas
