# syntax=docker/dockerfile:1
# One image for the four Puebla services and the officers' console; the command picks the
# service and the process:
#   API:     uvicorn <svc>.entrypoints.api.app:create_app --factory --host 0.0.0.0 --port 800N
#   worker:  python -m <svc>.entrypoints.worker
#   console: uvicorn console.entrypoints.app:create_app --factory --host 0.0.0.0 --port 8000
# <svc> / port: repatriation 8001, child_protection 8002, reserve_fund 8003, consular 8004.
# The console's templates, static files and gettext catalogs (.po, read at start) are package
# data under services/console/src/console/ and come with `COPY services`.
# Settings come from the environment (PUEBLA_*, <SVC>_DATABASE_URL, ...); see compose.yaml.

FROM python:3.11-slim

# Same uv as the Makefile (UV_VERSION there), from PyPI.
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app

# 1) Third-party dependencies only: this layer changes only when the lock does.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/pyproject.toml
# The development stack and test helpers (`puebla-dev`, a dev dependency): never installed
# here (--no-dev), but the workspace the lock describes names it.
COPY dev/pyproject.toml dev/pyproject.toml
COPY services/repatriation/pyproject.toml services/repatriation/pyproject.toml
COPY services/child_protection/pyproject.toml services/child_protection/pyproject.toml
COPY services/reserve_fund/pyproject.toml services/reserve_fund/pyproject.toml
COPY services/consular/pyproject.toml services/consular/pyproject.toml
COPY services/console/pyproject.toml services/console/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# 2) The workspace itself. Installed editable (uv's default) on purpose: each service finds
# its alembic.ini and migrations/ next to its sources (ServiceDefinition.service_dir), so
# the sources must stay in /app/services/<svc>, not be copied into site-packages.
COPY shared shared
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev \
 && python -m compileall -q shared/src services

# Run unprivileged; nothing under /app is writable at run time.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin puebla
USER puebla

EXPOSE 8000 8001 8002 8003 8004
CMD ["python", "-c", "import sys; sys.exit('puebla image: pass a command, e.g. uvicorn repatriation.entrypoints.api.app:create_app --factory --host 0.0.0.0 --port 8001  or  python -m repatriation.entrypoints.worker')"]
