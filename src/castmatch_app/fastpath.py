"""The hottest read routes, dispatched straight to their endpoint functions.

FastAPI's router tries the routes one by one through nested routers, solves each endpoint's
dependencies and wraps the call in several layers. For the API's hottest reads (search, a
talent, recommendations) that machinery cost more than the answer itself, and under 100
connections on two cores the queue it built was the tail of the latency the load gates measure.

These routes stay declared on the FastAPI app: the OpenAPI document, validation errors, other
methods and every unusual request still come from there. This layer sits innermost among the
app's middleware (inside the fault gate, gzip and the error pages) and takes only the requests
it can hand over unchanged: GET, a path that matches, path parameters that are plain decimal
integers. It calls the same endpoint function with the same arguments FastAPI would, so an
answer never depends on which way it came (``tests/app/test_fastpath.py`` holds both ways to
the same bytes).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

PARAMETER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# Up to 9 digits: every value an int path parameter of FastAPI reads the same way, without a sign,
# spaces or an exponent that its validation would treat differently.
INTEGER = "[0-9]{1,9}"


class FastPath:
    def __init__(self, app: ASGIApp, routes: Iterable[APIRoute]) -> None:
        self.app = app
        self.exact: dict[str, APIRoute] = {}
        self.patterns: list[tuple[re.Pattern[str], APIRoute]] = []
        for route in routes:
            if route.methods != {"GET"}:
                raise ValueError(f"{route.path}: only GET routes can take the fast path, not {route.methods}")
            names = PARAMETER.findall(route.path)
            hints = typing.get_type_hints(route.endpoint)
            wrong = [name for name in names if hints.get(name) is not int]
            if wrong:
                raise ValueError(f"{route.path}: path parameters {wrong} are not int; leave the route to FastAPI")
            if names:
                parts = PARAMETER.split(route.path)  # literal, name, literal, name, ..., literal
                pattern = "".join(f"(?P<{part}>{INTEGER})" if i % 2 else re.escape(part)
                                  for i, part in enumerate(parts))
                self.patterns.append((re.compile(pattern), route))
            else:
                self.exact[route.path] = route

    def match(self, path: str) -> tuple[APIRoute, dict[str, int]] | None:
        route = self.exact.get(path)
        if route is not None:
            return route, {}
        for pattern, candidate in self.patterns:
            found = pattern.fullmatch(path)
            if found:
                return candidate, {name: int(value) for name, value in found.groupdict().items()}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.match(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        # What FastAPI's router records for the matched route: the edge labels metrics by it.
        scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, params
        response: Response = await route.endpoint(Request(scope, receive), **params)
        await response(scope, receive, send)
