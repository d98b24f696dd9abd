"""`lifeos-server`: run the sync relay and catalog server (uvicorn).

lifeos-server --host 127.0.0.1 --port 8600 --data DIR        # SQLite in DIR/sync.db
DATABASE_URL=postgresql://user@host/db lifeos-server ...      # PostgreSQL
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from backend.app import create_app
from backend.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lifeos-server", description="LifeOS Coach sync relay and catalog")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--data", type=Path, default=Path("server-data"), help="folder of the SQLite file")
    parser.add_argument("--catalog", type=Path, help="folder with catalog.json and its coach packs")
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second per account")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--workers-threads", type=int, default=8, help="database connections")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or str(args.data / "sync.db")
    if args.catalog is not None and not (args.catalog / "catalog.json").is_file():
        print(f"lifeos-server: {args.catalog}/catalog.json not found", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    store = Store(url, pool_size=args.workers_threads)
    app = create_app(store, catalog_dir=args.catalog, rate_per_s=args.rate, burst=args.burst)
    import uvicorn

    where = "PostgreSQL" if store.postgres else url
    print(
        f"lifeos-server on http://{args.host}:{args.port} storing into {where}", file=sys.stderr, flush=True
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
