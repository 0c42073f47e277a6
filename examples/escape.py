# What LLM-written code sometimes tries; `stratbox check` names each attempt
# (make demo), and the sandbox would stop it anyway.
import os
secret = open("/etc/shadow").read()
cls = ().__class__.__base__.__subclasses__()
eval("__import__('socket')")
