"""Statements prepared once per connection (leadsgroups/prepared.py): the same rows as plain SQL, one round
trip, planned once on PostgreSQL, and nothing prepared where a transaction pooler would lose it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leadsgroups.prepared import Param, Statement
from members.models import User
from tests.factories import UserFactory

STATEMENT = Statement(
    "lg_test_users",
    f"SELECT id, email FROM {User._meta.db_table} WHERE id {{ids}} AND is_active = {{active}} ORDER BY id",
    [Param("ids", "bigint", many=True), Param("active", "boolean")],
)


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def users(db):
    people = [UserFactory(email=f"p{i}@example.com") for i in range(4)]
    people[1].is_active = False
    people[1].save(update_fields=["is_active"])
    return people


def test_rows_are_those_the_values_select(users):
    ids = [u.pk for u in users[:3]]
    assert STATEMENT.run(ids=ids, active=True) == [(users[0].pk, "p0@example.com"), (users[2].pk, "p2@example.com")]
    assert STATEMENT.run(ids=[users[1].pk], active=False) == [(users[1].pk, "p1@example.com")]
    assert STATEMENT.run(ids=[], active=True) == []  # an empty list selects nothing, on every backend


def test_postgresql_prepares_once_per_connection_in_the_first_round_trip(users):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; SQLite runs the plain statement (test above)")
    statement = Statement("lg_test_users_once", STATEMENT.sql, STATEMENT.params)
    with CaptureQueriesContext(connection) as first:
        rows = statement.run(ids=[users[0].pk], active=True)
    assert rows == [(users[0].pk, "p0@example.com")]
    assert len(first) == 1 and "PREPARE lg_test_users_once" in first[0]["sql"]
    assert "lg_test_users_once" in _prepared_names()
    with CaptureQueriesContext(connection) as later:
        for _ in range(3):
            assert statement.run(ids=[users[2].pk, users[3].pk], active=True) == [
                (users[2].pk, "p2@example.com"), (users[3].pk, "p3@example.com")]
    assert [q["sql"].split(" (")[0] for q in later] == ["EXECUTE lg_test_users_once"] * 3


def test_inside_a_transaction_that_rolls_back_the_statement_still_runs_after(users):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    statement = Statement("lg_test_users_rollback", STATEMENT.sql, STATEMENT.params)
    try:
        with transaction.atomic():
            assert statement.run(ids=[users[0].pk], active=True)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert statement.run(ids=[users[0].pk], active=True) == [(users[0].pk, "p0@example.com")]


def test_nothing_is_prepared_behind_a_transaction_pooler(users, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)  # PgBouncer, transaction mode
    statement = Statement("lg_test_users_pooled", STATEMENT.sql, STATEMENT.params)
    with CaptureQueriesContext(connection) as queries:
        assert statement.run(ids=[users[0].pk], active=True) == [(users[0].pk, "p0@example.com")]
    assert "PREPARE" not in queries[0]["sql"] and "EXECUTE" not in queries[0]["sql"]
    assert "lg_test_users_pooled" not in _prepared_names()
