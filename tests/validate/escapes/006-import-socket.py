# expect: import-not-allowed
import socket
s = socket.create_connection(('10.0.0.1', 80))
