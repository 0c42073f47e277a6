"""The channel to the stratbox host: a SOCK_SEQPACKET socket on fd 3.

Never stdout: `print` in strategy code cannot corrupt it.  One message per
packet: a 4-byte tag, then UTF-8 JSON of at most 64 KiB.  The host validates
every message (size, type, fields) and treats the sender as an adversary:
strategy code runs in this process and can write to this descriptor too.
"""

import json
import os
import struct

FD = 3
TAG = struct.pack("<I", 0x46524D31)
MAX_PAYLOAD = 65536


class Channel:
    def __init__(self, fd=FD):
        self.fd = fd

    def send(self, message):
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(data) > MAX_PAYLOAD:
            raise ValueError("protocol message larger than 64 KiB")
        try:
            os.write(self.fd, TAG + data)
        except OSError:
            pass  # the host has gone: the exit status still tells
