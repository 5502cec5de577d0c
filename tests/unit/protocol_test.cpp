/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The layout of the kernel/daemon protocol: every field where the kernel
 * module puts it (natural alignment, explicit padding, no holes).
 */

#include <cstddef>
#include <gtest/gtest.h>
#include <linux/ioctl.h>

#include <uapi/daedalus-v4l2.h>

namespace {

TEST(Protocol, Attach)
{
	EXPECT_EQ(sizeof(daedalus_attach), 32u);
	EXPECT_EQ(offsetof(daedalus_attach, version), 0u);
	EXPECT_EQ(offsetof(daedalus_attach, msg_size), 4u);
	EXPECT_EQ(offsetof(daedalus_attach, result_size), 8u);
	EXPECT_EQ(offsetof(daedalus_attach, max_ctrl_bytes), 12u);
	EXPECT_EQ(offsetof(daedalus_attach, job_timeout_ms), 16u);
	EXPECT_EQ(offsetof(daedalus_attach, max_contexts), 20u);
	EXPECT_EQ(offsetof(daedalus_attach, reserved), 24u);
}

TEST(Protocol, Ctrl)
{
	EXPECT_EQ(sizeof(daedalus_ctrl), 16u);
	EXPECT_EQ(sizeof(daedalus_ctrl) % DAEDALUS_CTRL_ALIGN, 0u);
	EXPECT_EQ(offsetof(daedalus_ctrl, id), 0u);
	EXPECT_EQ(offsetof(daedalus_ctrl, size), 4u);
	EXPECT_EQ(offsetof(daedalus_ctrl, elems), 8u);
	EXPECT_EQ(offsetof(daedalus_ctrl, reserved), 12u);
}

TEST(Protocol, Plane)
{
	EXPECT_EQ(sizeof(daedalus_plane), 24u);
	EXPECT_EQ(offsetof(daedalus_plane, fd), 0u);
	EXPECT_EQ(offsetof(daedalus_plane, length), 4u);
	EXPECT_EQ(offsetof(daedalus_plane, offset), 8u);
	EXPECT_EQ(offsetof(daedalus_plane, bytesused), 12u);
	EXPECT_EQ(offsetof(daedalus_plane, stride), 16u);
	EXPECT_EQ(offsetof(daedalus_plane, reserved), 20u);
}

TEST(Protocol, Buffer)
{
	EXPECT_EQ(sizeof(daedalus_buffer), 112u);
	EXPECT_EQ(alignof(daedalus_buffer), 8u);
	EXPECT_EQ(offsetof(daedalus_buffer, id), 0u);
	EXPECT_EQ(offsetof(daedalus_buffer, index), 8u);
	EXPECT_EQ(offsetof(daedalus_buffer, num_planes), 12u);
	EXPECT_EQ(offsetof(daedalus_buffer, planes), 16u);
	EXPECT_EQ(sizeof(daedalus_buffer::planes), DAEDALUS_MAX_PLANES * sizeof(daedalus_plane));
}

TEST(Protocol, Job)
{
	EXPECT_EQ(sizeof(daedalus_job), 320u);
	EXPECT_EQ(offsetof(daedalus_job, seqno), 0u);
	EXPECT_EQ(offsetof(daedalus_job, timestamp), 8u);
	/* 64-bit since protocol 2: ids above 2^32 occur. */
	EXPECT_EQ(offsetof(daedalus_job, ctx_id), 16u);
	EXPECT_EQ(sizeof(daedalus_job::ctx_id), 8u);
	EXPECT_EQ(offsetof(daedalus_job, codec), 24u);
	EXPECT_EQ(offsetof(daedalus_job, flags), 28u);
	EXPECT_EQ(offsetof(daedalus_job, ctrl_bytes), 32u);
	EXPECT_EQ(offsetof(daedalus_job, ctrl_count), 36u);
	EXPECT_EQ(offsetof(daedalus_job, sequence), 40u);
	EXPECT_EQ(offsetof(daedalus_job, width), 44u);
	EXPECT_EQ(offsetof(daedalus_job, height), 48u);
	EXPECT_EQ(offsetof(daedalus_job, cap_fourcc), 52u);
	EXPECT_EQ(offsetof(daedalus_job, cap_width), 56u);
	EXPECT_EQ(offsetof(daedalus_job, cap_height), 60u);
	EXPECT_EQ(offsetof(daedalus_job, colorspace), 64u);
	EXPECT_EQ(offsetof(daedalus_job, xfer_func), 68u);
	EXPECT_EQ(offsetof(daedalus_job, ycbcr_enc), 72u);
	EXPECT_EQ(offsetof(daedalus_job, quantization), 76u);
	EXPECT_EQ(offsetof(daedalus_job, reserved), 80u);
	EXPECT_EQ(sizeof(daedalus_job::reserved), 16u);
	EXPECT_EQ(offsetof(daedalus_job, src), 96u);
	EXPECT_EQ(offsetof(daedalus_job, dst), 208u);
}

TEST(Protocol, Msg)
{
	EXPECT_EQ(sizeof(daedalus_msg), 360u);
	EXPECT_EQ(offsetof(daedalus_msg, type), 0u);
	EXPECT_EQ(offsetof(daedalus_msg, ctrl_size), 4u);
	EXPECT_EQ(offsetof(daedalus_msg, ctx_id), 8u);
	EXPECT_EQ(sizeof(daedalus_msg::ctx_id), 8u);
	EXPECT_EQ(offsetof(daedalus_msg, buf_id), 16u);
	EXPECT_EQ(offsetof(daedalus_msg, ctrl_ptr), 24u);
	EXPECT_EQ(offsetof(daedalus_msg, reserved), 32u);
	EXPECT_EQ(sizeof(daedalus_msg::reserved), 8u);
	EXPECT_EQ(offsetof(daedalus_msg, job), 40u);
}

TEST(Protocol, Result)
{
	EXPECT_EQ(sizeof(daedalus_result), 40u);
	EXPECT_EQ(offsetof(daedalus_result, seqno), 0u);
	EXPECT_EQ(offsetof(daedalus_result, status), 8u);
	EXPECT_EQ(offsetof(daedalus_result, num_planes), 12u);
	EXPECT_EQ(offsetof(daedalus_result, bytesused), 16u);
	EXPECT_EQ(offsetof(daedalus_result, reserved), 32u);
}

TEST(Protocol, Write)
{
	EXPECT_EQ(sizeof(daedalus_write), 16u);
	EXPECT_EQ(offsetof(daedalus_write, seqno), 0u);
	EXPECT_EQ(offsetof(daedalus_write, reserved), 8u);
}

TEST(Protocol, Version)
{
	EXPECT_EQ(DAEDALUS_PROTOCOL_VERSION, 2);
}

TEST(Protocol, Ioctls)
{
	EXPECT_EQ(_IOC_TYPE(DAEDALUS_IOC_ATTACH), DAEDALUS_IOC_MAGIC);
	EXPECT_EQ(_IOC_NR(DAEDALUS_IOC_ATTACH), 0u);
	EXPECT_EQ(_IOC_DIR(DAEDALUS_IOC_ATTACH), unsigned{ _IOC_READ | _IOC_WRITE });
	EXPECT_EQ(_IOC_SIZE(DAEDALUS_IOC_ATTACH), sizeof(daedalus_attach));

	EXPECT_EQ(_IOC_TYPE(DAEDALUS_IOC_FETCH), DAEDALUS_IOC_MAGIC);
	EXPECT_EQ(_IOC_NR(DAEDALUS_IOC_FETCH), 1u);
	EXPECT_EQ(_IOC_DIR(DAEDALUS_IOC_FETCH), unsigned{ _IOC_READ | _IOC_WRITE });
	EXPECT_EQ(_IOC_SIZE(DAEDALUS_IOC_FETCH), sizeof(daedalus_msg));

	EXPECT_EQ(_IOC_TYPE(DAEDALUS_IOC_COMPLETE), DAEDALUS_IOC_MAGIC);
	EXPECT_EQ(_IOC_NR(DAEDALUS_IOC_COMPLETE), 2u);
	EXPECT_EQ(_IOC_DIR(DAEDALUS_IOC_COMPLETE), unsigned{ _IOC_WRITE });
	EXPECT_EQ(_IOC_SIZE(DAEDALUS_IOC_COMPLETE), sizeof(daedalus_result));

	EXPECT_EQ(_IOC_TYPE(DAEDALUS_IOC_BEGIN_WRITE), DAEDALUS_IOC_MAGIC);
	EXPECT_EQ(_IOC_NR(DAEDALUS_IOC_BEGIN_WRITE), 3u);
	EXPECT_EQ(_IOC_DIR(DAEDALUS_IOC_BEGIN_WRITE), unsigned{ _IOC_WRITE });
	EXPECT_EQ(_IOC_SIZE(DAEDALUS_IOC_BEGIN_WRITE), sizeof(daedalus_write));
	/* What the Python stand-in daemon (tests/guest/bridge_probe.py) computes. */
	EXPECT_EQ(DAEDALUS_IOC_BEGIN_WRITE, 0x4010da03u);
}

} /* namespace */
