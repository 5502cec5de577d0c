#!/usr/bin/env python3
# A stand-in daemon that speaks the protocol of include/uapi/daedalus-v4l2.h directly, to test
# the module's side of it: attach rules, a job's dma-buf fds, the reserved-field checks, and
# that a job the watchdog has failed can neither be written (BEGIN_WRITE: ENOENT) nor answered
# (ENOENT), and that this changes nothing. Protocol 2: 64-bit context ids, BEGIN_WRITE before
# any COMPLETE with status 0.
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
VERSION = 2
ATTACH_SIZE, MSG_SIZE, RESULT_SIZE, WRITE_SIZE = 32, 360, 40, 16
MSG_JOB = 1
# struct daedalus_msg: type, ctrl_size, ctx_id (u64), buf_id, ctrl_ptr, reserved[2], then
# struct daedalus_job at 40 (seqno, timestamp, ctx_id (u64), codec, flags, ctrl_bytes,
# ctrl_count, ...; src at 96, dst at 208 of it).
MSG_CTRL_SIZE, MSG_CTX_ID, MSG_CTRL_PTR, MSG_RESERVED, MSG_JOB_AT = 4, 8, 24, 32, 40
JOB_CTRL_BYTES, JOB_SRC, JOB_DST = 32, 96, 208


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (MAGIC << 8) | nr


IOC_ATTACH = ioc(3, 0, ATTACH_SIZE)
IOC_FETCH = ioc(3, 1, MSG_SIZE)
IOC_COMPLETE = ioc(1, 2, RESULT_SIZE)
IOC_BEGIN_WRITE = ioc(1, 3, WRITE_SIZE)
assert IOC_BEGIN_WRITE == 0x4010DA03


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


def complete(fd, seqno, status=0, reserved=0):
    fcntl.ioctl(fd, IOC_COMPLETE,
                struct.pack("<QiI4I2I", seqno, status, 0, 0, 0, 0, 0, reserved, 0))


def begin_write(fd, seqno):
    fcntl.ioctl(fd, IOC_BEGIN_WRITE, struct.pack("<Q2I", seqno, 0, 0))


def fetch_msg(area, size, reserved=0):
    msg = bytearray(MSG_SIZE)
    struct.pack_into("<I", msg, MSG_CTRL_SIZE, size)
    struct.pack_into("<Q", msg, MSG_CTRL_PTR, ctypes.addressof(area))
    struct.pack_into("<I", msg, MSG_RESERVED, reserved)
    return msg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--late-ms", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    fd = os.open(DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    expect_errno(lambda: attach(fd, VERSION + 1), errno.EPROTO, "attach with another version refused")
    expect_errno(lambda: complete(fd, 1), errno.ENOTCONN, "answer before attaching refused")
    info = attach(fd)
    print(f"  attached: control area {info[3]} bytes, watchdog {info[4]} ms, "
          f"up to {info[5]} contexts")
    check(info[5] > 0, f"max_contexts given ({info[5]})")
    other = os.open(DEVICE, os.O_RDWR | os.O_CLOEXEC)
    expect_errno(lambda: attach(other), errno.EBUSY, "second attach refused")
    os.close(other)
    expect_errno(lambda: complete(fd, 1 << 60), errno.ENOENT, "answer to a job that never was refused")
    expect_errno(lambda: begin_write(fd, 1 << 60), errno.ENOENT,
                 "BEGIN_WRITE of a job that never was refused")
    expect_errno(lambda: complete(fd, 1 << 60, reserved=1), errno.EINVAL,
                 "answer with a non-zero reserved field refused")

    area = ctypes.create_string_buffer(info[3])
    expect_errno(lambda: fcntl.ioctl(fd, IOC_FETCH, fetch_msg(area, info[3], reserved=1)),
                 errno.EINVAL, "FETCH with a non-zero reserved field refused")
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
            # A daemon writes the CAPTURE buffer only after BEGIN_WRITE, and answers with
            # status 0 only after that: the watchdog failed the job, both are refused.
            expect_errno(lambda: begin_write(fd, seqno), errno.ENOENT,
                         f"BEGIN_WRITE of job {seqno} after {args.late_ms} ms (watchdog {info[4]} ms) refused")
            expect_errno(lambda: complete(fd, seqno), errno.ENOENT,
                         f"answer to job {seqno} after {args.late_ms} ms (watchdog {info[4]} ms) refused")
            late += 1
        msg = fetch_msg(area, info[3])
        try:
            fcntl.ioctl(fd, IOC_FETCH, msg)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                continue
            raise
        mtype = struct.unpack_from("<I", msg, 0)[0]
        ctx = struct.unpack_from("<Q", msg, MSG_CTX_ID)[0]
        if mtype != MSG_JOB:
            continue
        seqno, ts, job_ctx = struct.unpack_from("<QQQ", msg, MSG_JOB_AT)
        check(job_ctx == ctx, f"job {seqno}: context {job_ctx} in the job, {ctx} in the message")
        ctrl_bytes, ctrl_count = struct.unpack_from("<II", msg, MSG_JOB_AT + JOB_CTRL_BYTES)
        fds = []
        for base in (MSG_JOB_AT + JOB_SRC, MSG_JOB_AT + JOB_DST):
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
