"""CastMatch: the reference casting platform for the Mumbai launch (FastAPI, Jinja2, SQLite).

Start it with ``castmatch-app serve`` (or ``python -m castmatch_app serve``); see ``castmatch-app --help``.

Seeded accounts (created in every fresh state database; passwords are stored as scrypt hashes):

==========================  =====================  ================  =========================
username                    password               role              owns
==========================  =====================  ================  =========================
meera@castmatch.test        Meera-Casting-2025     casting director  shortlist 1, audition 1
arjun@castmatch.test        Arjun-Casting-2025     casting director  shortlist 2, audition 2
kabir@castmatch.test        Kabir-Talent-2025      talent            talent profile 1
priya@castmatch.test        Priya-Casting-2025     casting director  (nothing: load runs book as her)
rohan@castmatch.test        Rohan-Casting-2025     casting director  (nothing: load runs book as him)
zoya@castmatch.test         Zoya-Casting-2025      casting director  (nothing: load runs book as her)
vikram@castmatch.test       Vikram-Casting-2025    casting director  (nothing: load runs book as him)
==========================  =====================  ================  =========================

Sign in on ``/signin`` or get tokens from ``POST /api/v1/oauth/token`` (form-encoded,
``grant_type=password`` with ``username`` and ``password``, or ``grant_type=refresh_token``).
Access tokens last ``CASTMATCH_ACCESS_TOKEN_TTL`` seconds (900); each refresh token works once.

Calendar webhook: ``POST /api/v1/webhooks/calendar`` signed with HMAC-SHA256 over
``<X-CastMatch-Timestamp>.<raw body>`` using ``CASTMATCH_WEBHOOK_SECRET``
(default ``castmatch-calendar-secret``), sent as ``X-CastMatch-Signature: sha256=<hex>``.

Rate limits (token buckets, ``CASTMATCH_RATE_LIMITS``, default ``api=50/100,pages=20/60``: 50 requests/s
refill with bursts of 100 for ``/api/``, 20/s with bursts of 60 for pages). A client is its verified
bearer-token user, else its signed ``cm_sid`` cookie (issued on the first page view), else its IP address.
Load generators behave like real users: each simulated user keeps its own cookie jar (or its own token),
so it gets its own bucket. Raw capacity benchmarks may run with ``--rate-limit off``. Static assets,
media, health and metrics endpoints are not limited. Refusals are ``429`` with ``Retry-After``.

Recommendations are A/B tested (experiment ``recs-2025-01``): the variant is a sticky hash of the
signed-in user, else the ``X-Client-Id`` header (an app install id), else the browser session.

Defects (``--defect NAME`` / ``CASTMATCH_DEFECTS``) are listed by ``castmatch-app defects``;
runtime faults (``--allow-fault-injection``) are set with ``POST /_test/faults``.
"""

from __future__ import annotations

__version__ = "1.0.0"
