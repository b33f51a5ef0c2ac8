"""structlog JSON logs with the current trace, routed through stdlib `logging`.

Every event, from structlog or from a library logging through stdlib (uvicorn, alembic,
sqlalchemy), ends up as one JSON object per line on stdout:

    {"event": "consumer.done", "level": "info", "logger": "puebla.messaging.consumer",
     "timestamp": "2026-11-27T02:40:00.123456Z", "service": "repatriation",
     "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", ...}

plus whatever the code bound with `structlog.contextvars` (`correlation_id`, `event_id`).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

# Third-party loggers that install their own handlers: theirs are removed and their records
# propagate to the root handler, so they come out as JSON too.
_ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_lock = threading.Lock()
_configured: tuple[str, str, bool] | None = None


def add_trace_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Adds `trace_id`/`span_id` (W3C hex) of the current span, when there is a valid one."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event_dict.setdefault("span_id", format(ctx.span_id, "016x"))
    return event_dict


class _AddService:
    def __init__(self, service: str) -> None:
        self.service = service

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", self.service)
        return event_dict


def _foreign_args(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """For stdlib records: uvicorn's access-log arguments become fields; other records'
    arguments are dropped (they are already formatted into `event`)."""
    args = event_dict.pop("positional_args", None)
    record = event_dict.get("_record")
    is_access = record is not None and record.name == "uvicorn.access"
    if is_access and isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            client=client, method=method, path=path, http_version=http_version, status=status
        )
    return event_dict


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stdout` is *now*.

    A plain StreamHandler keeps the stream it was given; when that stream is replaced and
    closed (pytest's capture does this per test), later records fail with "I/O operation on
    closed file".
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always sys.stdout


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Sets up structlog and stdlib logging for this process.

    Idempotent: calling it again with the same arguments does nothing; with other arguments
    it reconfigures (the handler is replaced, never duplicated).
    """
    global _configured
    key = (service, level.upper(), json)
    with _lock:
        if _configured == key:
            return
        shared: list[Processor] = [
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            _AddService(service),
            add_trace_context,
        ]
        structlog.configure(
            processors=[
                structlog.stdlib.filter_by_level,
                *shared,
                structlog.stdlib.PositionalArgumentsFormatter(),
                structlog.processors.StackInfoRenderer(),
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            # Loggers are created at import time, often before this runs; without a cache
            # they always follow the current configuration.
            cache_logger_on_first_use=False,
        )
        renderer: list[Processor] = (
            [
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ]
            if json
            else [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]
        )
        formatter = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _foreign_args],
            pass_foreign_args=True,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
        handler = _StdoutHandler()
        handler.setFormatter(formatter)

        # Plain handler surgery rather than logging.config.dictConfig: dictConfig closes
        # every existing handler of the process (pytest's capture handlers included).
        root = logging.root
        for old in [h for h in root.handlers if isinstance(h, _StdoutHandler)]:
            root.removeHandler(old)
        root.addHandler(handler)
        root.setLevel(key[1])
        for name in _ADOPTED_LOGGERS:
            # TID251 waived: this configures a third-party logger, it does not log.
            adopted = logging.getLogger(name)  # noqa: TID251
            if not adopted.handlers and not adopted.propagate:
                # How `uvicorn --no-access-log` leaves its access logger: switched off, and
                # it stays off (propagating it to our handler turned the access log back on).
                continue
            for h in list(adopted.handlers):
                adopted.removeHandler(h)
            adopted.propagate = True
        _configured = key


def get_logger(name: str | None = None, **initial_values: Any) -> structlog.stdlib.BoundLogger:
    """The one way code gets a logger: `log = get_logger(__name__)` at module level.

    Safe before `configure_logging` runs: the logger resolves the configuration when it
    logs, not when it is created.
    """
    if name is None:
        return structlog.stdlib.get_logger(**initial_values)
    return structlog.stdlib.get_logger(name, **initial_values)
