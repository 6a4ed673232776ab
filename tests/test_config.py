"""Settings from the environment: flags read strictly, with a message naming the variable."""

from __future__ import annotations

import pytest

from kg.config import ConfigError, Settings
from fastapi import FastAPI

from kg.web.serving.server import server_config


@pytest.mark.parametrize("raw, expected", [("1", True), ("on", True), ("TRUE", True), ("0", False), ("no", False), ("", False)])
def test_access_log_flag(monkeypatch, raw, expected):
    monkeypatch.setenv("KG_ACCESS_LOG", raw)
    settings = Settings.from_env()
    assert settings.access_log is expected
    assert server_config(FastAPI(), settings, "127.0.0.1", 8000).access_log is expected


def test_access_log_is_off_by_default(monkeypatch):
    monkeypatch.delenv("KG_ACCESS_LOG", raising=False)
    assert Settings.from_env().access_log is False


def test_bad_flag_names_the_variable(monkeypatch):
    monkeypatch.setenv("KG_ACCESS_LOG", "sometimes")
    with pytest.raises(ConfigError, match="KG_ACCESS_LOG='sometimes' must be 1 or 0"):
        Settings.from_env()


@pytest.mark.parametrize("name, field, default", [
    ("KG_MEMORY_STORE_TRIPLES", "memory_store_triples", 200_000),
    ("KG_INLINE_ROWS", "inline_rows", 100),
])
def test_sizes_that_may_be_zero_but_not_negative(monkeypatch, name, field, default):
    monkeypatch.delenv(name, raising=False)
    assert getattr(Settings.from_env(), field) == default
    monkeypatch.setenv(name, "0")
    assert getattr(Settings.from_env(), field) == 0
    monkeypatch.setenv(name, "-1")
    with pytest.raises(ConfigError, match=f"{name}=-1 must be at least 0"):
        Settings.from_env()


@pytest.mark.parametrize("cores, triples, remote, expected", [
    (1, 6_000, False, 1), (2, 6_000, False, 2), (16, 6_000, False, 2),  # held in memory: a core each, at most 2
    (16, 200_000, False, 2), (16, 200_001, False, 1),  # on disk: one
    (16, 10**6, True, 2), (1, 10**6, True, 1),  # a remote store: no workers holding anything
])
def test_processes_auto(monkeypatch, cores, triples, remote, expected):
    from types import SimpleNamespace

    from kg.web.serving.server import front_end_processes

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.delenv("KG_MEMORY_STORE_TRIPLES", raising=False)  # the default: 200,000
    build = SimpleNamespace(triples=triples)
    for raw in (None, "auto", "Auto"):
        if raw is None:
            monkeypatch.delenv("KG_PROCESSES", raising=False)
        else:
            monkeypatch.setenv("KG_PROCESSES", raw)
        settings = Settings.from_env()
        assert settings.processes is None
        assert front_end_processes(settings, build, remote) == expected
    monkeypatch.setenv("KG_PROCESSES", "3")
    assert front_end_processes(Settings.from_env(), build, remote) == 3


def test_processes_as_a_number(monkeypatch):
    monkeypatch.setenv("KG_PROCESSES", "3")
    assert Settings.from_env().processes == 3
    for raw, says in (("0", "KG_PROCESSES=0 must be at least 1"), ("2.5", "KG_PROCESSES='2.5' is neither")):
        monkeypatch.setenv("KG_PROCESSES", raw)
        with pytest.raises(ConfigError, match=says):
            Settings.from_env()


def test_http_server(monkeypatch):
    monkeypatch.delenv("KG_HTTP_SERVER", raising=False)
    assert Settings.from_env().http_server == "granian"
    assert Settings.from_env().request_target_limit == 65_534
    monkeypatch.setenv("KG_HTTP_SERVER", " Uvicorn ")
    assert Settings.from_env().http_server == "uvicorn"
    assert Settings.from_env().request_target_limit is None
    monkeypatch.setenv("KG_HTTP_SERVER", "hypercorn")
    with pytest.raises(ConfigError, match="KG_HTTP_SERVER='hypercorn' is not one of granian, uvicorn"):
        Settings.from_env()


def test_store_dataset(monkeypatch):
    monkeypatch.delenv("KG_STORE_DATASET", raising=False)
    assert Settings.from_env().store_dataset == "named"
    monkeypatch.setenv("KG_STORE_DATASET", " UNION")
    assert Settings.from_env().store_dataset == "union"
    monkeypatch.setenv("KG_STORE_DATASET", "all")
    with pytest.raises(ConfigError, match="KG_STORE_DATASET='all' is not one of named, union"):
        Settings.from_env()
