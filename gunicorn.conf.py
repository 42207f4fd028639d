"""Gunicorn's settings, one file for every way the web process starts: the Dockerfile, docker-compose.yml
and the Procfile all run `gunicorn -c gunicorn.conf.py leadsgroups.wsgi` (README "Production").

Environment: PORT (8000), BIND_ADDRESS (0.0.0.0; 127.0.0.1 when a proxy on the same machine is the
only client), WEB_CONCURRENCY (3 worker processes) and FORWARDED_ALLOW_IPS (see below).
"""

import os

bind = [f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104 - behind the proxy

# Synchronous workers, one request each: every page answers in well under a second (README "Scaling
# out"), and the proxy in front reads slow clients' requests for them (deploy/Caddyfile). About
# 2 × cores + 1 per machine; each holds up to one database connection.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))

# A request still running after 30 s is stuck (a lock wait, a hung outside service), not slow: every
# page measured at scale answers within 44 ms (p95, README "Scaling out"), and nothing the app does
# in a request waits on the outside world (email goes through the outbox). Killing it frees the
# worker for everyone else; the proxy answers that one request with a 502.
timeout = 30
# On SIGTERM (a deploy, `docker compose stop`), requests in flight may finish: as long as any may run.
# docker-compose.yml gives the container longer than this before it kills it.
graceful_timeout = 30
# X-Forwarded-Proto is believed only from these addresses (wsgi.url_scheme); Django decides HTTPS
# from SECURE_PROXY_SSL_HEADER itself. In docker-compose.yml only Caddy can reach web, which sets
# FORWARDED_ALLOW_IPS=*; elsewhere the default trusts a proxy on the same machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No access log of gunicorn's: the app logs each request once itself (leadsgroups/request_id.py: method,
# path, status, time taken, user, the client's address behind the proxy and the request id, as JSON in
# production). ACCESS_LOG=- turns gunicorn's on as well, e.g. to see requests the app never answered.
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# The workers' heartbeat files in memory: on a container's overlay filesystem a write can stall a
# worker long enough for the arbiter to think it hung.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's own advice for containers; the files hold no data
if os.path.isdir(SHM):
    worker_tmp_dir = SHM
