"""A writer killed with SIGKILL at a chosen moment, and a model of what it must leave behind.

The writer (a forked child) runs a deterministic scenario on a chain base0 <- top (and a
second base, base1, to rebase onto): guest writes through ``open_image``, flushes, internal
snapshot create/apply/delete on top, commit of top into its backing file and rebase of top
onto the other base. Every completed operation is reported on a pipe.

Kill points are of two kinds:
- injected: the child counts its image writes and syncs (``os.pwrite``/``os.fsync``) and
  kills itself with SIGKILL at the k-th one, either before it or after writing only part
  of it (a write cut at a page boundary, which is what a SIGKILL during a long write can
  do); k is drawn over the whole scenario, so the kills land inside snapshot operations,
  commit and rebase as often as their share of writes says;
- timed: the parent sends SIGKILL after a random delay.

The model replays the reported operations: after the kill every view (top, each of top's
snapshots, both bases) must be the state after the last completed operation, or after the
one in flight, never anything else (writes and commit may be cut per byte within what they
touch; snapshot operations and rebase must be all or nothing).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import struct
import time
from dataclasses import dataclass, field

from disks import create_image, open_image
from disks.qcow2.header import INCOMPAT_DIRTY

SIZE = 256 << 10
PAGE = 4096


# ---- the scenario ------------------------------------------------------------------------------
def scenario(seed: int, length: int) -> list[tuple]:
    """A deterministic list of operations; snapshot names are only used where they exist."""
    rng = random.Random(seed)
    ops: list[tuple] = []
    snaps: list[str] = []
    counter = 0
    for _ in range(length):
        r = rng.random()
        if r < 0.50 or not ops:
            n = rng.choice((rng.randrange(1, 600), rng.randrange(1, 12000)))
            off = rng.randrange(0, SIZE - n)
            ops.append(("write", off, rng.randbytes(n)))
        elif r < 0.57:
            ops.append(("flush",))
        elif r < 0.70:
            counter += 1
            snaps.append(f"s{counter}")
            ops.append(("create", snaps[-1]))
        elif r < 0.78 and snaps:
            ops.append(("apply", rng.choice(snaps)))
        elif r < 0.86 and snaps:
            name = rng.choice(snaps)
            snaps.remove(name)
            ops.append(("delete", name))
        elif r < 0.93:
            ops.append(("commit",))
        else:
            ops.append(("rebase",))
    return ops


# ---- the writer --------------------------------------------------------------------------------
class _Killer:
    """Counts image writes and syncs; SIGKILLs this process at the k-th (k=0: never)."""

    def __init__(self, k: int, torn: bool, rng: random.Random) -> None:
        self.k, self.torn, self.rng, self.count = k, torn, rng, 0
        self.pwrite, self.fsync = os.pwrite, os.fsync

    def install(self) -> None:
        os.pwrite, os.fsync = self._pwrite, self._fsync

    def _hit(self) -> bool:
        self.count += 1
        return self.count == self.k

    def _pwrite(self, fd: int, data, offset: int) -> int:
        if self._hit():
            first_page_end = (offset // PAGE + 1) * PAGE
            if self.torn and offset + len(data) > first_page_end:
                # a long write cut at a page boundary of the file
                cuts = range(first_page_end, offset + len(data), PAGE)
                cut = self.rng.choice(cuts)
                self.pwrite(fd, bytes(data[:cut - offset]), offset)
            os.kill(os.getpid(), signal.SIGKILL)
        return self.pwrite(fd, data, offset)

    def _fsync(self, fd: int) -> None:
        if self._hit():
            os.kill(os.getpid(), signal.SIGKILL)
        self.fsync(fd)


def vm_state_for(name: str) -> bytes:
    """The machine state snapshot ``name`` is taken with: one snapshot in two carries one
    (several clusters at every cluster size), so kills land inside VM-state writes too."""
    n = int(name[1:])
    return random.Random(name).randbytes(9000 + 1000 * n) if n % 2 else b""


def run_writer(folder: str, ops: list[tuple], report_fd: int, killer: _Killer | None) -> None:
    """The child: perform ``ops`` on folder/top.qcow2, reporting each one done."""
    from disks import ops as disk_ops
    from disks.qcow2 import snapshot as qs
    if killer is not None:
        killer.install()
    top = os.path.join(folder, "top.qcow2")
    backing = 0
    img = open_image(top)
    for i, op in enumerate(ops, start=1):
        kind = op[0]
        if kind == "write":
            img.write(op[1], op[2])
        elif kind == "flush":
            img.flush()
        elif kind == "create":
            qs.create_snapshot(img, op[1], vm_state_for(op[1]))
        elif kind == "apply":
            qs.apply_snapshot(img, op[1])
        elif kind == "delete":
            qs.delete_snapshot(img, op[1])
        else:
            img.close()                   # commit and rebase open the chain themselves
            if kind == "commit":
                disk_ops.commit(top)
            else:
                backing = 1 - backing
                disk_ops.rebase(top, f"base{backing}.qcow2")
            img = open_image(top)
        os.write(report_fd, struct.pack("<I", i))
    img.close()
    if killer is not None:
        os.write(report_fd, struct.pack("<I", 0xFFFF0000 | killer.count))


# ---- the model ---------------------------------------------------------------------------------
@dataclass
class Model:
    cs: int
    bases: list[bytearray]
    backing: int = 0
    data: bytearray = field(default_factory=lambda: bytearray(SIZE))
    alloc: bytearray = field(default_factory=lambda: bytearray(SIZE))   # per byte: simpler
    snaps: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    def _view(self, alloc, data) -> bytes:
        base = self.bases[self.backing]
        out = bytearray(base)
        cs = self.cs
        for c in range(0, SIZE, cs):
            if alloc[c]:
                out[c:c + cs] = data[c:c + cs]
        return bytes(out)

    def top_view(self) -> bytes:
        return self._view(self.alloc, self.data)

    def snap_view(self, name: str) -> bytes:
        alloc, data = self.snaps[name]
        return self._view(alloc, data)

    def apply(self, op: tuple) -> None:
        kind, cs = op[0], self.cs
        if kind == "write":
            off, data = op[1], op[2]
            view = None
            for c in range(off // cs * cs, off + len(data), cs):
                if not self.alloc[c]:
                    view = view or self.top_view()
                    self.data[c:c + cs] = view[c:c + cs]
                    self.alloc[c:c + cs] = b"\1" * cs
            self.data[off:off + len(data)] = data
        elif kind == "create":
            self.snaps[op[1]] = (bytes(self.alloc), bytes(self.data))
        elif kind == "apply":
            alloc, data = self.snaps[op[1]]
            self.alloc, self.data = bytearray(alloc), bytearray(data)
        elif kind == "delete":
            del self.snaps[op[1]]
        elif kind == "commit":
            base = self.bases[self.backing]
            for c in range(0, SIZE, cs):
                if self.alloc[c]:
                    base[c:c + cs] = self.data[c:c + cs]
        elif kind == "rebase":
            old, new = self.bases[self.backing], self.bases[1 - self.backing]
            for c in range(0, SIZE, cs):
                if not self.alloc[c] and old[c:c + cs] != new[c:c + cs]:
                    self.data[c:c + cs] = old[c:c + cs]
                    self.alloc[c:c + cs] = b"\1" * cs
            self.backing = 1 - self.backing

    def views(self) -> dict[str, bytes]:
        out = {"base0": bytes(self.bases[0]), "base1": bytes(self.bases[1]),
               "top": self.top_view()}
        for name in self.snaps:
            out[f"top@{name}"] = self.snap_view(name)
            out[f"top@{name}#vm-state"] = vm_state_for(name)
        return out


# ---- setting up and reading back ----------------------------------------------------------------
_TEMPLATES: dict[int, dict[str, bytes]] = {}


def make_chain(folder: str, cs: int) -> list[bytes]:
    """base0, base1 (different random contents) and an empty top on base0; returns the bases'
    guest data. The files are made once per cluster size and copied."""
    if cs not in _TEMPLATES:
        tmp = os.path.join(folder, f".template{cs}")
        os.makedirs(tmp)
        rng = random.Random(cs)
        contents = []
        for i in range(2):
            path = os.path.join(tmp, f"base{i}.qcow2")
            create_image(path, SIZE, cluster_size=cs)
            data = bytearray(SIZE)
            with open_image(path) as img:
                for _ in range(12):
                    n = rng.randrange(1, 30000)
                    off = rng.randrange(0, SIZE - n)
                    chunk = rng.randbytes(n)
                    img.write(off, chunk)
                    data[off:off + n] = chunk
            contents.append(bytes(data))
        create_image(os.path.join(tmp, "top.qcow2"), backing="base0.qcow2", cluster_size=cs)
        files = {n: open(os.path.join(tmp, n), "rb").read()
                 for n in ("base0.qcow2", "base1.qcow2", "top.qcow2")}
        files["_contents0"], files["_contents1"] = contents
        _TEMPLATES[cs] = files
        shutil.rmtree(tmp)
    t = _TEMPLATES[cs]
    for name in ("base0.qcow2", "base1.qcow2", "top.qcow2"):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(t[name])
    return [t["_contents0"], t["_contents1"]]


def is_dirty(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(80)
    return bool(struct.unpack_from(">Q", head, 72)[0] & INCOMPAT_DIRTY)


def read_views(folder: str) -> tuple[dict[str, bytes], str | None]:
    """Every view as our reader sees it, and top's backing file name."""
    from disks.qcow2.snapshot import read_snapshot, read_vm_state
    out = {}
    for i in range(2):
        with open_image(os.path.join(folder, f"base{i}.qcow2"), readonly=True) as img:
            out[f"base{i}"] = img.read(0, SIZE)
    with open_image(os.path.join(folder, "top.qcow2"), readonly=True) as img:
        out["top"] = img.read(0, SIZE)
        for s in img.snapshots:
            out[f"top@{s.name}"] = read_snapshot(img, s.name, 0, SIZE)
            out[f"top@{s.name}#vm-state"] = read_vm_state(img, s.name)
        backing = img.header.backing_file
    return out, backing


def states(cs: int, bases: list[bytes], ops: list[tuple]) -> list[dict[str, bytes]]:
    """The model's views after 0, 1, ... len(ops) operations."""
    model = Model(cs, [bytearray(b) for b in bases])
    out = [model.views()]
    for op in ops:
        model.apply(op)
        out.append(model.views())
    return out


def mismatch(got: dict[str, bytes], before: dict[str, bytes], after: dict[str, bytes] | None,
             per_byte: bool) -> str | None:
    """None when ``got`` is the state before or after the op in flight, else what differs."""
    candidates = [before] + ([after] if after is not None else [])
    if not per_byte:
        for want in candidates:
            if got == want:
                return None
        want = candidates[-1]
        if set(got) != set(want):
            return f"views {sorted(got)} expected {sorted(want)}"
        bad = [k for k in want if got[k] != want[k]]
        return f"views {bad} are neither the old nor the new state"
    if set(got) not in [set(c) for c in candidates]:
        return f"views {sorted(got)}, expected {sorted(candidates[0])}"
    for name, data in got.items():
        a = candidates[0].get(name)
        b = candidates[-1].get(name, a)
        if data in (a, b):
            continue
        if name.endswith("#vm-state"):       # written once, before the snapshot is named
            return f"view {name}: {len(data)} bytes, neither the old nor the new state"
        for i in range(0, SIZE, 512):
            chunk = data[i:i + 512]
            if chunk in (a[i:i + 512], b[i:i + 512]):
                continue
            for j, ch in enumerate(chunk):
                if ch not in (a[i + j], b[i + j]):
                    return f"view {name}: byte {i + j:#x} is {ch:#x}, neither old nor new"
    return None


def fork_call(work, delay: float | None = None) -> tuple[bool, bytes]:
    """Run ``work(report_fd)`` in a forked child (SIGKILLed after ``delay`` s if given);
    returns (whether it failed by itself, what it wrote on report_fd)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            work(w)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    if delay is not None:
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    raw = b""
    while chunk := os.read(r, 65536):
        raw += chunk
    os.close(r)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0, raw


def kill_child(folder: str, ops: list[tuple], k: int, torn: bool, delay: float | None,
               seed: int) -> tuple[int, int]:
    """Fork the writer, let it die at kill point k (or after ``delay`` s, or never);
    returns (operations completed, image writes and syncs counted)."""
    def work(w: int) -> None:
        killer = _Killer(k, torn, random.Random(seed)) if delay is None else None
        run_writer(folder, ops, w, killer)

    failed, raw = fork_call(work, delay)
    values = [struct.unpack_from("<I", raw, i)[0] for i in range(0, len(raw), 4)]
    count = next((v & 0xFFFF for v in values if v >= 0xFFFF0000), 0)
    done = max((v for v in values if v < 0xFFFF0000), default=0)
    if failed:
        raise AssertionError(f"the writer failed by itself after {done} operations")
    return done, count
