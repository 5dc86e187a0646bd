"""The consumer's read-ahead transport hands py-amqp the very frames the socket carried: in
order, whole, however the bytes arrive (many frames in one read, one frame over several), and
a frame cut short by a read timeout is completed by the next read, not lost or duplicated."""
from __future__ import annotations

import socket
import struct
import threading

import pytest

from shared.messaging import readahead
from shared.messaging.readahead import _ReadAheadTCPTransport


def frame(channel: int, payload: bytes, kind: int = 1) -> bytes:
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


@pytest.fixture
def wire():
    ours, theirs = socket.socketpair()
    transport = _ReadAheadTCPTransport.__new__(_ReadAheadTCPTransport)
    transport.sock, transport.connected, transport.raise_on_initial_eintr = ours, True, True
    transport._setup_transport()
    yield transport, theirs
    ours.close()
    theirs.close()


def test_many_frames_sent_at_once_are_read_one_by_one_in_order(wire):
    transport, peer = wire
    payloads = [bytes([i % 256]) * (i * 37 % 3000) for i in range(200)]
    sender = threading.Thread(target=peer.sendall, args=(b"".join(frame(i, p) for i, p in enumerate(payloads)),))
    sender.start()  # more than the socket's buffer holds: sent while it is read
    assert [transport.read_frame() for _ in payloads] == [(1, i, p) for i, p in enumerate(payloads)]
    sender.join()


def test_a_frame_larger_than_what_is_read_at_once_arrives_whole(wire, monkeypatch):
    monkeypatch.setattr(readahead, "CHUNK", 1000)
    transport, peer = wire
    big = bytes(range(256)) * 40  # 10,240 bytes: eleven reads
    peer.sendall(frame(3, big) + frame(4, b"next"))
    assert transport.read_frame() == (1, 3, big)
    assert transport.read_frame() == (1, 4, b"next")


def test_a_frame_cut_short_by_a_timeout_is_completed_by_the_next_read(wire):
    transport, peer = wire
    transport.sock.settimeout(0.05)
    whole = frame(1, b"first") + frame(2, b"x" * 500)
    peer.sendall(whole[:len(frame(1, b"first")) + 100])  # the second frame's header and part of it
    assert transport.read_frame() == (1, 1, b"first")
    with pytest.raises(socket.timeout):
        transport.read_frame()
    peer.sendall(whole[len(frame(1, b"first")) + 100:] + frame(3, b"third"))
    assert transport.read_frame() == (1, 2, b"x" * 500)
    assert transport.read_frame() == (1, 3, b"third")


def test_a_closed_connection_is_an_error_not_an_empty_frame(wire):
    transport, peer = wire
    peer.sendall(frame(1, b"last")[:5])
    peer.close()
    with pytest.raises(OSError):
        transport.read_frame()
