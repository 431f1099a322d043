"""What `isg-lsp mcp`'s command line may say: the HTTP address, the bearer token, and the errors that stop it."""

from __future__ import annotations

import ipaddress
import os

TOKEN_ENV = "ISG_LSP_MCP_TOKEN"


class ConfigError(ValueError):
    """A command line the server cannot start with (the message says why)."""


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8765), not {text!r}")
    host = host.strip("[]")
    port_number = int(port)
    if port_number > 65535:
        raise ConfigError(f"no such port: {port_number}")
    return host, port_number


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None) -> str | None:
    if token_file:
        try:
            token = open(token_file, encoding="utf-8").read().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the token file {token_file}: {error.strerror or error}") from None
        if not token:
            raise ConfigError(f"the token file {token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None
