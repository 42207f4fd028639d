import pytest
import time_machine

from tests.integrity import patterns
from tests.integrity.builders import NOW, Activity


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def activity(db, now):
    return Activity(now=now)


@pytest.fixture
def pattern_chapter(db, now):
    """A chapter with each pattern once beside its near miss (tests/integrity/patterns.py), and one other chapter."""
    other = Activity(now=now)
    return patterns.build(Activity(now=now), other_chapter_activity=other)


@pytest.fixture
def overseer(db):
    """An organisation admin, and their access to any chapter (what the views hand the services)."""
    from chapters.access import ChapterAccess
    from tests.factories import UserFactory

    class Overseer:
        user = UserFactory(is_org_admin=True, full_name="Olga Overseer")

        def access(self, chapter):
            return ChapterAccess(chapter=chapter, membership=None, is_org_admin=True)

    return Overseer()
