#!/usr/bin/env python3
"""Add one hostile layer on top of a docker-archive (as mkimage.py writes it).

    addlayer.py IN.tar OUT.tar ENTRY...

Each ENTRY is one tar member of the new layer, in order:
    wh:PATH            a whiteout of PATH (".wh.NAME" beside it)
    sym:PATH:TARGET    a symlink
    file:PATH:TEXT     a regular file (mode 0644)
    dir:PATH           a directory (mode 0755)

The config's diff_ids and the manifest's layers are extended, so the image
is a valid one whose top layer says what the test wants.  Used by
tests/pyrt/test_env_attacks.c.  Standard library only.
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def member(tf, name, data=None, kind=tarfile.REGTYPE, link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.linkname = link
    ti.mtime = 0
    ti.size = len(data) if data is not None else 0
    tf.addfile(ti, io.BytesIO(data) if data is not None else None)


def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            kind, _, rest = e.partition(":")
            if kind == "wh":
                d, b = os.path.split(rest)
                member(tf, os.path.join(d, ".wh." + b), b"")
            elif kind == "sym":
                path, _, target = rest.partition(":")
                member(tf, path, kind=tarfile.SYMTYPE, link=target, mode=0o777)
            elif kind == "file":
                path, _, text = rest.partition(":")
                member(tf, path, text.encode())
            elif kind == "dir":
                member(tf, rest, kind=tarfile.DIRTYPE, mode=0o755)
            else:
                raise SystemExit("addlayer.py: bad entry %r" % e)
    return buf.getvalue()


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, out, entries = argv[1], argv[2], argv[3:]
    with tarfile.open(src) as tf:
        files = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    manifest = json.loads(files.pop("manifest.json"))
    config = json.loads(files.pop(manifest[0]["Config"]))
    top = layer(entries)
    hexd = hashlib.sha256(top).hexdigest()
    name = "%s/layer.tar" % hexd
    files[name] = top
    config["rootfs"]["diff_ids"].append("sha256:" + hexd)
    config.setdefault("history", []).append({"created_by": "tests/env/addlayer.py"})
    cdata = json.dumps(config, sort_keys=True).encode()
    chex = hashlib.sha256(cdata).hexdigest()
    files[chex + ".json"] = cdata
    manifest[0]["Config"] = chex + ".json"
    manifest[0]["Layers"].append(name)
    files["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for n, data in files.items():
            member(tf, n, data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
