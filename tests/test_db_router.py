"""Read replicas: report pages read from `replica`; writes, migrations, sessions and users stay on `default`.

In tests `replica` is Django's TEST MIRROR of `default`: a second connection to the same test
database, so rows committed through one are read through the other (hence transaction=True).
"""

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from leadsgroups.db_router import ReplicaRouter, replica_reads
from meetings.models import Meeting
from members.models import User
from tests.meetings.factories import MeetingFactory

router = ReplicaRouter()


@pytest.fixture
def replica_on(settings):
    settings.REPLICA_READS = True


def test_without_a_replica_everything_reads_from_default(settings):
    settings.REPLICA_READS = False
    with replica_reads():
        assert router.db_for_read(Meeting) is None


def test_reads_go_to_the_replica_only_inside_a_report_scope(replica_on):
    assert router.db_for_read(Meeting) is None
    with replica_reads():
        assert router.db_for_read(Meeting) == "replica"
        assert router.db_for_read(User) == "default"  # the signed-in user: never a second behind
        assert router.db_for_read(Session) == "default"
    assert router.db_for_read(Meeting) is None


@pytest.mark.django_db
def test_a_read_inside_a_transaction_stays_on_the_primary(replica_on):
    with replica_reads(), transaction.atomic():
        assert router.db_for_read(Meeting) == "default"  # it may just have written what it reads


def test_writes_and_migrations_stay_on_default(replica_on):
    with replica_reads():
        assert router.db_for_write(Meeting) == "default"
    assert router.allow_migrate("default", "meetings") is True
    assert router.allow_migrate("replica", "meetings") is False


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_rows_written_on_default_are_read_through_the_replica(replica_on):
    meeting = MeetingFactory(venue="The Quay")
    with CaptureQueriesContext(connections["replica"]) as on_replica, replica_reads():
        assert Meeting.objects.get(pk=meeting.pk).venue == "The Quay"
    assert len(on_replica) == 1


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_attendance_report_reads_from_the_replica_and_the_session_from_default(client, personas, replica_on):
    personas.login(client, "president")
    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_default:
        response = client.get(personas.url("meetings:report"))
    assert response.status_code == 200
    assert on_replica, "the report read nothing from the replica"
    assert any("django_session" in q["sql"] for q in on_default)
    assert not any('FROM "django_session"' in q["sql"] or 'FROM "members_user"' in q["sql"] for q in on_replica)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_other_pages_and_posts_read_from_default(client, personas, replica_on):
    personas.login(client, "president")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(personas.url("meetings:list")).status_code == 200
    assert len(on_replica) == 0
