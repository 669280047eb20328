"""Gunicorn settings for the CSOS image (``gunicorn csos.wsgi --config gunicorn.conf.py``).

Each worker process runs a few threads: most requests wait on PostgreSQL, not on the CPU.
Every value can be changed from the environment without rebuilding the image.
Logs go to stdout and stderr, where Docker collects them.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master, before the port opens: workers fork ready to answer, share
# the imported code's memory, and the first health probe never waits on a cold import.
preload_app = True
# Recycle workers now and then so a slow leak never takes a web container down.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Worker heartbeats on tmpfs: a container's disk can stall long enough to look like a hang.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket: containers are replaced, not reconfigured in place.
control_socket_disable = True
