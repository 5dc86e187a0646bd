"""A kombu transport whose socket reads ahead.

py-amqp reads every frame with three ``recv`` calls of exactly the bytes it needs next (the
7-byte header, the payload, the end octet); a delivered message is three frames, so nine
calls, each a trip through eventlet's green socket. Consuming a filled queue, that was a
quarter of the reporting service's intake. This transport asks the socket for up to
``CHUNK`` bytes at a time and serves the frames from what it holds; nothing else changes (the
frames, the timeouts, the heartbeats are py-amqp's own). TLS connections keep py-amqp's own
transport.

    kombu.Connection(uri, transport=ReadAheadTransport)
"""
from __future__ import annotations

import errno
import socket

from amqp.transport import TCPTransport
from kombu.transport import pyamqp

CHUNK = 65536


class _ReadAheadTCPTransport(TCPTransport):
    def _setup_transport(self) -> None:
        super()._setup_transport()
        self._ahead = b""  # read from the socket, not yet handed out from ``_at`` on
        self._at = 0

    def _read(self, n: int, initial: bool = False, _errnos=(errno.EAGAIN, errno.EINTR)) -> bytes:
        if self._read_buffer:
            # what py-amqp pushed back (a frame cut short by a timeout) comes first
            self._ahead, self._at = self._read_buffer + self._ahead[self._at:], 0
            self._read_buffer = b""
        at, ahead = self._at, self._ahead
        if at + n <= len(ahead):
            self._at = at + n
            return ahead[at:at + n]
        chunks, have = [ahead[at:]], len(ahead) - at
        self._ahead, self._at = b"", 0
        try:
            while have < n:
                try:
                    received = self._quick_recv(max(n - have, CHUNK))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise socket.timeout() from None
                        continue
                    raise
                if not received:
                    raise OSError("Server unexpectedly closed connection")
                chunks.append(received)
                have += len(received)
        except BaseException:
            self._read_buffer = b"".join(chunks)  # kept for the next read, as py-amqp does
            raise
        data = b"".join(chunks)
        self._ahead, self._at = data, n
        return data[:n]


class _Connection(pyamqp.Connection):
    def Transport(self, host, connect_timeout, ssl=False, read_timeout=None, write_timeout=None,  # noqa: N802
                  socket_settings=None, **kwargs):
        if ssl:
            return super().Transport(host, connect_timeout, ssl, read_timeout, write_timeout, socket_settings,
                                     **kwargs)
        return _ReadAheadTCPTransport(host, connect_timeout=connect_timeout, read_timeout=read_timeout,
                                      write_timeout=write_timeout, socket_settings=socket_settings, **kwargs)


class ReadAheadTransport(pyamqp.Transport):
    Connection = _Connection
