#!/usr/bin/env python3
"""Build a small image from the host's own files, with no registry and no Docker.

    mkimage.py docker OUT.tar [--gzip]   what `docker save` writes (manifest.json)
    mkimage.py oci OUT.tar [--gzip]      an OCI image layout as a tar (index.json)

The root filesystem holds just enough for Debian's /usr/bin/python3.11 to
`import numpy, pandas` in a chroot: the interpreter, the standard library
(with __pycache__, without its tests), the dist-packages those imports load
(found from sys.modules under /usr/bin/python3) with their .dist-info or
.egg-info, the other files they open (an audit hook sees them: pytz reads
/usr/share/zoneinfo/tzdata.zi), every shared object mapped after the imports (and the symlinks
that lead to them, /etc/alternatives included), libpython3.11.so (the
zygote links it), the dynamic loader, /etc/ld.so.cache, the merged-usr
links (bin, lib, lib64, sbin) and empty mount points (dev, proc, sys, tmp,
run, var/tmp, home, root).

It is written as two layers, to exercise whiteouts and opaque directories:
  layer 1: all the above, D/removed, D/opaque/old
  layer 2: a whiteout of D/removed, D/opaque made opaque with a new file
           "new", and D/image holding "layer2"
(D is /usr/share/stratbox-test: a sandbox built from the image shows its
/usr, while /etc and /opt are stratbox's own).

Standard library only; prints what it wrote on stderr.
"""
import gzip
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile

PY = "/usr/bin/python3"
PROBE = r"""
import json, os, sys, importlib.metadata as md
opened = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.add(os.path.abspath(args[0]))
sys.addaudithook(hook)
import numpy, pandas
maps = set()
for line in open("/proc/self/maps"):
    f = line.split()
    if len(f) >= 6 and f[5].startswith("/") and ".so" in f[5]:
        maps.add(f[5])
files = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""})
dists = md.packages_distributions()
print(json.dumps({"maps": sorted(maps), "files": files, "dists": dists,
                  "executable": sys.executable, "stdlib": sys.prefix + "/lib/python3.11",
                  "opened": sorted(p for p in opened if os.path.isfile(p)),
                  "numpy": numpy.__version__}))
"""
DIST = "/usr/lib/python3/dist-packages"
# Not needed to import, and most of the size: the test suites.
SKIP_DIRS = {"test", "tests", "idle_test", "__phello__"}


class Tree:
    """Paths of the host to put in the image, each with what it is."""

    def __init__(self):
        self.entries = {}  # image path (no leading /) -> host path

    def add(self, path):
        """A host path, its parents, and (for a symlink) every hop to its target."""
        path = os.path.normpath(path)
        if path == "/":
            return
        parent = os.path.realpath(os.path.dirname(path))
        real = os.path.join(parent, os.path.basename(path))
        self.add_dir(parent)
        rel = real.lstrip("/")
        if rel in self.entries:
            return
        self.entries[rel] = real
        if os.path.islink(real):
            target = os.readlink(real)
            self.add(os.path.join(parent, target))

    def add_dir(self, d):
        while d != "/":
            rel = d.lstrip("/")
            if rel in self.entries:
                return
            self.entries[rel] = d
            d = os.path.dirname(d)

    def add_tree(self, top, skip=SKIP_DIRS):
        self.add(top)
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in skip]
            for name in dirs + files:
                self.add(os.path.join(root, name))


def gather():
    probe = json.loads(subprocess.check_output([PY, "-c", PROBE]))
    t = Tree()
    t.add(probe["executable"])
    t.add(PY)
    t.add("/usr/bin/python3.11")
    # not the static libraries (config-3.11-*: building against Python, 25 MB),
    # nor what was installed beside the standard library
    t.add_tree(probe["stdlib"], skip=SKIP_DIRS | {"config-3.11-x86_64-linux-gnu", "dist-packages",
                                                 "site-packages"})
    # the top-level package or module of each one loaded, whole (but its tests)
    tops = {f[len(DIST) + 1:].split("/")[0] for f in probe["files"] if f.startswith(DIST + "/")}
    for top in sorted(tops):
        t.add_tree(os.path.join(DIST, top))
    tops = {top.removesuffix(".py") for top in tops}
    names = set()
    for top in tops:
        for d in probe["dists"].get(top.split(".")[0], []):
            names.add(d.lower().replace("-", "_"))
    for entry in os.listdir(DIST):
        if entry.endswith((".dist-info", ".egg-info")):
            dist = entry.split("-")[0].lower().replace("-", "_")
            if dist in names:
                t.add_tree(os.path.join(DIST, entry))
    libdirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/blas",
               "/usr/lib/x86_64-linux-gnu/lapack"]
    wanted = set(probe["maps"]) | {"/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"}
    for m in sorted(wanted):
        t.add(m)
    # the names the loader asks for (libblas.so.3, ...) are symlinks to them
    real = {os.path.realpath(m) for m in wanted}
    for d in libdirs:
        for e in os.scandir(d):
            if e.is_symlink() and os.path.realpath(e.path) in real:
                t.add(e.path)
    # what the imports opened besides modules (pytz reads tzdata.zi)
    for p in probe["opened"]:
        if not p.startswith(("/proc/", "/sys/", "/dev/", "/tmp/")):
            t.add(p)
    for p in ["/lib64/ld-linux-x86-64.so.2", "/etc/ld.so.cache", "/bin", "/lib", "/lib64",
              "/sbin"]:
        t.add(p)
    return t, probe


def tarinfo_of(rel, host):
    st = os.lstat(host)
    ti = tarfile.TarInfo(rel)
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.mtime = int(st.st_mtime)
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    if stat.S_ISLNK(st.st_mode):
        ti.type = tarfile.SYMTYPE
        ti.linkname = os.readlink(host)
    elif stat.S_ISDIR(st.st_mode):
        ti.type = tarfile.DIRTYPE
    else:
        ti.size = st.st_size
    return ti


def add_bytes(tf, rel, data, mode=0o644):
    ti = tarfile.TarInfo(rel)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = 1700000000
    tf.addfile(ti, io.BytesIO(data))


def add_dir(tf, rel, mode=0o755):
    ti = tarfile.TarInfo(rel)
    ti.type = tarfile.DIRTYPE
    ti.mode = mode
    ti.mtime = 1700000000
    tf.addfile(ti)


def layer1(t):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel in sorted(t.entries):  # parents before children
            host = t.entries[rel]
            ti = tarinfo_of(rel, host)
            if ti.isreg():
                with open(host, "rb") as f:
                    tf.addfile(ti, f)
            else:
                tf.addfile(ti)
        # mount points a read-only root needs, as real images have them
        # (tmp and var/tmp 1777, as in Debian: the unpacker makes them 0755)
        for d, mode in [("dev", 0o755), ("proc", 0o555), ("sys", 0o555), ("tmp", 0o1777),
                        ("run", 0o755), ("var", 0o755), ("var/tmp", 0o1777), ("home", 0o755),
                        ("root", 0o700)]:
            add_dir(tf, d, mode)
        # the layers' own markers, under /usr/share, which a sandbox built
        # from the image shows (its /etc and /opt are stratbox's own)
        add_dir(tf, "usr/share/stratbox-test")
        add_bytes(tf, "usr/share/stratbox-test/removed", b"layer1\n")
        add_dir(tf, "usr/share/stratbox-test/opaque")
        add_bytes(tf, "usr/share/stratbox-test/opaque/old", b"old\n")
    return buf.getvalue()


def layer2():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        add_bytes(tf, "usr/share/stratbox-test/.wh.removed", b"")
        add_dir(tf, "usr/share/stratbox-test/opaque")
        add_bytes(tf, "usr/share/stratbox-test/opaque/.wh..wh..opq", b"")
        add_bytes(tf, "usr/share/stratbox-test/opaque/new", b"new\n")
        add_bytes(tf, "usr/share/stratbox-test/image", b"layer2\n")
    return buf.getvalue()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def write_archive(kind, out, layers, use_gzip):
    diff_ids = ["sha256:" + sha(layer) for layer in layers]
    blobs = [gzip.compress(layer, compresslevel=1, mtime=0) if use_gzip else layer
             for layer in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/usr/bin/python3"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "tests/env/mkimage.py: layer 1"},
                    {"created_by": "tests/env/mkimage.py: layer 2"}],
    }, sort_keys=True).encode()
    chex = sha(config)
    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        if kind == "docker":
            names = []
            for i, blob in enumerate(blobs):
                name = "%s/layer.tar" % sha(("layer%d" % i).encode() + blob[:64])
                add_bytes(tf, name, blob)
                names.append(name)
            add_bytes(tf, chex + ".json", config)
            manifest = [{"Config": chex + ".json", "RepoTags": ["stratbox-test:latest"],
                         "Layers": names}]
            add_bytes(tf, "manifest.json", json.dumps(manifest).encode())
            return "sha256:" + chex
        add_bytes(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if use_gzip else "")
        descs = []
        for blob in blobs:
            add_bytes(tf, "blobs/sha256/" + sha(blob), blob)
            descs.append({"mediaType": mt, "digest": "sha256:" + sha(blob), "size": len(blob)})
        add_bytes(tf, "blobs/sha256/" + chex, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + chex, "size": len(config)},
            "layers": descs}).encode()
        add_bytes(tf, "blobs/sha256/" + sha(manifest), manifest)
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + sha(manifest), "size": len(manifest),
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {"org.opencontainers.image.ref.name": "stratbox-test:latest"}}]}
        add_bytes(tf, "index.json", json.dumps(index).encode())
        return "sha256:" + sha(manifest)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("docker", "oci"):
        sys.stderr.write(__doc__)
        return 2
    t, probe = gather()
    layers = [layer1(t), layer2()]
    digest = write_archive(argv[1], argv[2], layers, "--gzip" in argv[3:])
    sys.stderr.write("%s: %s image %s, %d entries, layers of %.1f and %.1f MB, numpy %s\n" % (
        argv[2], argv[1], digest, len(t.entries), len(layers[0]) / 1e6, len(layers[1]) / 1e6,
        probe["numpy"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
