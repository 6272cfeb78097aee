"""Refusing to fetch private, loopback and link-local addresses (SSRF), at connect time.

A check made before the request (resolve, look, then let httpx resolve again) can be
beaten by a name that resolves to a public address once and a private one the next time
(DNS rebinding). Here the name is resolved once, every address is checked, and the
connection goes to a checked address; TLS still verifies the original host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_problem(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal is its own address)."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def refusal(host: str, addresses: list[IPAddress]) -> str | None:
    """`blocked: ...` when any address of `host` is not public; None when all are."""
    for ip in addresses:
        kind = address_problem(ip)
        if kind is not None:
            where = f"{host} resolves to {ip}," if str(ip) != host.strip("[]") else f"{host} is"
            return f"blocked: {where} a {kind} address"
    return None


async def blocked_reason(host: str, port: int | None) -> str | None:
    """The refusal for `host` before any request; a name that does not resolve passes here
    (the download then fails on its own)."""
    try:
        addresses = await resolve(host, port or 80)
    except (OSError, UnicodeError):
        return None
    return refusal(host, addresses)


class PublicOnlyNetwork(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked public addresses."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc}") from exc
        reason = refusal(host, addresses)
        if reason is not None:
            raise httpcore.ConnectError(reason)
        error: Exception | None = None
        for ip in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("blocked: unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guard_client(client: httpx.AsyncClient) -> None:
    """Make `client`'s direct connections go through PublicOnlyNetwork.

    httpx has no public hook for the network backend, so it is set on the transport's
    connection pool; a proxy configured by environment keeps its own transport.
    """
    transport = client._transport
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.AsyncConnectionPool):
        raise TypeError(f"cannot guard a {type(transport).__name__}")
    pool._network_backend = PublicOnlyNetwork(pool._network_backend)
