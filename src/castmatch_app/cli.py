"""``castmatch-app``: serve | defects | backup | restore | prepare."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from castmatch_app import __version__, defects, logs
from castmatch_app.catalog import ensure_catalog
from castmatch_app.config import Settings, parse_rate_limits

#: One BLAS thread per worker: the model's matrix-vector products take well under a millisecond,
#: and a BLAS thread pool per worker fights the workers themselves for the cores.
SERVER_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="catalogue cache directory (env CASTMATCH_DATA_DIR)")
    parser.add_argument("--state-db", help="state database file (env CASTMATCH_STATE_DB)")
    parser.add_argument("--defect", action="append", default=[], metavar="NAME",
                        help="switch on a catalogued defect; repeatable (env CASTMATCH_DEFECTS)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="castmatch-app", description="CastMatch reference app.")
    parser.add_argument("--version", action="version", version=f"castmatch-app {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (printed on stderr)")
    serve.add_argument("--fd", type=int, help="serve on this already-bound listening socket")
    serve.add_argument("--workers", type=int, default=1, help="worker processes sharing the socket")
    serve.add_argument("--allow-fault-injection", action="store_true",
                       help="mount POST /_test/faults (env CASTMATCH_FAULT_INJECTION=1)")
    serve.add_argument("--rate-limit", metavar="SPEC",
                       help="api=RATE/BURST,pages=RATE/BURST or off (env CASTMATCH_RATE_LIMITS)")
    serve.add_argument("--app", default=None, metavar="MODULE:FACTORY",
                       help="serve the app this factory makes instead of CastMatch, under the same server "
                            "(benchmarks compare against a bare app this way)")
    serve.add_argument("--drain-seconds", type=float,
                       help="how long /readyz reports draining before shutdown (env CASTMATCH_DRAIN_SECONDS)")
    _common(serve)
    listing = sub.add_parser("defects", help="print the defect catalogue")
    listing.add_argument("--json", action="store_true", help="JSON array of {name, breaks, owner, priority}")
    for name, text in (("backup", "copy the state database to PATH (online, consistent)"),
                       ("restore", "replace the state database with the backup at PATH")):
        command = sub.add_parser(name, help=text)
        command.add_argument("path", type=Path)
        _common(command)
    prepare = sub.add_parser("prepare", help="build the catalogue cache now")
    _common(prepare)
    return parser


def _apply_env(args: argparse.Namespace) -> frozenset[str]:
    """Flags become environment variables so worker processes read the same settings."""
    names = defects.parse([os.environ.get(defects.ENV_VAR, ""), *args.defect])
    os.environ[defects.ENV_VAR] = ",".join(sorted(names))
    if args.data_dir:
        os.environ["CASTMATCH_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    if args.state_db:
        os.environ["CASTMATCH_STATE_DB"] = str(Path(args.state_db).expanduser().resolve())
    defects.configure(names)
    return names


def cmd_serve(args: argparse.Namespace) -> int:
    for name, value in SERVER_THREADS.items():  # before NumPy loads, here and in every worker
        os.environ.setdefault(name, value)
    from castmatch_app import server  # uvicorn and NumPy only when serving

    if args.allow_fault_injection:
        os.environ["CASTMATCH_FAULT_INJECTION"] = "1"
    if args.rate_limit is not None:
        parse_rate_limits(args.rate_limit)  # fail before binding
        os.environ["CASTMATCH_RATE_LIMITS"] = args.rate_limit
    if args.drain_seconds is not None:
        os.environ["CASTMATCH_DRAIN_SECONDS"] = str(args.drain_seconds)
    if args.workers < 1:
        print("castmatch-app: --workers must be at least 1", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    logs.configure()
    ensure_catalog(settings.data_dir, settings.seed, settings.talents)  # once, before any worker starts
    sock = server.adopt(args.fd) if args.fd is not None else server.bind(args.host, args.port)
    if args.fd is None or args.workers > 1:
        server.announce(sock, args.workers)
    app = args.app or server.APP
    if args.workers > 1:
        return server.supervise(sock, args.workers, settings.drain_seconds, app)
    return server.serve_worker(sock, settings.drain_seconds, app)


def cmd_defects(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([d.as_json() for d in defects.CATALOGUE], indent=2))
    else:
        print(defects.table())
    return 0


def _copy(source: sqlite3.Connection, target: Path) -> None:
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # SQLite online backup: a consistent snapshot while the app keeps writing
    finally:
        dest.close()


def cmd_backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    started = time.perf_counter()
    args.path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=args.path.parent)
    os.close(fd)
    source = sqlite3.connect(f"file:{settings.state_db}?mode=ro", uri=True, timeout=30)
    try:
        _copy(source, Path(tmp))
    finally:
        source.close()
    copy = sqlite3.connect(tmp)
    try:
        if defects.active("backup-loses-rows"):
            copy.execute("DELETE FROM auditions WHERE id IN (SELECT id FROM auditions ORDER BY id DESC LIMIT "
                         "(SELECT max(1, count(*) / 10) FROM auditions))")
            copy.commit()
        counts = {t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("users", "shortlists", "shortlist_items", "auditions", "webhook_events", "applicants")}
    finally:
        copy.close()
    os.replace(tmp, args.path)
    print(json.dumps({"event": "backup", "source": str(settings.state_db), "path": str(args.path),
                      "rows": counts, "seconds": round(time.perf_counter() - started, 3)}))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not args.path.is_file():
        print(f"castmatch-app: no backup at {args.path}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    source = sqlite3.connect(f"file:{args.path}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            print(f"castmatch-app: backup {args.path} is damaged: {check}", file=sys.stderr)
            return 1
        settings.state_db.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(settings.state_db, timeout=30)
        try:
            source.backup(target)  # in place, so running app processes see the restored rows
        finally:
            target.close()
        counts = {t: source.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("users", "auditions")}
    finally:
        source.close()
    print(json.dumps({"event": "restore", "path": str(args.path), "target": str(settings.state_db),
                      "rows": counts, "seconds": round(time.perf_counter() - started, 3)}))
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    settings = Settings.from_env()
    path = ensure_catalog(settings.data_dir, settings.seed, settings.talents)
    print(json.dumps({"event": "prepared", "catalog": str(path)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "defects":
        try:
            _apply_env(args)
        except defects.UnknownDefectError as exc:
            print(f"castmatch-app: {exc}", file=sys.stderr)
            return 2
    logging.captureWarnings(True)
    handlers = {"serve": cmd_serve, "defects": cmd_defects, "backup": cmd_backup, "restore": cmd_restore,
                "prepare": cmd_prepare}
    return handlers[args.command](args)
