"""Configuration, read once from environment variables (documented in README.md)."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    data_dir: Path
    secret_key: str
    pii_keys: tuple[tuple[str, str], ...]
    pii_hash_key: str
    token_ttl_hours: int
    max_upload_mb: int
    max_request_mb: int
    login_slow_after: int
    login_block_after: int
    login_window_seconds: int
    max_query_depth: int
    max_query_tokens: int
    max_query_aliases: int
    max_query_cost: int
    max_query_objects: int
    query_bounds_ttl_seconds: int
    document_url_ttl_seconds: int
    argon2_time_cost: int
    argon2_memory_kib: int
    log_level: str
    queue_name: str
    cors_origins: tuple[str, ...] = ()
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_pool_timeout_seconds: int = 30
    token_cache_seconds: int = 30
    worker_nice: int = 10  # WORKER_NICE: how much a worker process yields the CPU to requests (jobs/worker.main)
    storage_url: str = ""  # STORAGE_URL: s3://bucket/prefix for an object store; empty: DATA_DIR/files

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def sqlalchemy_url(self) -> str:
        """The asyncpg flavour of DATABASE_URL (postgresql://… is accepted as is)."""
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix):]
        return url


def _origins(value: str) -> tuple[str, ...]:
    """CORS_ORIGINS: comma- or space-separated origins such as https://portal.example.cn."""
    return tuple(o.strip().rstrip("/") for o in value.replace(",", " ").split() if o.strip())


def _generated(data_dir: Path, name: str, make) -> str:
    """A secret generated once and kept in the data folder (single-machine use). Linked into
    place, so processes starting together all keep the first one written (a second PII key
    would seal numbers no other process could open)."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{name}.{os.getpid()}"
        tmp.write_text(make())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _secret_key(data_dir: Path) -> str:
    return os.environ.get("SECRET_KEY") or _generated(data_dir, "secret_key", lambda: secrets.token_urlsafe(48))


def _pii_keys(data_dir: Path) -> tuple[tuple[str, str], ...]:
    """PII_KEYS: `id:base64key` pairs, comma-separated, the one that encrypts first (the others
    still decrypt, during a rotation); or one generated once into the data folder. Never in the
    database: a copy of the database alone reads no ID number."""
    raw = os.environ.get("PII_KEYS") or _generated(
        data_dir, "pii_keys", lambda: "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    pairs = []
    for item in raw.split(","):
        key_id, sep, key = item.strip().partition(":")
        if not sep or not key_id or not key:
            raise ValueError("PII_KEYS: each key is written id:base64key")
        pairs.append((key_id, key))
    return tuple(pairs)


def _pii_hash_key(data_dir: Path) -> str:
    """PII_HASH_KEY: the HMAC key of the matching hashes; kept when encryption keys rotate."""
    return os.environ.get("PII_HASH_KEY") or _generated(data_dir, "pii_hash_key", lambda: secrets.token_urlsafe(32))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("DATA_DIR", PROJECT_ROOT / ".data")).resolve()
    return Settings(
        database_url=os.environ.get("DATABASE_URL", ""),
        redis_url=os.environ.get("REDIS_URL", ""),
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        pii_keys=_pii_keys(data_dir),
        pii_hash_key=_pii_hash_key(data_dir),
        token_ttl_hours=_int("TOKEN_TTL_HOURS", 12),
        max_upload_mb=_int("MAX_UPLOAD_MB", 10),
        max_request_mb=_int("MAX_REQUEST_MB", 60),
        login_slow_after=_int("LOGIN_SLOW_AFTER", 3),
        login_block_after=_int("LOGIN_BLOCK_AFTER", 20),
        login_window_seconds=_int("LOGIN_WINDOW_SECONDS", 900),
        max_query_depth=_int("MAX_QUERY_DEPTH", 12),
        max_query_tokens=_int("MAX_QUERY_TOKENS", 5000),
        max_query_aliases=_int("MAX_QUERY_ALIASES", 30),
        max_query_cost=_int("MAX_QUERY_COST", 300000),
        max_query_objects=_int("MAX_QUERY_OBJECTS", 50000),
        query_bounds_ttl_seconds=_int("QUERY_BOUNDS_TTL_SECONDS", 300),
        document_url_ttl_seconds=_int("DOCUMENT_URL_TTL_SECONDS", 900),
        argon2_time_cost=_int("ARGON2_TIME_COST", 3),
        argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 65536),
        log_level=os.environ.get("LOG_LEVEL", "INFO"),
        queue_name=os.environ.get("ARQ_QUEUE", "arq:queue"),
        cors_origins=_origins(os.environ.get("CORS_ORIGINS", "")),
        db_pool_size=_int("DB_POOL_SIZE", 20),
        db_max_overflow=_int("DB_MAX_OVERFLOW", 0),
        db_pool_timeout_seconds=_int("DB_POOL_TIMEOUT_SECONDS", 30),
        token_cache_seconds=_int("TOKEN_CACHE_SECONDS", 30),
        worker_nice=_int("WORKER_NICE", 10),
        storage_url=os.environ.get("STORAGE_URL", "").strip(),
    )
