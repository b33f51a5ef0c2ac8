"""What a hand-over asks PostgreSQL for the manifest's scope: once. The route decides 404/403 on
the unlocked row before it reads the body; the handler then locks the row and decides again on
what the lock holds. A second unlocked read between the two would say nothing new (issue 19)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from puebla.runtime import Runtime

SCOPE_READ = (
    "SELECT sending_country, receiving_country, reception_point, submitted_at FROM manifest"
)


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement asyncpg sends on the runtime's pool meanwhile (a query logger on each
    connection checked out), SQLAlchemy's and the driver's alike."""
    seen: list[str] = []
    loggers: list[Any] = []

    def log(record: Any) -> None:
        seen.append(" ".join(record.query.split()))

    def checked_out(dbapi_connection: Any, *_: Any) -> None:
        connection = dbapi_connection.driver_connection
        connection.add_query_logger(log)
        loggers.append(connection)

    pool = runtime.engine.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    try:
        yield seen
    finally:
        event.remove(pool, "checkout", checked_out)
        for connection in loggers:
            connection.remove_query_logger(log)


async def test_a_hand_over_reads_the_manifests_scope_once(api: Any) -> None:
    manifest = await api.dispatched()
    person = manifest["returnees"][0]["id"]
    path = f"/v1/manifests/{manifest['id']}/handovers"

    with statements(api.runtime) as sent:
        answer = await api.post(
            "border.gt.tecun", path, {"items": [{"returnee_id": person, "outcome": "received"}]}
        )

    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["outcome"] == "received"
    assert [s for s in sent if s.startswith(SCOPE_READ)] == [SCOPE_READ + " WHERE id = $1"]
    # …and the lock still decides: the locked row is read once, FOR UPDATE.
    assert len([s for s in sent if s.endswith("FOR UPDATE OF m")]) == 1, sent
