#!/usr/bin/env python3
# Opens a device node the way a client does and prints what each open (or ATTACH) gave, one
# word a line: "ok" or the errno's name. For the hostile-user tests (43).
#
#   open_probe.py open PATH COUNT [HOLD_S]   opens PATH COUNT times (O_RDWR), keeps the fds
#                                            open HOLD_S seconds (default 0), then closes them
#   open_probe.py attach [PATH]              opens the daemon's device and sends ATTACH
#                                            (protocol 2) as a second daemon would
import errno
import fcntl
import os
import struct
import sys
import time

BRIDGE = "/dev/daedalus-v4l2"
VERSION, ATTACH_SIZE, MSG_SIZE, RESULT_SIZE = 2, 32, 360, 40
IOC_ATTACH = (3 << 30) | (ATTACH_SIZE << 16) | (0xDA << 8) | 0


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def do_open(path, count, hold):
    fds = []
    for _ in range(count):
        try:
            fds.append(os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC))
            print("ok", flush=True)
        except OSError as e:
            print(name(e), flush=True)
    time.sleep(hold)
    for fd in fds:
        os.close(fd)


def do_attach(path):
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        print("open " + name(e))
        return
    arg = bytearray(struct.pack("<8I", VERSION, MSG_SIZE, RESULT_SIZE, 0, 0, 0, 0, 0))
    try:
        fcntl.ioctl(fd, IOC_ATTACH, arg)
        print("attach ok")
    except OSError as e:
        print("attach " + name(e))
    os.close(fd)


if len(sys.argv) >= 4 and sys.argv[1] == "open":
    do_open(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0)
elif len(sys.argv) >= 2 and sys.argv[1] == "attach":
    do_attach(sys.argv[2] if len(sys.argv) > 2 else BRIDGE)
else:
    sys.exit("usage: open_probe.py open PATH COUNT [HOLD_S] | attach [PATH]")
