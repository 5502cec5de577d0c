#!/usr/bin/env python3
# A stand-in daemon that speaks the protocol of include/uapi/daedalus-v4l2.h directly, to test
# the module's side of it: attach rules, a job's dma-buf fds, and that an answer that comes
# after the watchdog is refused (ENOENT) and changes nothing.
#
#   bridge_probe.py [--late-ms N] [--jobs N]
#
# Prints one line per check; exits 1 on the first failed check. Run it while no daemon is
# attached and a client queues requests.
import argparse
import ctypes
import errno
import fcntl
import os
import select
import struct
import sys
import time

DEVICE = "/dev/daedalus-v4l2"
MAGIC = 0xDA
VERSION = 1
ATTACH_SIZE, MSG_SIZE, RESULT_SIZE = 32, 352, 40
MSG_JOB = 1


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (MAGIC << 8) | nr


IOC_ATTACH = ioc(3, 0, ATTACH_SIZE)
IOC_FETCH = ioc(3, 1, MSG_SIZE)
IOC_COMPLETE = ioc(1, 2, RESULT_SIZE)


def check(ok, what):
    print(("  ok: " if ok else "  FAILED: ") + what)
    if not ok:
        sys.exit(1)


def expect_errno(func, code, what):
    try:
        func()
    except OSError as e:
        check(e.errno == code, f"{what}: {errno.errorcode.get(e.errno, e.errno)}")
        return
    check(False, f"{what}: succeeded")


def attach(fd, version=VERSION):
    arg = bytearray(struct.pack("<8I", version, MSG_SIZE, RESULT_SIZE, 0, 0, 0, 0, 0))
    fcntl.ioctl(fd, IOC_ATTACH, arg)
    return struct.unpack_from("<8I", arg)


def complete(fd, seqno, status=0):
    fcntl.ioctl(fd, IOC_COMPLETE, struct.pack("<QiI4I2I", seqno, status, 0, 0, 0, 0, 0, 0, 0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--late-ms", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    fd = os.open(DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    expect_errno(lambda: attach(fd, VERSION + 1), errno.EPROTO, "attach with another version refused")
    expect_errno(lambda: complete(fd, 1), errno.ENOTCONN, "answer before attaching refused")
    info = attach(fd)
    print(f"  attached: control area {info[3]} bytes, watchdog {info[4]} ms")
    other = os.open(DEVICE, os.O_RDWR | os.O_CLOEXEC)
    expect_errno(lambda: attach(other), errno.EBUSY, "second attach refused")
    os.close(other)
    expect_errno(lambda: complete(fd, 1 << 60), errno.ENOENT, "answer to a job that never was refused")

    area = ctypes.create_string_buffer(info[3])
    late = 0
    deadline = time.monotonic() + 120
    # Jobs fetched and not answered yet: (when to answer, seqno). Each job is fetched as soon
    # as it comes and answered late-ms after its fetch, so jobs the client queues while
    # others are held are fetched too (before their own watchdog fails them in the queue).
    held = []
    while late < args.jobs and time.monotonic() < deadline:
        wait = 1.0
        if held:
            wait = max(0.0, min(when for when, _ in held) - time.monotonic())
        select.select([fd], [], [], wait)
        now = time.monotonic()
        for item in [h for h in held if h[0] <= now]:
            held.remove(item)
            seqno = item[1]
            expect_errno(lambda: complete(fd, seqno), errno.ENOENT,
                         f"answer to job {seqno} after {args.late_ms} ms (watchdog {info[4]} ms) refused")
            late += 1
        msg = bytearray(MSG_SIZE)
        struct.pack_into("<QI", msg, 16, ctypes.addressof(area), info[3])
        try:
            fcntl.ioctl(fd, IOC_FETCH, msg)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                continue
            raise
        mtype, ctx = struct.unpack_from("<II", msg, 0)
        if mtype != MSG_JOB:
            continue
        seqno, ts = struct.unpack_from("<QQ", msg, 32)
        ctrl_bytes, ctrl_count = struct.unpack_from("<II", msg, 60)
        fds = []
        for base in (128, 240):  # src, dst
            nplanes = struct.unpack_from("<I", msg, base + 12)[0]
            for p in range(nplanes):
                pfd, length = struct.unpack_from("<iI", msg, base + 16 + 24 * p)
                fds.append((pfd, length))
        valid = all(f >= 0 and os.fstat(f) is not None for f, _ in fds)
        check(valid and len(fds) >= 2,
              f"job {seqno} (context {ctx}, ts {ts}): {ctrl_count} controls in {ctrl_bytes} bytes, "
              f"{len(fds)} dma-buf fds installed")
        for f, _ in fds:
            os.close(f)
        held.append((time.monotonic() + args.late_ms / 1000, seqno))
    check(late == args.jobs, f"{late} late answers refused")
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
