# Reading ahead through the process itself: run with every module
# allowed and the audit hook off (tests/pyrt/lookahead/policy.json), so
# that only the design is left to stop it: the bars after the current one
# are not in this process, nor anywhere it can reach.
import ctypes
import gc
import os
import stat
import sys

SKIP_MAPS = ("[vvar]", "[vsyscall]", "[vdso]")
# Read a mapping a MiB at a time, and go on past a piece that fails: the
# scan's own buffers come and go inside the anonymous mappings it listed
# (a failed read used to end the mapping's scan, and the scans' controls
# missed their own bar that way).
CHUNK = 1 << 20


def maps():
    """(start, end, perms, path) of every mapping (read in as few read(2)
    calls as possible: the kernel walks the mappings afresh at each)."""
    out, parts = [], []
    fd = os.open("/proc/self/maps", os.O_RDONLY)
    try:
        while True:
            chunk = os.read(fd, 16 << 20)
            if not chunk:
                break
            parts.append(chunk)
    finally:
        os.close(fd)
    for line in b"".join(parts).decode().splitlines():
        fields = line.split(None, 5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        path = fields[5].strip() if len(fields) > 5 else ""
        out.append((lo, hi, fields[1], path))
    return out


def data_mapping(perms, path):
    """Mappings that can hold data written at run time: anything writable
    or shared, and anonymous ones (a read-only mapping of a file cannot
    hold a price the host sent today)."""
    if perms[0] != "r" or path in SKIP_MAPS:
        return False
    return "w" in perms or "s" in perms or path == "" or path.startswith("[")


def r_region_module(self, d, bar):
    """_stratbox_ls.region() through sys.modules, and stratbox._backtest's
    module attribute: the same region, nothing more in it."""
    mv = sys.modules["_stratbox_ls"].region()
    report_found("ls_region", bar, self.needles.find(mv, bar), len(mv))
    mv2 = sys.modules["stratbox._backtest"].ls.region()
    h = header(mv2)
    close = np.frombuffer(mv2, dtype=np.float64, count=h["nbars"],
                          offset=h["cols_off"] + 3 * h["nbars"] * 8)
    later = close[bar + 1:]
    seen("backtest_module", bar, later[later != 0][:8])
    control("backtest_module", bar, close[bar])


def r_proc_mem(self, d, bar):
    """Every data mapping of the process, through /proc/self/mem: the
    bits of a later Close, and its text."""
    found, texts, covered = set(), set(), 0
    probe = repr(float(d.close[-1])).encode()  # the text scan's control
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for lo, hi, perms, path in maps():
            if not data_mapping(perms, path):
                continue
            for at in range(lo, hi, CHUNK):
                try:
                    buf = os.pread(fd, min(CHUNK, hi - at), at)
                except OSError:
                    continue
                covered += len(buf)
                found |= self.needles.find(buf, bar)
                texts |= self.needles.find_text(buf, bar)
    finally:
        os.close(fd)
    del probe
    report_found("proc_mem", bar, found, covered)
    report_found("proc_mem_text", bar, texts, covered)


def r_ctypes_mem(self, d, bar):
    """The region's mapping read in place with ctypes, past what numpy's
    views of it cover (only it: the heap may shrink under a raw read)."""
    found, covered = set(), 0
    for lo, hi, perms, path in maps():
        if "lockstep" not in path:
            continue
        for at in range(lo, hi, CHUNK):
            buf = ctypes.string_at(at, min(CHUNK, hi - at))
            covered += len(buf)
            found |= self.needles.find(buf, bar)
    report_found("ctypes_mem", bar, found, covered)


def r_objects(self, d, bar):
    """Every object the collector tracks and everything they refer to:
    arrays, buffers and floats searched for the bits of a later Close."""
    found, count = set(), 0
    todo = gc.get_objects()
    done = set()
    while todo:
        o = todo.pop()
        if id(o) in done:
            continue
        done.add(id(o))
        count += 1
        if isinstance(o, float):
            found |= self.needles.bits_match(int(np.float64(o).view(np.uint64)), bar)
        elif isinstance(o, np.ndarray):
            if o.dtype.kind in "fiub" and o.size:
                found |= self.needles.find(np.ascontiguousarray(o).reshape(-1).view(np.uint8), bar)
            if o.base is not None:
                todo.append(o.base)
        elif isinstance(o, (memoryview, bytes, bytearray)):
            found |= self.needles.find(o, bar)
        elif not isinstance(o, (str, int, type(None))):
            todo.extend(gc.get_referents(o))
    report_found("gc_objects", bar, found, count)
    refs = gc.get_referrers(d.close.base)
    say("N", "gc_referrers", bar, len(refs))


def r_memfd(self, d, bar):
    """The region's memfd: through /proc/self/map_files, or any open fd."""
    for lo, hi, perms, path in maps():
        if "lockstep" in path:
            try:
                fd = os.open("/proc/self/map_files/%x-%x" % (lo, hi), os.O_RDWR)
            except OSError as e:
                failed("map_files", bar, e)
            else:
                buf = os.pread(fd, hi - lo, 0)
                say("X", "map_files", bar, "reopened the region's memfd")
                os.close(fd)
                report_found("map_files", bar, self.needles.find(buf, bar), len(buf))
    found, covered = set(), 0
    for fd in range(0, 1024):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            continue
        try:
            buf = os.pread(fd, min(st.st_size, 64 << 20), 0)
        except OSError:
            continue
        covered += len(buf)
        found |= self.needles.find(buf, bar)
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue
        if "lockstep" in target:
            say("X", "fd_memfd", bar, "the region's descriptor is open: fd " + name)
    report_found("fds", bar, found, covered)


def r_files(self, d, bar):
    """Whatever the job can list and read: /dev/shm, /workspace, /tmp,
    /run, the working directory; other processes in /proc."""
    found, texts, covered = set(), set(), 0
    for top in ("/dev/shm", "/workspace", "/tmp", "/run", "/var/tmp", "."):
        for root, dirs, files in os.walk(top):
            for f in files:
                p = os.path.join(root, f)
                try:
                    with open(p, "rb") as fh:
                        buf = fh.read(64 << 20)
                except OSError:
                    continue
                covered += len(buf)
                found |= self.needles.find(buf, bar)
                texts |= self.needles.find_text(buf, bar)
    me = str(os.getpid())
    for p in os.listdir("/proc"):
        if p.isdigit() and p != me:
            say("X", "other_pid", bar, "another process is visible: " + p)
    report_found("files", bar, found | texts, covered)


class Process(Attack):  # noqa: F821
    ROUTES = {"region_module": r_region_module, "proc_mem": r_proc_mem,
              "ctypes_mem": r_ctypes_mem, "objects": r_objects, "memfd": r_memfd,
              "files": r_files}
