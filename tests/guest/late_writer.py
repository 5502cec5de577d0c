#!/usr/bin/env python3
# A stand-in daemon (protocol 2 of include/uapi/daedalus-v4l2.h) that tests the rule "no write
# into a CAPTURE buffer once it is back with the client" from the daemon's side:
#
#   late_writer.py late [--jobs N]   takes each job and waits past the module's timeout before
#                                    it asks to write: BEGIN_WRITE must fail with ENOENT (the
#                                    buffer went back to the client with ERROR), and so must
#                                    the answer; the buffer is never touched
#   late_writer.py unasked [--jobs N] answers success at once without BEGIN_WRITE: the module
#                                    must refuse it (EINVAL) and fail the request
#   late_writer.py hang              BEGIN_WRITE in time (must succeed), writes a pattern into
#                                    the CAPTURE buffer, then hangs: the module must kill it
#                                    (the test sees SIGKILL); this prints nothing after "hanging"
#
# Prints "attached" once attached, one line per check, and exits 1 on the first failed check.
import argparse
import ctypes
import errno
import fcntl
import mmap
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
JOB_OFFSET = 40  # struct daedalus_msg: type, ctrl_size, ctx_id, buf_id, ctrl_ptr, reserved[2]
BUF_OFFSET = 96  # struct daedalus_job up to src
BUF_SIZE = 112   # struct daedalus_buffer


def ioc(direction, nr, size, magic=MAGIC):
    return (direction << 30) | (size << 16) | (magic << 8) | nr


IOC_ATTACH = ioc(3, 0, ATTACH_SIZE)
IOC_FETCH = ioc(3, 1, MSG_SIZE)
IOC_COMPLETE = ioc(1, 2, RESULT_SIZE)
IOC_BEGIN_WRITE = ioc(1, 3, WRITE_SIZE)
DMA_BUF_IOCTL_SYNC = ioc(1, 0, 8, ord("b"))
SYNC_START, SYNC_END, SYNC_RW = 0, 4, 3


def check(ok, what):
    print(("  ok: " if ok else "  FAILED: ") + what, flush=True)
    if not ok:
        sys.exit(1)


def call(fd, request, arg):
    """Returns 0 or the errno name of the ioctl."""
    try:
        fcntl.ioctl(fd, request, arg)
        return "0"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def planes(msg, which):
    """(fd, length, offset, bytesused) of each plane of src (0) or dst (1)."""
    base = JOB_OFFSET + BUF_OFFSET + which * BUF_SIZE
    count = struct.unpack_from("<I", msg, base + 12)[0]
    return [struct.unpack_from("<iIII", msg, base + 16 + 24 * i) for i in range(min(count, 4))]


def fetch(fd, area, timeout):
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not poller.poll(200):
            continue
        msg = bytearray(MSG_SIZE)
        struct.pack_into("<II", msg, 0, 0, len(area))
        struct.pack_into("<Q", msg, 24, ctypes.addressof(area))
        if call(fd, IOC_FETCH, msg) != "0":
            continue
        if struct.unpack_from("<I", msg, 0)[0] != MSG_JOB:
            continue
        return msg
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["late", "unasked", "hang"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    fd = os.open(DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    arg = bytearray(struct.pack("<8I", VERSION, MSG_SIZE, RESULT_SIZE, 0, 0, 0, 0, 0))
    fcntl.ioctl(fd, IOC_ATTACH, arg)
    _, _, _, max_ctrl, timeout_ms, _, _, _ = struct.unpack_from("<8I", arg)
    area = (ctypes.c_uint8 * max_ctrl)()
    print(f"attached (job timeout {timeout_ms} ms)", flush=True)

    jobs = 1 if args.mode == "hang" else args.jobs
    for n in range(jobs):
        msg = fetch(fd, area, 120)
        check(msg is not None, f"job {n + 1} fetched")
        seqno = struct.unpack_from("<Q", msg, JOB_OFFSET)[0]
        fds = [p[0] for which in (0, 1) for p in planes(msg, which)]
        write = struct.pack("<Q2I", seqno, 0, 0)
        done = struct.pack("<QiI4I2I", seqno, 0, 0, 0, 0, 0, 0, 0, 0)
        if args.mode == "late":
            time.sleep(timeout_ms / 1000 + 0.5)
            got = call(fd, IOC_BEGIN_WRITE, write)
            check(got == "ENOENT", f"job {seqno}: BEGIN_WRITE after the timeout -> {got} (ENOENT)")
            got = call(fd, IOC_COMPLETE, done)
            check(got == "ENOENT", f"job {seqno}: its answer -> {got} (ENOENT)")
        elif args.mode == "unasked":
            got = call(fd, IOC_COMPLETE, done)
            check(got == "EINVAL", f"job {seqno}: success without BEGIN_WRITE -> {got} (EINVAL)")
            got = call(fd, IOC_COMPLETE, done)
            check(got == "ENOENT", f"job {seqno}: answered again -> {got} (ENOENT)")
        else:
            got = call(fd, IOC_BEGIN_WRITE, write)
            check(got == "0", f"job {seqno}: BEGIN_WRITE in time -> {got}")
            dst_fd, length, offset, used = planes(msg, 1)[0]
            with mmap.mmap(dst_fd, length, mmap.MAP_SHARED,
                           mmap.PROT_READ | mmap.PROT_WRITE) as m:
                fcntl.ioctl(dst_fd, DMA_BUF_IOCTL_SYNC, struct.pack("<Q", SYNC_START | SYNC_RW))
                m[offset:offset + min(used, 4096)] = b"\x5a" * min(used, 4096)
                fcntl.ioctl(dst_fd, DMA_BUF_IOCTL_SYNC, struct.pack("<Q", SYNC_END | SYNC_RW))
                print(f"  job {seqno}: wrote into the CAPTURE buffer; hanging", flush=True)
                time.sleep(3600)
            check(False, "still alive after an hour of hanging")
        for f in fds:
            os.close(f)
    os.close(fd)


main()
