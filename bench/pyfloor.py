"""The floor under the pool's throughput: the same jobs with no sandbox.

    /usr/bin/python3 bench/pyfloor.py JOB.py [JOBS] [PARALLEL]

PARALLEL worker processes each import numpy and pandas once, freeze the
garbage collector (as the zygote does), and then, for their share of JOBS,
fork a child that runs JOB.py and exits, one after another.  No namespaces,
no cgroups, no seccomp, no protocol, no output capture: what forking a
process with pandas loaded and running the job costs on this machine, the
part of the pool's work no sandbox can shed ("a process never runs a second
job").  Prints the rate with the import included and once every worker has
imported.  The children's output goes to /dev/null; their exit statuses are
counted.
"""

import gc
import os
import sys
import time


def worker(source, count, pipe_w):
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    code = compile(source, "strategy.py", "exec")
    gc.collect()
    gc.freeze()
    ready = time.monotonic()
    ok = 0
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                exec(code, {"__name__": "__main__"})
                sys.stdout.flush()
                os._exit(0)
            except BaseException:  # noqa: BLE001
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        ok += status == 0
    os.write(pipe_w, f"{ready} {time.monotonic()} {ok}\n".encode())
    os._exit(0)


def main():
    path = sys.argv[1]
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    parallel = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with open(path) as f:
        source = f.read()
    devnull = os.open(os.devnull, os.O_WRONLY)
    r, w = os.pipe()
    start = time.monotonic()
    pids = []
    for i in range(parallel):
        share = jobs // parallel + (1 if i < jobs % parallel else 0)
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.dup2(devnull, 1)
            worker(source, share, w)
        pids.append(pid)
    os.close(w)
    for pid in pids:
        os.waitpid(pid, 0)
    end = time.monotonic()
    with os.fdopen(r) as f:
        rows = [line.split() for line in f]
    ready = max(float(x[0]) for x in rows)
    ok = sum(int(x[2]) for x in rows)
    print(f"no sandbox, {parallel} forking processes: {jobs} jobs, {ok} OK, in {end - start:.2f} s: "
          f"{jobs / (end - start):.1f} jobs/s (imports included); "
          f"{jobs / (end - ready):.0f} jobs/s once imported")


if __name__ == "__main__":
    main()
