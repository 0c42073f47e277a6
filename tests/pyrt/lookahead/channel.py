# Two combinations of a sweep run at once, each in its own slot; in a real
# attack the one ahead would tell the one behind what the bars it has not
# been sent yet hold.  The channel tried here is the kernel's record locks
# on a file both slots can open (the runtime's own package, read-only): the
# "sender" (role 1) takes a read lock on it and holds it; the "receiver"
# (role 0) asks, with F_GETLK, whether a write lock would conflict, for a
# few seconds.  Every bit either gets is printed; the receiver must never
# see a lock it did not take.  flock(2) is refused outright (the job's
# seccomp filter); fcntl locks must be too, or be private to the job.
# Needs fcntl (policy.json, audit hook off).
import fcntl
import struct
import time

SHARED = "/opt/stratbox/python/stratbox/__init__.py"
F_UNLCK = fcntl.F_UNLCK


class Channel(BaseStrategy):  # noqa: F821
    params = {"role": 0}

    def generate_signals(self, d):
        if self.bar_index != 0:
            return []
        f = open(SHARED, "rb")
        if self.config["role"] == 1:
            try:
                fcntl.lockf(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                print("SENDER locked")
            except OSError as e:
                print("SENDER refused", e)
            time.sleep(3)
            return []
        seen = False
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3 and not seen:
            arg = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
            try:
                r = fcntl.fcntl(f.fileno(), fcntl.F_GETLK, arg)
            except OSError as e:
                print("RECEIVER refused", e)
                break
            seen = struct.unpack("hhqqi", r)[0] != F_UNLCK
            time.sleep(0.01)
        print("RECEIVER saw a lock" if seen else "RECEIVER saw nothing")
        return []
