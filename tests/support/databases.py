"""Fresh PostgreSQL databases and a Redis check for tests (the services run on every machine)."""

from __future__ import annotations

import os
import socket

import psycopg2

POSTGRES_ADMIN_URL = os.environ.get("POPLIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def fresh_postgres_database(name: str) -> str:
    """Drops and recreates database `name`; returns its URL."""
    connection = psycopg2.connect(POSTGRES_ADMIN_URL)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def redis_is_up() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False
