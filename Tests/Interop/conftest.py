"""Fixtures for the interop tests: the official Python MCP SDK as an independent client of mcpkeeper."""

import os

import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def mcpkeeper_bin() -> str:
    """Absolute path of the built `mcpkeeper` binary, from MCPKEEPER_BIN (set by Tests/Interop/run.sh)."""
    path = os.environ.get("MCPKEEPER_BIN")
    if not path:
        pytest.fail(
            "MCPKEEPER_BIN is not set: run the interop tests with `bash Tests/Interop/run.sh`, "
            "or export MCPKEEPER_BIN=$(swift build --show-bin-path)/mcpkeeper",
            pytrace=False,
        )
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"MCPKEEPER_BIN={path} is not an executable file; run `swift build` first", pytrace=False)
    return path
