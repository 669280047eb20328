# CSOS production image. One image runs every role; the command picks it:
#   web     gunicorn csos.wsgi --config gunicorn.conf.py   (the default)
#   worker  celery -A csos worker
#   beat    celery -A csos beat
#   once    python manage.py migrate --no-input
# docker-compose.yml wires them together; docs/deploy.md explains the settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_COMPILE_BYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# make runs the README's install step. Nothing else is needed: psycopg[binary] bundles libpq,
# and numpy and pandas install from manylinux wheels, so there is no compiler in the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies before the code, so a code change does not reinstall them.
# `make install` is the README's step: a venv with uv, then `uv pip sync requirements/base.txt`.
COPY Makefile ./
COPY requirements/base.txt requirements/base.txt
RUN make install PYTHON=/usr/local/bin/python3 VENV=/opt/venv

COPY . .

# whitenoise serves the collected files. The code is compiled here because the running
# container cannot write next to it (uv compiled the dependencies at install). Production
# settings refuse to load without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (which
# collectstatic never connects to), so this step alone gets
# throwaway values; they are not part of any later layer and never reach a running container.
RUN DEBUG=false DATABASE_URL=postgres://build.invalid/csos \
    SECRET_KEY=build-only-collectstatic-key-not-for-runtime-0123456789abcdef \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --no-input \
    && python -m compileall -q accounts csos health playbooks stakeholders value

# The code stays root-owned and read-only to the app user; /var/lib/csos is its only
# writable place (Celery beat keeps its schedule there, on a volume).
RUN groupadd --system --gid 10001 csos \
    && useradd --system --uid 10001 --gid csos --home-dir /var/lib/csos --no-create-home \
        --shell /usr/sbin/nologin csos \
    && install -d -o csos -g csos -m 0750 /var/lib/csos
USER csos:csos

EXPOSE 8000

# /healthz runs SELECT 1. The probe names an allowed host and says the request came through
# the TLS proxy, so DisallowedHost and SECURE_SSL_REDIRECT do not turn it into a 400 or 301.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); r.urlopen(r.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', headers={'Host': h if h not in ('', '*') else 'localhost', 'X-Forwarded-Proto': 'https'}), timeout=5)"]

CMD ["gunicorn", "csos.wsgi", "--config", "gunicorn.conf.py"]
