"""SIGKILL a writer at random moments: the image stays free of corruption (leaks allowed, and
`check --repair` reclaims them), and everything written before the last flush() reads back."""

import os
import random
import signal
import struct
import time

import pytest

from disks import create_image, open_image
from disks.ops import check_image
from tests.disks.conftest import QEMU_IMG, qemu_check

SIZE = 2 << 20
OPS_PER_FLUSH = 4
KILL_POINTS = 200


def _ops(seed: int):
    """The writer's deterministic sequence of writes: (offset, bytes)."""
    rng = random.Random(seed)
    while True:
        n = rng.randrange(1, 20000)
        off = rng.randrange(0, SIZE - n)
        yield off, bytes([rng.randrange(1, 256)]) * n


def _writer(path: str, seed: int, pipe_w: int) -> None:
    with open_image(path) as img:
        for i, (off, data) in enumerate(_ops(seed), start=1):
            img.write(off, data)
            if i % OPS_PER_FLUSH == 0:
                img.flush()
                os.write(pipe_w, struct.pack("<I", i))   # everything up to op i is durable


def _kill_once(tmp_path, point: int) -> tuple[int, int]:
    path = str(tmp_path / f"crash{point}.qcow2")
    cluster = (512, 4096, 65536)[point % 3]
    create_image(path, SIZE, cluster_size=cluster)
    rng = random.Random(point)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # the writer
        os.close(r)
        try:
            _writer(path, point, w)
        finally:
            os._exit(0)
    os.close(w)
    time.sleep(rng.uniform(0.002, 0.08))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    reports = b""
    while chunk := os.read(r, 4096):
        reports += chunk
    os.close(r)
    durable = struct.unpack_from("<I", reports, len(reports) - 4)[0] if reports else 0

    # The model after `durable` ops, and the bytes later (possibly half-done) ops may touch.
    model, maybe = bytearray(SIZE), bytearray(SIZE)
    ops = _ops(point)
    for _ in range(durable):
        off, data = next(ops)
        model[off:off + len(data)] = data
    for _ in range(OPS_PER_FLUSH):
        off, data = next(ops)
        maybe[off:off + len(data)] = b"\x01" * len(data)

    status = qemu_check(path).returncode if QEMU_IMG else None
    assert status in (None, 0, 3), f"kill point {point}: qemu-img check says corrupt"
    with open_image(path, readonly=True) as img:
        got = img.read(0, SIZE)
    bad = [i for i in range(0, SIZE, 512)
           if got[i:i + 512] != model[i:i + 512] and not any(maybe[i:i + 512])]
    assert not bad, f"kill point {point}: flushed data lost at {bad[:5]}"
    leaks = 0
    if status == 3 or not QEMU_IMG:
        result = check_image(path, repair=True)
        assert result.clean, f"kill point {point}: repair left {result}"
        if QEMU_IMG:
            assert qemu_check(path).returncode == 0
        leaks = 1
    os.unlink(path)
    return durable, leaks


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_at_random_points_never_corrupts(tmp_path):
    results = [_kill_once(tmp_path, point) for point in range(KILL_POINTS)]
    # The kill points must land both before and after flushes, or the test proves little.
    assert sum(1 for durable, _ in results if durable > 0) > KILL_POINTS // 4
