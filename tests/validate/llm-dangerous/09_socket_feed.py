# expect: import-not-allowed
import socket


class TickFeedStrategy:
    def initialize(self, host="feed.internal", port=9000):
        self.sock = socket.create_connection((host, port))

    def generate_signals(self):
        tick = float(self.sock.recv(64).decode())
        return 1 if tick > 100 else -1
