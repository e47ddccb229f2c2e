"""Property-based: any sequence of writes, flushes, snapshot create/apply/delete, overlay
creation and commit reads back exactly as a plain in-memory model says."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disks import create_image, open_image
from disks.ops import commit
from disks.qcow2.snapshot import apply_snapshot, create_snapshot, delete_snapshot
from tests.disks.conftest import QEMU_IMG, qemu_check

SIZE = 96 * 1024

op = st.one_of(
    st.tuples(st.just("write"), st.integers(0, SIZE - 1), st.integers(1, 5000),
              st.integers(0, 255)),
    st.tuples(st.just("flush")),
    st.tuples(st.just("snap"), st.sampled_from("abc")),
    st.tuples(st.just("apply"), st.sampled_from("abc")),
    st.tuples(st.just("delete"), st.sampled_from("abc")),
    st.tuples(st.just("overlay")),
    st.tuples(st.just("commit")),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, max_size=25), cluster=st.sampled_from([512, 4096]))
def test_image_matches_model(tmp_path_factory, ops, cluster):
    folder = tmp_path_factory.mktemp("model")
    layers = [os.path.join(folder, "base.qcow2")]
    create_image(layers[0], SIZE, cluster_size=cluster)
    model = bytearray(SIZE)
    snaps: dict[str, bytes] = {}
    made = 0
    img = open_image(layers[-1])
    try:
        for step in ops:
            kind = step[0]
            if kind == "write":
                _, off, n, byte = step
                n = min(n, SIZE - off)
                img.write(off, bytes([byte]) * n)
                model[off:off + n] = bytes([byte]) * n
            elif kind == "flush":
                img.flush()
            elif kind == "snap" and step[1] not in snaps:
                create_snapshot(img, step[1])
                snaps[step[1]] = bytes(model)
            elif kind == "apply" and snaps.get(step[1]):
                apply_snapshot(img, step[1])
                model[:] = snaps[step[1]]
            elif kind == "delete" and step[1] in snaps:
                delete_snapshot(img, step[1])
                del snaps[step[1]]
            elif kind == "overlay" and len(layers) < 4:
                img.close()
                made += 1
                layers.append(os.path.join(folder, f"layer{made}.qcow2"))
                create_image(layers[-1], backing=os.path.basename(layers[-2]),
                             cluster_size=cluster)
                img = open_image(layers[-1])
                snaps.clear()                     # snapshots belong to the lower image
            elif kind == "commit" and len(layers) > 1:
                img.close()
                commit(layers[-1])
                layers.pop()
                img = open_image(layers[-1])
                # The base keeps the snapshots it had before the overlay; we no longer know
                # their content in this model, so leave them alone.
                snaps = {s.name: b"" for s in img.snapshots}
            assert img.read(0, SIZE) == bytes(model), step
    finally:
        img.close()
    if QEMU_IMG:
        for layer in layers:
            assert qemu_check(layer).returncode == 0
