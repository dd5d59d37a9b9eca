#!/usr/bin/env python3
"""A loopback listener that never accepts, with its accept queue already
full: a connect() to it gets no answer, so a client's connect timeout is
what ends the wait. Prints the port; exits after --lifetime seconds."""
import os, socket, sys, time

lifetime = float(sys.argv[1]) if len(sys.argv) > 1 else 30
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(0)
port = srv.getsockname()[1]
fillers = []
for _ in range(4):  # fill the queue; Linux then drops further SYNs
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fillers.append(c)
time.sleep(0.2)
print(port, os.getpid(), flush=True)
time.sleep(lifetime)
