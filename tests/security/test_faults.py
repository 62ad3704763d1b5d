"""The database going away mid-request: a clear 503 page, no half-written records, and the retry works.

The fault is injected where it happens in real life, between two writes of one service call: the cursor raises
the driver's OperationalError (SQLite's "database is locked", PostgreSQL's "server closed the connection"), and on
PostgreSQL the connection is really closed under the request, or its server process really terminated from a
second connection (pg_terminate_backend), as a database restart does. Every table's row count is compared before
and after: nothing of the refused save may remain anywhere (household, resident, audit entries, audit trail).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

import pytest
from django.db import OperationalError, ProgrammingError, close_old_connections, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from households.models import Household, Resident
from tests.factories import HouseholdCategoryFactory, make_id_number
from wenxin.backup import table_row_counts
from wenxin.faults import server_error
from wenxin.models import User

ON_POSTGRESQL = connection.vendor == "postgresql"
POSTGRESQL_ONLY = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: a SQLite connection has no server to lose, and closing the in-memory test database "
    "would delete it (the OperationalError tests above cover SQLite)",
)
CREATE_URL = reverse("households:create")


@pytest.fixture
def new_household(places) -> dict:
    """The household-create form as a social worker of area A fills it in: a household and its head, 4+ writes."""
    category = HouseholdCategoryFactory(name="低保户", is_key=True)
    return {
        "estate": places.estate_a.pk,
        "grid_area": places.area_a.pk,
        "building": "7",
        "unit": "1",
        "room": "702",
        "phone": "13700001111",
        "categories": [category.pk],
        "head_name": "钱老伯",
        "head_id_number": make_id_number(4242),
        "head_phone": "13700002222",
    }


def browser(user: User) -> Client:
    """A signed-in client that gets the error page, as a browser would, instead of the exception re-raised."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


class FaultAtWrite:
    """A cursor wrapper that lets the first `after` writes through, then does `fault` before the next one."""

    def __init__(self, fault: Callable[[], None], *, after: int = 1) -> None:
        self.fault = fault
        self.after = after
        self.writes = 0
        self.fired = False

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.writes += 1
            if self.writes > self.after and not self.fired:
                self.fired = True
                self.fault()
        return execute(sql, params, many, context)


def driver_error(message: str) -> Callable[[], None]:
    """Raise the database driver's own OperationalError, through Django's error wrapping, as a lost server does."""

    def fault() -> None:
        with connection.wrap_database_errors:
            raise connection.Database.OperationalError(message)

    return fault


def assert_the_503_page(response: HttpResponse) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert "数据库暂时连接不上" in text
    assert "您刚才的操作没有保存" in text
    # The page names no server, table or driver message.
    assert "closed" not in text and "locked" not in text and "households_" not in text


class TestAnOperationalErrorMidRequest:
    @pytest.mark.parametrize("message", ["database is locked", "server closed the connection unexpectedly"])
    def test_a_save_that_fails_after_its_first_write_leaves_no_row_and_shows_503(
        self, message, new_household, worker_a, caplog
    ):
        client = browser(worker_a)
        before = table_row_counts()
        fault = FaultAtWrite(driver_error(message))
        with caplog.at_level(logging.ERROR, logger="django.request"), connection.execute_wrapper(fault):
            response = client.post(CREATE_URL, new_household)
        assert fault.fired and fault.writes == 2
        assert_the_503_page(response)
        assert table_row_counts() == before
        # The operator's log has the error and its traceback, under the page's status.
        (record,) = [r for r in caplog.records if r.getMessage() == "Service Unavailable: /households/new/"]
        assert record.exc_info and message in str(record.exc_info[1])

        retry = client.post(CREATE_URL, new_household)
        household = Household.objects.get(building="7", room="702")
        assert retry.status_code == 302
        assert retry["Location"] == reverse("households:detail", args=[household.pk])
        assert household.residents.get().name == "钱老伯"

    def test_a_failure_at_any_later_write_leaves_no_row_either(self, new_household, worker_a):
        client = browser(worker_a)
        before = table_row_counts()
        failed_at = []
        for after in itertools.count(1):
            fault = FaultAtWrite(driver_error("server closed the connection unexpectedly"), after=after)
            with connection.execute_wrapper(fault):
                response = client.post(CREATE_URL, new_household)
            if not fault.fired:
                break  # past the save's last write: this time it went through
            assert_the_503_page(response)
            assert table_row_counts() == before, f"rows left by a failure at write {after + 1}"
            failed_at.append(after + 1)
        # The household, its head, and their audit records: a failure was tried before each write but the first.
        assert len(failed_at) >= 3
        assert response.status_code == 302
        assert Household.objects.filter(building="7", room="702").count() == 1

    def test_a_page_whose_reading_fails_shows_503_too(self, places, worker_a):
        client = browser(worker_a)

        def fail_on_households(execute, sql, params, many, context):
            if "households_household" in sql:
                driver_error("server closed the connection unexpectedly")()
            return execute(sql, params, many, context)

        with connection.execute_wrapper(fail_on_households):
            response = client.get(reverse("households:list"))
        assert_the_503_page(response)
        assert client.get(reverse("households:list")).status_code == 200

    def test_the_first_query_of_a_request_failing_in_a_middleware_shows_503_too(self, places, worker_a):
        """The session and the user are read by middleware, before any view: the database is down from the start."""
        client = browser(worker_a)

        def fail_on_sessions(execute, sql, params, many, context):
            if "django_session" in sql:
                driver_error("could not connect to server: Connection refused")()
            return execute(sql, params, many, context)

        with connection.execute_wrapper(fail_on_sessions):
            response = client.get(reverse("households:list"))
        assert_the_503_page(response)
        assert client.get(reverse("households:list")).status_code == 200

    def test_other_errors_are_left_to_the_500_page(self, rf):
        request = rf.get("/")
        for error, status in [(ProgrammingError("syntax error"), 500), (ValueError("bug"), 500)]:
            try:
                raise error
            except Exception:
                assert server_error(request).status_code == status
        try:
            raise OperationalError("the connection is closed")
        except OperationalError:
            assert_the_503_page(server_error(request))


def _server_connection():
    """A second connection to the test database, as an administrator's psql would be."""
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


def terminate_backend() -> None:
    """Kill the server process behind Django's connection, from another connection, and wait until it is gone."""
    pid = connection.connection.info.backend_pid
    with _server_connection() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0] is True


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestThePostgreSQLConnectionLost:
    """Real connection loss, so the test runs outside a test transaction (the data is committed, then flushed)."""

    def test_the_connection_closed_between_two_writes(self, new_household, worker_a):
        client = browser(worker_a)
        before = table_row_counts()
        fault = FaultAtWrite(lambda: connection.connection.close())
        with connection.execute_wrapper(fault):
            response = client.post(CREATE_URL, new_household)
        assert fault.fired
        assert_the_503_page(response)
        assert table_row_counts() == before

        assert client.post(CREATE_URL, new_household).status_code == 302
        assert Resident.objects.filter(name="钱老伯").count() == 1

    def test_the_server_process_terminated_during_the_request(self, new_household, worker_a):
        client = browser(worker_a)
        before = table_row_counts()
        fault = FaultAtWrite(terminate_backend)
        with connection.execute_wrapper(fault):
            response = client.post(CREATE_URL, new_household)
        assert fault.fired
        assert_the_503_page(response)
        assert table_row_counts() == before

        assert client.post(CREATE_URL, new_household).status_code == 302
        assert Household.objects.filter(building="7", room="702").count() == 1

    @pytest.mark.parametrize("health_checks", [True, False])
    def test_a_kept_open_connection_lost_between_requests(self, health_checks, worker_a, settings):
        """With CONN_MAX_AGE the connection outlives the request; a database restart then kills it while idle.

        CONN_HEALTH_CHECKS finds it dead before the next request's first query and opens a new one; without the
        check that request fails (with our 503 page, still) and only the one after it works.
        """
        assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
        client = browser(worker_a)
        saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
        connection.settings_dict.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=health_checks)
        try:
            connection.close()
            assert client.get(reverse("households:list")).status_code == 200
            old_pid = connection.connection.info.backend_pid
            terminate_backend()
            # What the web server does at the start of every request (the test client leaves it out).
            close_old_connections()
            response = client.get(reverse("households:list"))
            if health_checks:
                assert response.status_code == 200
                assert connection.connection.info.backend_pid != old_pid
            else:
                assert_the_503_page(response)
                close_old_connections()  # the end of that request: the broken connection is dropped
                assert client.get(reverse("households:list")).status_code == 200
        finally:
            connection.settings_dict.update(saved)
            connection.close()
