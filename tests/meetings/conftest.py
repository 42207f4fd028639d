from datetime import date

import pytest


@pytest.fixture
def personas(personas):
    """The shared personas, seated since long before any meeting these tests hold."""
    personas.chapter.memberships.update(joined_on=date(2020, 1, 1))
    return personas
