"""Initiate MongoDB's single-node replica set rs0, for Rocket.Chat, where no mongosh is at hand.

GitLab CI services take a command (`--replSet rs0`) but run no init step, and
the job image (python:3.11) has no mongosh: this does what the official compose
file's mongodb-replicaset-init-container does, with pymongo.

  MONGO_HOST    the member as Rocket.Chat and MongoDB itself reach it (default mongodb:27017)
  WAIT_SECONDS  how long to wait for MongoDB to accept connections (default 120)

Exit 0 when the set is initiated, or was already; 1 with one line otherwise.
"""

from __future__ import annotations

import os
import sys
import time

from pymongo import MongoClient
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

REPLICA_SET = "rs0"
ALREADY_INITIALIZED = 23  # MongoDB's error code when the set exists: nothing to do


def _one_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def initiate(host: str, wait_seconds: float) -> str:
    """Initiate the set with `host` as its one member; what happened, or PyMongoError."""
    deadline = time.monotonic() + wait_seconds
    config = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": host}]}
    # directConnection: the member is no set's primary until this command makes it one.
    client = MongoClient(f"mongodb://{host}/?directConnection=true", serverSelectionTimeoutMS=5000)
    try:
        while True:
            try:
                client.admin.command("replSetInitiate", config)
                return f"replica set {REPLICA_SET} initiated on {host}"
            except OperationFailure as error:
                if error.code == ALREADY_INITIALIZED:
                    return f"replica set {REPLICA_SET} on {host} was initiated already"
                raise
            except ConnectionFailure:  # MongoDB not up yet: try again until the deadline
                if time.monotonic() >= deadline:
                    raise
                time.sleep(2)
    finally:
        client.close()


def main() -> int:
    host = os.environ.get("MONGO_HOST", "mongodb:27017")
    try:
        print(initiate(host, float(os.environ.get("WAIT_SECONDS", "120"))))
    except (PyMongoError, ValueError) as error:
        print(f"cannot initiate replica set {REPLICA_SET} on {host}: {_one_line(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
