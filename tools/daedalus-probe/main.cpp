/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-probe: a hostile V4L2 client of a stateless decoder node, for the
 * guest tests. Three modes:
 *
 *  controls   out-of-range and contradictory values of the stateless
 *             controls, each tried with VIDIOC_TRY_EXT_CTRLS and set in a
 *             request (V4L2_CTRL_WHICH_REQUEST_VAL); each must be refused
 *             with the errno the case names (the control framework's checks
 *             and the driver's try_ctrl), valid values accepted;
 *  limits     S_FMT beyond the largest and below the smallest size, OUTPUT
 *             sizeimage beyond the limit, REQBUFS and CREATE_BUFS with huge
 *             counts: each must be clamped;
 *  inflight   one request with a real frame queued, then, while its job is
 *             with the daemon, an action: streamoff, streamoff-capture
 *             (then REQBUFS(0) on CAPTURE), reqbufs0 (REQBUFS(0) on both
 *             queues while streaming), flush (DECODER_CMD), close (the video
 *             fd closed, the request fd kept), none, hang (wait to be
 *             killed). The request must complete (done or error) within the
 *             timeout, and the context serve a new request afterwards;
 *  mapping    the CAPTURE memory as the daemon and a client get it: a 1080p
 *             CAPTURE buffer exported (EXPBUF) and mapped as the daemon maps
 *             it, the daemon's picture writer timed into that mapping inside
 *             the DMA_BUF_IOCTL_SYNC brackets against the same writer and a
 *             memcpy into ordinary memory, reads of the client's mapping
 *             (VIDIOC_QUERYBUF + mmap) against reads of ordinary memory, and
 *             the client's view checked byte for byte against what was
 *             written. A measurement: it fails only if the bytes differ;
 *  cma        buffers past a small CMA pool (a guest booted with cma=48M):
 *             REQBUFS of 32 4K CAPTURE buffers must give fewer (every one
 *             mappable) or ENOMEM, CREATE_BUFS past the pool ENOMEM, and
 *             once they are freed, 1080p buffers must come again.
 *
 * Prints one line per case; exits 0 when every case went as expected, 1
 * otherwise, 2 for bad arguments.
 */

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <linux/media.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <daedalus/unique_fd.h>

#include <linux/dma-buf.h>

#include "input.h"
#include "mapped_memory.h"
#include "picture_writer.h"
#include "v4l2_decoder.h"

using daedalus::UniqueFD;
using namespace daedalus::client;
using namespace daedalus::tools;

namespace {

constexpr const char *kName = "daedalus-probe";
constexpr uint32_t kOutput = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
constexpr uint32_t kCapture = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;

using Clock = std::chrono::steady_clock;

int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ::ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

const char *errnoName(int ret)
{
	switch (-ret) {
	case 0:
		return "0";
	case EINVAL:
		return "EINVAL";
	case ERANGE:
		return "ERANGE";
	case EBUSY:
		return "EBUSY";
	case ENOSPC:
		return "ENOSPC";
	case ENOMEM:
		return "ENOMEM";
	case EACCES:
		return "EACCES";
	case ENOENT:
		return "ENOENT";
	case ENODEV:
		return "ENODEV";
	case EPERM:
		return "EPERM";
	default:
		return strerror(-ret);
	}
}

double msSince(Clock::time_point start)
{
	return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/* An open decoder: the video node, its media device. */
struct Node {
	UniqueFD video;
	UniqueFD media;

	int open(const DecoderNode &node)
	{
		video.reset(::open(node.video.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
		media.reset(::open(node.media.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
		return video.isValid() && media.isValid() ? 0 : -errno;
	}

	int ioctl(unsigned long request, void *arg) { return xioctl(video.get(), request, arg); }

	int setOutput(uint32_t codec, uint32_t width, uint32_t height, uint32_t sizeimage,
		      v4l2_format *result = nullptr)
	{
		v4l2_format f{};
		f.type = kOutput;
		f.fmt.pix_mp.pixelformat = codec;
		f.fmt.pix_mp.width = width;
		f.fmt.pix_mp.height = height;
		f.fmt.pix_mp.num_planes = 1;
		f.fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
		const int ret = ioctl(VIDIOC_S_FMT, &f);
		if (result)
			*result = f;
		return ret;
	}

	int reqbufs(uint32_t type, uint32_t *count)
	{
		v4l2_requestbuffers rb{};
		rb.type = type;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = *count;
		const int ret = ioctl(VIDIOC_REQBUFS, &rb);
		*count = rb.count;
		return ret;
	}

	int stream(uint32_t type, bool on)
	{
		return ioctl(on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);
	}

	int newRequest(UniqueFD *request)
	{
		int fd = -1;
		const int ret = xioctl(media.get(), MEDIA_IOC_REQUEST_ALLOC, &fd);
		if (ret == 0)
			request->reset(fd);
		return ret;
	}
};

std::string findNode(const std::string &device, DecoderNode *node)
{
	std::string error;
	if (!device.empty())
		return findDecoder(device, node, &error) < 0 ? error : std::string();
	std::vector<DecoderNode> nodes = findDecoders();
	for (const DecoderNode &candidate : nodes) {
		if (candidate.model == "daedalus-v4l2") {
			*node = candidate;
			return {};
		}
	}
	return "no daedalus-v4l2 decoder found";
}

/* ---------------------------------------------------------------------
 * controls
 */

struct ControlCase {
	const char *codec;
	uint32_t fourcc;
	const char *what;
	/* Who refuses it: the control framework or the driver's try_ctrl. */
	const char *by;
	int expected;
	uint32_t id;
	std::vector<uint8_t> payload;
	uint32_t elems = 1;
	int32_t value = 0;
};

template<typename T>
ControlCase compound(const char *codec, uint32_t fourcc, const char *what, const char *by,
		     int expected, uint32_t id, const T &value)
{
	ControlCase c{ codec, fourcc, what, by, expected, id, {} };
	c.payload.resize(sizeof(T));
	memcpy(c.payload.data(), &value, sizeof(T));
	return c;
}

ControlCase integer(const char *codec, uint32_t fourcc, const char *what, const char *by,
		    int expected, uint32_t id, int32_t value)
{
	ControlCase c{ codec, fourcc, what, by, expected, id, {} };
	c.value = value;
	return c;
}

v4l2_ctrl_h264_sps goodSps()
{
	v4l2_ctrl_h264_sps sps{};
	sps.profile_idc = 100;
	sps.level_idc = 30;
	sps.chroma_format_idc = 1;
	sps.max_num_ref_frames = 1;
	sps.pic_width_in_mbs_minus1 = 320 / 16 - 1;
	sps.pic_height_in_map_units_minus1 = 240 / 16 - 1;
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	return sps;
}

v4l2_ctrl_vp9_frame goodVp9()
{
	v4l2_ctrl_vp9_frame f{};
	f.profile = 0;
	f.bit_depth = 8;
	f.flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		  V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	f.frame_width_minus_1 = 319;
	f.frame_height_minus_1 = 239;
	f.render_width_minus_1 = 319;
	f.render_height_minus_1 = 239;
	return f;
}

v4l2_ctrl_av1_sequence goodAv1Sequence()
{
	v4l2_ctrl_av1_sequence s{};
	s.seq_profile = 0;
	s.bit_depth = 8;
	s.order_hint_bits = 7;
	s.flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y |
		  V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT;
	s.max_frame_width_minus_1 = 319;
	s.max_frame_height_minus_1 = 239;
	return s;
}

v4l2_ctrl_av1_frame goodAv1Frame()
{
	v4l2_ctrl_av1_frame f{};
	f.tile_info.tile_cols = 1;
	f.tile_info.tile_rows = 1;
	f.frame_width_minus_1 = 319;
	f.frame_height_minus_1 = 239;
	f.upscaled_width = 320;
	f.render_width_minus_1 = 319;
	f.render_height_minus_1 = 239;
	f.superres_denom = 8;
	f.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME;
	return f;
}

v4l2_ctrl_av1_tile_group_entry tile(uint32_t offset, uint32_t size, uint32_t row, uint32_t col)
{
	v4l2_ctrl_av1_tile_group_entry t{};
	t.tile_offset = offset;
	t.tile_size = size;
	t.tile_row = row;
	t.tile_col = col;
	return t;
}

v4l2_ctrl_vp8_frame goodVp8()
{
	v4l2_ctrl_vp8_frame f{};
	f.width = 320;
	f.height = 240;
	f.num_dct_parts = 1;
	f.flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME | V4L2_VP8_FRAME_FLAG_SHOW_FRAME;
	return f;
}

std::vector<ControlCase> controlCases()
{
	const uint32_t h264 = V4L2_PIX_FMT_H264_SLICE, vp9 = V4L2_PIX_FMT_VP9_FRAME,
		       av1 = V4L2_PIX_FMT_AV1_FRAME, vp8 = V4L2_PIX_FMT_VP8_FRAME;
	const char *core = "v4l2-ctrls-core", *driver = "try_ctrl";
	std::vector<ControlCase> cases;
	auto sps = [&](const char *what, const char *by, int expected,
		       const std::function<void(v4l2_ctrl_h264_sps &)> &change) {
		v4l2_ctrl_h264_sps value = goodSps();
		change(value);
		cases.push_back(compound("H.264", h264, what, by, expected,
					 V4L2_CID_STATELESS_H264_SPS, value));
	};
	sps("SPS 320x240 High 4:2:0 8-bit (valid)", "-", 0, [](auto &) {});
	sps("SPS High 10, 10-bit luma and chroma (valid)", "-", 0, [](auto &s) {
		s.profile_idc = 110;
		s.bit_depth_luma_minus8 = s.bit_depth_chroma_minus8 = 2;
	});
	sps("SPS chroma_format_idc 3 (High 4:4:4)", driver, -EINVAL, [](auto &s) {
		s.profile_idc = 244;
		s.chroma_format_idc = 3;
	});
	sps("SPS chroma_format_idc 2 (High 4:2:2)", driver, -EINVAL, [](auto &s) {
		s.profile_idc = 122;
		s.chroma_format_idc = 2;
	});
	sps("SPS chroma_format_idc 3 in High profile", core, -EINVAL,
	    [](auto &s) { s.chroma_format_idc = 3; });
	sps("SPS luma 10-bit, chroma 8-bit", driver, -EINVAL,
	    [](auto &s) { s.bit_depth_luma_minus8 = 2; });
	sps("SPS 12-bit", driver, -EINVAL,
	    [](auto &s) { s.bit_depth_luma_minus8 = s.bit_depth_chroma_minus8 = 4; });
	sps("SPS bit_depth_luma_minus8 7", core, -EINVAL,
	    [](auto &s) { s.bit_depth_luma_minus8 = s.bit_depth_chroma_minus8 = 7; });
	sps("SPS 640 wide for a 320x240 format", driver, -EINVAL,
	    [](auto &s) { s.pic_width_in_mbs_minus1 = 39; });
	sps("SPS field coding, 480 high for a 320x240 format", driver, -EINVAL,
	    [](auto &s) { s.flags &= ~V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY; });
	sps("SPS 4800x240 (beyond 4096x2304)", driver, -EINVAL,
	    [](auto &s) { s.pic_width_in_mbs_minus1 = 299; });
	sps("SPS max_num_ref_frames 17 (the DPB holds 16)", driver, -EINVAL,
	    [](auto &s) { s.max_num_ref_frames = 17; });
	sps("SPS max_num_ref_frames 33", core, -EINVAL, [](auto &s) { s.max_num_ref_frames = 33; });
	sps("SPS log2_max_frame_num_minus4 13", core, -EINVAL,
	    [](auto &s) { s.log2_max_frame_num_minus4 = 13; });
	sps("SPS pic_order_cnt_type 3", core, -EINVAL, [](auto &s) { s.pic_order_cnt_type = 3; });

	auto pps = [&](const char *what, int expected,
		       const std::function<void(v4l2_ctrl_h264_pps &)> &change) {
		v4l2_ctrl_h264_pps value{};
		change(value);
		cases.push_back(compound("H.264", h264, what, expected ? core : "-", expected,
					 V4L2_CID_STATELESS_H264_PPS, value));
	};
	pps("PPS defaults (valid)", 0, [](auto &) {});
	pps("PPS num_slice_groups_minus1 8", -EINVAL,
	    [](auto &p) { p.num_slice_groups_minus1 = 8; });
	pps("PPS num_ref_idx_l0_default_active_minus1 32", -EINVAL,
	    [](auto &p) { p.num_ref_idx_l0_default_active_minus1 = 32; });
	pps("PPS weighted_bipred_idc 3", -EINVAL, [](auto &p) { p.weighted_bipred_idc = 3; });
	pps("PPS pic_init_qp_minus26 26", -EINVAL, [](auto &p) { p.pic_init_qp_minus26 = 26; });
	pps("PPS chroma_qp_index_offset 13", -EINVAL,
	    [](auto &p) { p.chroma_qp_index_offset = 13; });
	{
		v4l2_ctrl_h264_decode_params dp{};
		dp.nal_ref_idc = 4;
		cases.push_back(compound("H.264", h264, "DECODE_PARAMS nal_ref_idc 4", core,
					 -EINVAL, V4L2_CID_STATELESS_H264_DECODE_PARAMS, dp));
		v4l2_ctrl_h264_slice_params sp{};
		sp.cabac_init_idc = 3;
		cases.push_back(compound("H.264", h264, "SLICE_PARAMS cabac_init_idc 3", core,
					 -EINVAL, V4L2_CID_STATELESS_H264_SLICE_PARAMS, sp));
		sp = {};
		sp.slice_alpha_c0_offset_div2 = 7;
		cases.push_back(compound("H.264", h264, "SLICE_PARAMS slice_alpha_c0_offset_div2 7",
					 core, -EINVAL, V4L2_CID_STATELESS_H264_SLICE_PARAMS, sp));
		v4l2_ctrl_h264_pred_weights pw{};
		pw.luma_log2_weight_denom = 8;
		cases.push_back(compound("H.264", h264, "PRED_WEIGHTS luma_log2_weight_denom 8",
					 core, -EINVAL, V4L2_CID_STATELESS_H264_PRED_WEIGHTS, pw));
	}
	cases.push_back(integer("H.264", h264, "DECODE_MODE slice-based (pinned to frame-based)",
				"menu range", -ERANGE, V4L2_CID_STATELESS_H264_DECODE_MODE,
				V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED));
	cases.push_back(integer("H.264", h264, "START_CODE none (pinned to Annex B)", "menu range",
				-ERANGE, V4L2_CID_STATELESS_H264_START_CODE,
				V4L2_STATELESS_H264_START_CODE_NONE));

	auto vp9f = [&](const char *what, const char *by, int expected,
			const std::function<void(v4l2_ctrl_vp9_frame &)> &change) {
		v4l2_ctrl_vp9_frame value = goodVp9();
		change(value);
		cases.push_back(compound("VP9", vp9, what, by, expected,
					 V4L2_CID_STATELESS_VP9_FRAME, value));
	};
	vp9f("FRAME profile 0 320x240 (valid)", "-", 0, [](auto &) {});
	vp9f("FRAME profile 1 (4:4:4)", driver, -EINVAL, [](auto &f) {
		f.profile = 1;
		f.flags &= ~(V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	});
	vp9f("FRAME profile 3, 10-bit 4:4:4", driver, -EINVAL, [](auto &f) {
		f.profile = 3;
		f.bit_depth = 10;
		f.flags &= ~(V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	});
	vp9f("FRAME profile 2, 12-bit", driver, -EINVAL, [](auto &f) {
		f.profile = 2;
		f.bit_depth = 12;
	});
	vp9f("FRAME profile 0, 10-bit", core, -EINVAL, [](auto &f) { f.bit_depth = 10; });
	vp9f("FRAME 8192x240 (beyond 4096x2304)", driver, -EINVAL,
	     [](auto &f) { f.frame_width_minus_1 = 8191; });
	vp9f("FRAME loop filter level 64", core, -EINVAL, [](auto &f) { f.lf.level = 64; });
	vp9f("FRAME tile_cols_log2 7", core, -EINVAL, [](auto &f) { f.tile_cols_log2 = 7; });
	vp9f("FRAME interpolation_filter 5", core, -EINVAL,
	     [](auto &f) { f.interpolation_filter = 5; });
	vp9f("FRAME error-resilient with refresh_frame_context", core, -EINVAL, [](auto &f) {
		f.flags |= V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT |
			   V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX;
	});
	{
		v4l2_ctrl_vp9_compressed_hdr hdr{};
		hdr.tx_mode = 5;
		cases.push_back(compound("VP9", vp9, "COMPRESSED_HDR tx_mode 5", core, -EINVAL,
					 V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, hdr));
	}

	auto seq = [&](const char *what, const char *by, int expected,
		       const std::function<void(v4l2_ctrl_av1_sequence &)> &change) {
		v4l2_ctrl_av1_sequence value = goodAv1Sequence();
		change(value);
		cases.push_back(compound("AV1", av1, what, by, expected,
					 V4L2_CID_STATELESS_AV1_SEQUENCE, value));
	};
	seq("SEQUENCE Main 8-bit 320x240 (valid)", "-", 0, [](auto &) {});
	seq("SEQUENCE profile 1 (High, 4:4:4)", driver, -EINVAL, [](auto &s) {
		s.seq_profile = 1;
		s.flags &= ~(V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			     V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y);
	});
	seq("SEQUENCE profile 2 (Professional)", driver, -EINVAL,
	    [](auto &s) { s.seq_profile = 2; });
	seq("SEQUENCE profile 3 (reserved)", core, -EINVAL, [](auto &s) { s.seq_profile = 3; });
	seq("SEQUENCE 12-bit", driver, -EINVAL, [](auto &s) { s.bit_depth = 12; });
	seq("SEQUENCE max frame 8192x4096", driver, -EINVAL, [](auto &s) {
		s.max_frame_width_minus_1 = 8191;
		s.max_frame_height_minus_1 = 4095;
	});
	seq("SEQUENCE unknown flag", core, -EINVAL, [](auto &s) { s.flags |= 1u << 30; });

	auto av1f = [&](const char *what, const char *by, int expected,
			const std::function<void(v4l2_ctrl_av1_frame &)> &change) {
		v4l2_ctrl_av1_frame value = goodAv1Frame();
		change(value);
		cases.push_back(compound("AV1", av1, what, by, expected,
					 V4L2_CID_STATELESS_AV1_FRAME, value));
	};
	av1f("FRAME 320x240 (valid)", "-", 0, [](auto &) {});
	av1f("FRAME 65 tile columns", core, -EINVAL, [](auto &f) { f.tile_info.tile_cols = 65; });
	av1f("FRAME upscaled to 8192 wide", driver, -EINVAL,
	     [](auto &f) { f.upscaled_width = 8192; });
	av1f("FRAME superres_denom 20", core, -EINVAL, [](auto &f) { f.superres_denom = 20; });
	av1f("FRAME cdef bits 4", core, -EINVAL, [](auto &f) { f.cdef.bits = 4; });

	auto tiles = [&](const char *what, const char *by, int expected,
			 std::vector<v4l2_ctrl_av1_tile_group_entry> entries) {
		ControlCase c{ "AV1", av1,	what,
			       by,    expected, V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
			       {} };
		c.payload.resize(entries.size() * sizeof(entries[0]));
		memcpy(c.payload.data(), entries.data(), c.payload.size());
		c.elems = entries.size();
		cases.push_back(c);
	};
	tiles("TILE_GROUP_ENTRY two tiles (valid)", "-", 0,
	      { tile(0, 1000, 0, 0), tile(1000, 500, 0, 1) });
	/* The control's default value: valid for the control; the daemon fails such a job. */
	tiles("TILE_GROUP_ENTRY empty tile (the default)", "-", 0, { tile(0, 0, 0, 0) });
	tiles("TILE_GROUP_ENTRY tile row 64", driver, -EINVAL, { tile(0, 100, 64, 0) });
	tiles("TILE_GROUP_ENTRY offset+size wraps around", driver, -EINVAL,
	      { tile(0xfffff000u, 0x2000u, 0, 0) });
	tiles("TILE_GROUP_ENTRY beyond the largest OUTPUT buffer", driver, -EINVAL,
	      { tile(64u << 20, 16, 0, 0) });
	/* V4L2_AV1_MAX_TILE_COUNT: the array's size. */
	tiles("TILE_GROUP_ENTRY 512 entries (the array's size)", "-", 0,
	      std::vector<v4l2_ctrl_av1_tile_group_entry>(512, tile(0, 16, 0, 0)));
	tiles("TILE_GROUP_ENTRY 513 entries (array of 512)", "array size", -ENOSPC,
	      std::vector<v4l2_ctrl_av1_tile_group_entry>(513, tile(0, 16, 0, 0)));
	{
		v4l2_ctrl_av1_film_grain fg{};
		fg.num_y_points = 15;
		cases.push_back(compound("AV1", av1, "FILM_GRAIN num_y_points 15", core, -EINVAL,
					 V4L2_CID_STATELESS_AV1_FILM_GRAIN, fg));
	}
	cases.push_back(integer("AV1", av1, "AV1_PROFILE High (only Main offered)", "menu range",
				-ERANGE, V4L2_CID_MPEG_VIDEO_AV1_PROFILE,
				V4L2_MPEG_VIDEO_AV1_PROFILE_HIGH));

	auto vp8f = [&](const char *what, const char *by, int expected,
			const std::function<void(v4l2_ctrl_vp8_frame &)> &change) {
		v4l2_ctrl_vp8_frame value = goodVp8();
		change(value);
		cases.push_back(compound("VP8", vp8, what, by, expected,
					 V4L2_CID_STATELESS_VP8_FRAME, value));
	};
	vp8f("FRAME 320x240 (valid)", "-", 0, [](auto &) {});
	vp8f("FRAME num_dct_parts 3", core, -EINVAL, [](auto &f) { f.num_dct_parts = 3; });
	vp8f("FRAME 8192x240", driver, -EINVAL, [](auto &f) { f.width = 8192; });
	return cases;
}

int tryControl(Node &node, const ControlCase &c, uint32_t which, int requestFd)
{
	v4l2_ext_control control{};
	control.id = c.id;
	if (c.payload.empty()) {
		control.value = c.value;
	} else {
		control.size = c.payload.size();
		control.ptr = const_cast<uint8_t *>(c.payload.data());
	}
	v4l2_ext_controls ext{};
	ext.which = which;
	ext.count = 1;
	ext.controls = &control;
	if (which == V4L2_CTRL_WHICH_REQUEST_VAL) {
		ext.request_fd = requestFd;
		return node.ioctl(VIDIOC_S_EXT_CTRLS, &ext);
	}
	return node.ioctl(VIDIOC_TRY_EXT_CTRLS, &ext);
}

int runControls(const DecoderNode &decoder)
{
	unsigned int cases = 0, refused = 0, accepted = 0, wrong = 0;
	for (const ControlCase &c : controlCases()) {
		/* A context per case: no value of an earlier case stays. */
		Node node;
		UniqueFD request;
		int ret = node.open(decoder);
		if (!ret)
			ret = node.setOutput(c.fourcc, 320, 240, 0);
		if (!ret)
			ret = node.newRequest(&request);
		if (ret) {
			printf("  %s: cannot set up a context: %s\n", c.what, strerror(-ret));
			return 1;
		}
		const int tried = tryControl(node, c, V4L2_CTRL_WHICH_CUR_VAL, -1);
		const int set = tryControl(node, c, V4L2_CTRL_WHICH_REQUEST_VAL, request.get());
		const bool ok = tried == c.expected && set == c.expected;
		cases++;
		if (!ok)
			wrong++;
		else if (c.expected)
			refused++;
		else
			accepted++;
		printf("  %-5s %-52s TRY %-6s request %-6s %s%s\n", c.codec, c.what,
		       errnoName(tried), errnoName(set), ok ? "ok" : "WRONG, expected ",
		       ok ? (c.expected ? (std::string(" (") + c.by + ")").c_str() : "")
			  : errnoName(c.expected));
	}
	printf("controls: %u cases, %u refused as expected, %u valid accepted, %u wrong\n", cases,
	       refused, accepted, wrong);
	return wrong ? 1 : 0;
}

/* ---------------------------------------------------------------------
 * limits
 */

int runLimits(const DecoderNode &decoder)
{
	unsigned int checks = 0, wrong = 0;
	auto check = [&](bool ok, const std::string &what) {
		checks++;
		wrong += !ok;
		printf("  %-74s %s\n", what.c_str(), ok ? "ok" : "WRONG");
	};

	Node node;
	if (node.open(decoder) < 0) {
		printf("  cannot open %s\n", decoder.video.c_str());
		return 1;
	}
	const uint32_t vp9 = V4L2_PIX_FMT_VP9_FRAME;
	v4l2_format f;
	int ret = node.setOutput(vp9, 100000, 100000, 0, &f);
	check(!ret && f.fmt.pix_mp.width == 4096 && f.fmt.pix_mp.height == 2304,
	      "S_FMT OUTPUT 100000x100000 -> " + std::to_string(f.fmt.pix_mp.width) + "x" +
		      std::to_string(f.fmt.pix_mp.height) + " (max 4096x2304)");
	v4l2_format cap{};
	cap.type = kCapture;
	node.ioctl(VIDIOC_G_FMT, &cap);
	check(cap.fmt.pix_mp.plane_fmt[0].sizeimage <= 4096u * 2304 * 3 / 2,
	      "CAPTURE then " + std::to_string(cap.fmt.pix_mp.width) + "x" +
		      std::to_string(cap.fmt.pix_mp.height) + ", sizeimage " +
		      std::to_string(cap.fmt.pix_mp.plane_fmt[0].sizeimage));
	ret = node.setOutput(vp9, 1, 1, 0, &f);
	check(!ret && f.fmt.pix_mp.width == 16 && f.fmt.pix_mp.height == 16,
	      "S_FMT OUTPUT 1x1 -> " + std::to_string(f.fmt.pix_mp.width) + "x" +
		      std::to_string(f.fmt.pix_mp.height) + " (min 16x16)");
	ret = node.setOutput(vp9, 64, 64, 0xffffffffu, &f);
	check(!ret && f.fmt.pix_mp.plane_fmt[0].sizeimage == 64u << 20,
	      "S_FMT OUTPUT sizeimage 4294967295 -> " +
		      std::to_string(f.fmt.pix_mp.plane_fmt[0].sizeimage) + " (max 64 MiB)");
	ret = node.setOutput(vp9, 64, 64, 1, &f);
	check(!ret && f.fmt.pix_mp.plane_fmt[0].sizeimage >= 4096,
	      "S_FMT OUTPUT sizeimage 1 -> " + std::to_string(f.fmt.pix_mp.plane_fmt[0].sizeimage) +
		      " (at least a page)");
	v4l2_format tf{};
	tf.type = kCapture;
	tf.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_NV12;
	tf.fmt.pix_mp.width = 100000;
	tf.fmt.pix_mp.height = 100000;
	ret = node.ioctl(VIDIOC_TRY_FMT, &tf);
	check(!ret && tf.fmt.pix_mp.width == 64 && tf.fmt.pix_mp.height == 64,
	      "TRY_FMT CAPTURE 100000x100000 -> " + std::to_string(tf.fmt.pix_mp.width) + "x" +
		      std::to_string(tf.fmt.pix_mp.height) + " (the OUTPUT size: no scaling)");

	ret = node.setOutput(vp9, 64, 64, 0, &f);
	uint32_t count = 100000;
	ret = node.reqbufs(kOutput, &count);
	check(!ret && count >= 1 && count <= 32,
	      "REQBUFS OUTPUT 100000 -> " + std::to_string(count) + " (vb2: at most 32)");
	const uint32_t outputs = count;
	count = 100000;
	ret = node.reqbufs(kCapture, &count);
	check(!ret && count >= 1 && count <= 32,
	      "REQBUFS CAPTURE 100000 -> " + std::to_string(count) + " (vb2: at most 32)");

	/*
	 * Formats while buffers exist: the CAPTURE buffers were made for
	 * 64x64, so a new OUTPUT size or codec must wait until they are
	 * freed; setting the formats they were made for again is accepted,
	 * and a CAPTURE size is always the OUTPUT's (no scaling).
	 */
	ret = node.setOutput(vp9, 128, 128, 0);
	check(ret == -EBUSY, std::string("S_FMT OUTPUT 128x128 with 64x64 CAPTURE buffers -> ") +
				     errnoName(ret) + " (EBUSY)");
	ret = node.setOutput(V4L2_PIX_FMT_H264_SLICE, 64, 64, 0);
	check(ret == -EBUSY,
	      std::string("S_FMT OUTPUT H.264 with VP9 buffers -> ") + errnoName(ret) + " (EBUSY)");
	ret = node.setOutput(vp9, 64, 64, 0);
	check(!ret, std::string("S_FMT OUTPUT 64x64 again -> ") + errnoName(ret) + " (accepted)");
	v4l2_format cf{};
	cf.type = kCapture;
	node.ioctl(VIDIOC_G_FMT, &cf);
	ret = node.ioctl(VIDIOC_S_FMT, &cf);
	check(!ret, std::string("S_FMT CAPTURE with its own format -> ") + errnoName(ret) +
			    " (accepted)");
	cf.fmt.pix_mp.width = 128;
	cf.fmt.pix_mp.height = 128;
	cf.fmt.pix_mp.plane_fmt[0].bytesperline = 0;
	cf.fmt.pix_mp.plane_fmt[0].sizeimage = 0;
	ret = node.ioctl(VIDIOC_S_FMT, &cf);
	check(!ret && cf.fmt.pix_mp.width == 64 && cf.fmt.pix_mp.height == 64,
	      std::string("S_FMT CAPTURE 128x128 with 64x64 buffers -> ") + errnoName(ret) + ", " +
		      std::to_string(cf.fmt.pix_mp.width) + "x" +
		      std::to_string(cf.fmt.pix_mp.height) + " (the OUTPUT's size: no scaling)");
	v4l2_create_buffers cb{};
	cb.count = 100000;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = kOutput;
	node.ioctl(VIDIOC_G_FMT, &cb.format);
	ret = node.ioctl(VIDIOC_CREATE_BUFS, &cb);
	check((ret == 0 && outputs + cb.count <= 32) || ret == -ENOBUFS || ret == -ENOMEM,
	      std::string("CREATE_BUFS OUTPUT 100000 more -> ") +
		      (ret ? errnoName(ret) : std::to_string(cb.count) + " more"));
	count = 0;
	node.reqbufs(kOutput, &count);
	count = 0;
	node.reqbufs(kCapture, &count);
	/*
	 * With no buffers left, CREATE_BUFS takes the client's sizeimage:
	 * never beyond what the daemon is made to map (64 MiB of bitstream,
	 * a 4096x2304 P010 picture).
	 */
	const struct {
		uint32_t type;
		uint32_t size;
		const char *what;
	} huge[] = {
		{ kOutput, 0xfffff000u, "OUTPUT sizeimage 0xfffff000" },
		{ kOutput, (64u << 20) + 4096, "OUTPUT sizeimage 64 MiB + 4096" },
		{ kCapture, 0xfffff000u, "CAPTURE sizeimage 0xfffff000" },
		{ kCapture, 4096u * 2304 * 3 + 4096, "CAPTURE sizeimage 4096x2304 P010 + 4096" },
	};
	for (const auto &h : huge) {
		v4l2_create_buffers big{};
		big.count = 1;
		big.memory = V4L2_MEMORY_MMAP;
		big.format.type = h.type;
		node.ioctl(VIDIOC_G_FMT, &big.format);
		big.format.fmt.pix_mp.plane_fmt[0].sizeimage = h.size;
		ret = node.ioctl(VIDIOC_CREATE_BUFS, &big);
		check(ret == -EINVAL,
		      std::string("CREATE_BUFS ") + h.what + " -> " +
			      (ret ? errnoName(ret) : std::to_string(big.count) + " buffer(s)") +
			      " (EINVAL)");
	}
	ret = node.setOutput(vp9, 128, 128, 0, &f);
	check(!ret && f.fmt.pix_mp.width == 128,
	      std::string("S_FMT OUTPUT 128x128 once the buffers are freed -> ") + errnoName(ret) +
		      " (accepted)");

	printf("limits: %u checks, %u wrong\n", checks, wrong);
	return wrong ? 1 : 0;
}

/* ---------------------------------------------------------------------
 * inflight
 */

struct InflightOptions {
	std::string action;
	std::string input;
	uint32_t width = 0, height = 0;
	unsigned int holdMs = 200;
	unsigned int timeoutMs = 5000;
};

/* Waits for @requestFd to complete; returns the time taken or -1. */
double waitRequest(int requestFd, unsigned int timeoutMs, Clock::time_point start)
{
	pollfd pfd = { requestFd, POLLPRI, 0 };
	int ret;
	do {
		ret = poll(&pfd, 1, timeoutMs);
	} while (ret < 0 && errno == EINTR);
	return ret > 0 ? msSince(start) : -1;
}

struct Stream {
	Node node;
	std::vector<MappedMemory> outputs;
	UniqueFD request;
};

int setUp(const DecoderNode &decoder, const InflightOptions &o, size_t dataSize, Stream *s)
{
	int ret = s->node.open(decoder);
	if (!ret)
		ret = s->node.setOutput(V4L2_PIX_FMT_VP9_FRAME, o.width, o.height,
					std::max<size_t>(dataSize, 256 * 1024));
	uint32_t count = 2;
	if (!ret)
		ret = s->node.reqbufs(kOutput, &count);
	for (uint32_t i = 0; !ret && i < count; i++) {
		v4l2_plane plane{};
		v4l2_buffer buf{};
		buf.index = i;
		buf.type = kOutput;
		buf.memory = V4L2_MEMORY_MMAP;
		buf.m.planes = &plane;
		buf.length = 1;
		ret = s->node.ioctl(VIDIOC_QUERYBUF, &buf);
		if (ret)
			break;
		void *p = mmap(nullptr, plane.length, PROT_READ | PROT_WRITE, MAP_SHARED,
			       s->node.video.get(), plane.m.mem_offset);
		if (p == MAP_FAILED)
			return -errno;
		s->outputs.emplace_back(p, plane.length);
	}
	count = 2;
	if (!ret)
		ret = s->node.reqbufs(kCapture, &count);
	if (!ret)
		ret = s->node.stream(kOutput, true);
	if (!ret)
		ret = s->node.stream(kCapture, true);
	if (!ret)
		ret = s->node.newRequest(&s->request);
	return ret;
}

int queueRequest(Stream *s, const std::vector<uint8_t> &data, unsigned int index, uint64_t ts)
{
	memcpy(s->outputs[index].data().data(), data.data(), data.size());
	v4l2_plane plane{};
	v4l2_buffer buf{};
	buf.index = index;
	buf.type = kOutput;
	buf.memory = V4L2_MEMORY_MMAP;
	buf.m.planes = &plane;
	buf.length = 1;
	plane.bytesused = data.size();
	buf.flags = V4L2_BUF_FLAG_REQUEST_FD;
	buf.request_fd = s->request.get();
	buf.timestamp.tv_sec = ts / 1000000;
	buf.timestamp.tv_usec = ts % 1000000;
	int ret = s->node.ioctl(VIDIOC_QBUF, &buf);
	if (ret)
		return ret;
	v4l2_plane cplane{};
	v4l2_buffer cbuf{};
	cbuf.index = index;
	cbuf.type = kCapture;
	cbuf.memory = V4L2_MEMORY_MMAP;
	cbuf.m.planes = &cplane;
	cbuf.length = 1;
	ret = s->node.ioctl(VIDIOC_QBUF, &cbuf);
	if (ret)
		return ret;
	return xioctl(s->request.get(), MEDIA_REQUEST_IOC_QUEUE, nullptr);
}

/* DQBUF of one buffer of @type; its ERROR flag in @error. */
int dequeue(Stream *s, uint32_t type, bool *error)
{
	v4l2_plane plane{};
	v4l2_buffer buf{};
	buf.type = type;
	buf.memory = V4L2_MEMORY_MMAP;
	buf.m.planes = &plane;
	buf.length = 1;
	const int ret = s->node.ioctl(VIDIOC_DQBUF, &buf);
	if (!ret)
		*error |= (buf.flags & V4L2_BUF_FLAG_ERROR) != 0;
	return ret;
}

int runInflight(const DecoderNode &decoder, const InflightOptions &o)
{
	Input input;
	std::string error;
	if (readInput(o.input, Codec::Vp9, &input, &error) < 0 || input.units.empty()) {
		printf("  %s\n", error.empty() ? "no frames" : error.c_str());
		return 1;
	}
	const std::vector<uint8_t> &frame = input.units[0];

	Stream s;
	int ret = setUp(decoder, o, frame.size(), &s);
	if (ret) {
		printf("  cannot set up the stream: %s\n", strerror(-ret));
		return 1;
	}
	const Clock::time_point start = Clock::now();
	ret = queueRequest(&s, frame, 0, 1000);
	if (ret) {
		printf("  cannot queue the request: %s\n", strerror(-ret));
		return 1;
	}
	std::this_thread::sleep_for(std::chrono::milliseconds(o.holdMs));
	const bool pending = waitRequest(s.request.get(), 0, start) < 0;

	std::string did;
	bool expectRestart = false;
	/* ACTION:norestart: no request after the action (a stand-in daemon answers it late). */
	std::string action = o.action;
	const bool noRestart = action.ends_with(":norestart");
	if (noRestart)
		action.resize(action.size() - strlen(":norestart"));
	const Clock::time_point actionStart = Clock::now();
	if (action == "streamoff") {
		ret = s.node.stream(kOutput, false);
		did = std::string("STREAMOFF OUTPUT: ") + errnoName(ret);
		expectRestart = true;
	} else if (action == "streamoff-capture") {
		ret = s.node.stream(kCapture, false);
		uint32_t count = 0;
		const int freed = s.node.reqbufs(kCapture, &count);
		did = std::string("STREAMOFF CAPTURE: ") + errnoName(ret) +
		      ", REQBUFS(0) CAPTURE: " + errnoName(freed);
		ret = ret ? ret : freed;
		expectRestart = true;
	} else if (action == "reqbufs0") {
		uint32_t count = 0;
		const int out = s.node.reqbufs(kOutput, &count);
		count = 0;
		const int capture = s.node.reqbufs(kCapture, &count);
		did = std::string("REQBUFS(0) while streaming: OUTPUT ") + errnoName(out) +
		      ", CAPTURE " + errnoName(capture);
		/* vb2 refuses to free the buffers of a streaming queue. */
		ret = out == -EBUSY && capture == -EBUSY ? 0 : -EINVAL;
	} else if (action == "flush") {
		v4l2_decoder_cmd cmd{};
		cmd.cmd = V4L2_DEC_CMD_FLUSH;
		const int flush = s.node.ioctl(VIDIOC_DECODER_CMD, &cmd);
		cmd = {};
		cmd.cmd = V4L2_DEC_CMD_STOP;
		const int stop = s.node.ioctl(VIDIOC_DECODER_CMD, &cmd);
		did = std::string("DECODER_CMD FLUSH: ") + errnoName(flush) +
		      ", STOP (stateful only): " + errnoName(stop);
		ret = flush == 0 && stop == -EINVAL ? 0 : -EINVAL;
	} else if (action == "close") {
		s.outputs.clear();
		s.node.video.reset();
		did = "video fd closed (request and media fds kept)";
		ret = 0;
	} else if (action == "hang") {
		printf("  request queued, job with the daemon: %s; waiting to be killed\n",
		       pending ? "yes" : "no (already done)");
		fflush(stdout);
		for (;;)
			pause();
	} else if (action == "none") {
		did = "nothing";
		ret = 0;
	} else {
		fprintf(stderr, "%s: unknown action '%s'\n", kName, action.c_str());
		return 2;
	}
	const double actionMs = msSince(actionStart);

	const double done = waitRequest(s.request.get(), o.timeoutMs, start);
	bool bufError = false;
	std::string buffers;
	if (done >= 0 && s.node.video.isValid() && action != "streamoff" &&
	    action != "streamoff-capture") {
		const int a = dequeue(&s, kOutput, &bufError);
		const int b = dequeue(&s, kCapture, &bufError);
		buffers = a || b     ? ", DQBUF failed"
			  : bufError ? ", buffers ERROR"
				     : ", buffers DONE";
	}
	printf("  %s after %u ms (job %s): %s in %.0f ms; request %s%s\n", did.c_str(), o.holdMs,
	       pending ? "pending" : "already done", "returned", actionMs,
	       done >= 0
		       ? ("completed at " + std::to_string(static_cast<int>(done)) + " ms").c_str()
		       : "NOT COMPLETED",
	       buffers.c_str());
	if (done < 0 || ret)
		return 1;

	/* The context serves again after a restart (a seek). */
	if (expectRestart && !noRestart) {
		uint32_t count = 2;
		s.node.stream(kOutput, false);
		s.node.stream(kCapture, false);
		if (action == "streamoff-capture")
			s.node.reqbufs(kCapture, &count);
		xioctl(s.request.get(), MEDIA_REQUEST_IOC_REINIT, nullptr);
		ret = s.node.stream(kOutput, true);
		if (!ret)
			ret = s.node.stream(kCapture, true);
		const Clock::time_point again = Clock::now();
		if (!ret)
			ret = queueRequest(&s, frame, 1, 2000);
		const double t = ret ? -1 : waitRequest(s.request.get(), o.timeoutMs, again);
		bool err = false;
		if (t >= 0) {
			dequeue(&s, kOutput, &err);
			dequeue(&s, kCapture, &err);
		}
		printf("  the context decodes again after a restart: %s\n",
		       t < 0 ? (std::string("NO (") + errnoName(ret) + ")").c_str()
		       : err ? "request completed with ERROR"
			     : ("picture DONE in " + std::to_string(static_cast<int>(t)) + " ms")
				       .c_str());
		if (t < 0 || err)
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * mapping
 */

double medianOf(std::vector<double> values)
{
	std::sort(values.begin(), values.end());
	return values[values.size() / 2];
}

/* Milliseconds of @fn, the median of @reps runs. */
double timeMs(unsigned int reps, const std::function<void()> &fn)
{
	std::vector<double> runs;
	for (unsigned int i = 0; i < reps; i++) {
		const Clock::time_point t0 = Clock::now();
		fn();
		runs.push_back(msSince(t0));
	}
	return medianOf(runs);
}

/* A sum of every 64-bit word: reads all of @data, and the compiler cannot drop it. */
uint64_t readAll(std::span<const uint8_t> data)
{
	uint64_t sum = 0;
	for (size_t i = 0; i + 8 <= data.size(); i += 8) {
		uint64_t word;
		memcpy(&word, data.data() + i, 8);
		sum += word;
	}
	return sum;
}

int dmabufSync(int fd, uint64_t flags)
{
	dma_buf_sync sync{};
	sync.flags = flags;
	return xioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

/*
 * The client's mapping of CAPTURE buffer @index (QUERYBUF, then mmap of the
 * video node); an invalid one, with @error a negative errno, if it fails.
 */
MappedMemory mapCapture(Node &node, uint32_t index, int *error)
{
	v4l2_plane planes[VIDEO_MAX_PLANES]{};
	v4l2_buffer b{};
	b.type = kCapture;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	b.length = VIDEO_MAX_PLANES;
	b.m.planes = planes;
	*error = node.ioctl(VIDIOC_QUERYBUF, &b);
	if (*error < 0)
		return {};
	void *addr = mmap(nullptr, planes[0].length, PROT_READ | PROT_WRITE, MAP_SHARED,
			  node.video.get(), planes[0].m.mem_offset);
	if (addr == MAP_FAILED) {
		*error = -errno;
		return {};
	}
	return MappedMemory(addr, planes[0].length);
}

int runMapping(const DecoderNode &decoder, unsigned int reps)
{
	constexpr uint32_t kWidth = 1920, kHeight = 1080;
	Node node;
	if (node.open(decoder) < 0) {
		printf("mapping: cannot open %s: %s\n", decoder.video.c_str(), strerror(errno));
		return 1;
	}
	int ret = node.setOutput(V4L2_PIX_FMT_H264_SLICE, kWidth, kHeight, 0);
	v4l2_format cf{};
	cf.type = kCapture;
	if (ret == 0)
		ret = node.ioctl(VIDIOC_G_FMT, &cf);
	uint32_t count = 1;
	if (ret == 0)
		ret = node.reqbufs(kCapture, &count);
	if (ret < 0 || count < 1) {
		printf("mapping: CAPTURE setup failed: %s\n", errnoName(ret));
		return 1;
	}
	const v4l2_pix_format_mplane &pix = cf.fmt.pix_mp;

	/* The client's mapping: QUERYBUF and mmap of the video node. */
	MappedMemory client = mapCapture(node, 0, &ret);
	if (!client.isValid()) {
		printf("mapping: cannot map CAPTURE buffer 0 of the video node: %s\n",
		       errnoName(ret));
		return 1;
	}
	const size_t length = client.data().size();

	/* The daemon's mapping: the exported dma-buf, mapped read-write, shared. */
	v4l2_exportbuffer eb{};
	eb.type = kCapture;
	eb.index = 0;
	eb.flags = O_RDWR | O_CLOEXEC;
	ret = node.ioctl(VIDIOC_EXPBUF, &eb);
	if (ret < 0) {
		printf("mapping: EXPBUF failed: %s\n", errnoName(ret));
		return 1;
	}
	UniqueFD dmabuf(eb.fd);
	void *daemonAddr =
		mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf.get(), 0);
	if (daemonAddr == MAP_FAILED) {
		printf("mapping: mmap of the dma-buf failed: %s\n", strerror(errno));
		return 1;
	}
	MappedMemory mapped(daemonAddr, length);

	/* A 1080p picture as a decoder leaves it (planes with padded lines). */
	const uint32_t lumaStride = kWidth + 64, chromaStride = kWidth / 2 + 32;
	std::vector<uint8_t> luma(size_t{ lumaStride } * kHeight);
	std::vector<uint8_t> cb(size_t{ chromaStride } * kHeight / 2);
	std::vector<uint8_t> cr(cb.size());
	for (size_t i = 0; i < luma.size(); i++)
		luma[i] = static_cast<uint8_t>(i * 7 + i / 4096);
	for (size_t i = 0; i < cb.size(); i++) {
		cb[i] = static_cast<uint8_t>(i * 3);
		cr[i] = static_cast<uint8_t>(255 - i * 5);
	}
	daedalus::Picture420 picture;
	picture.width = kWidth;
	picture.height = kHeight;
	picture.planes[0] = luma.data();
	picture.planes[1] = cb.data();
	picture.planes[2] = cr.data();
	picture.strides[0] = lumaStride;
	picture.strides[1] = picture.strides[2] = chromaStride;

	const uint64_t imageBytes = daedalus::nv12Size(pix.plane_fmt[0].bytesperline, pix.height);
	std::vector<uint8_t> ordinary(length);
	std::vector<uint8_t> source(length, 0x5a);
	auto image = [&](uint8_t *data) {
		daedalus::CaptureImage img;
		img.format = daedalus::CaptureFormat::Nv12;
		img.data = { data, length };
		img.stride = pix.plane_fmt[0].bytesperline;
		img.width = pix.width;
		img.height = pix.height;
		return img;
	};
	const daedalus::CaptureImage toOrdinary = image(ordinary.data());
	const daedalus::CaptureImage toCapture = image(mapped.data().data());
	if (daedalus::writePicture(picture, toCapture) < 0) {
		printf("mapping: the writer refused the %ux%u CAPTURE format\n", pix.width,
		       pix.height);
		return 1;
	}

	int syncErrors = 0;
	double writerOrdinary = 0, writerCapture = 0, copyOrdinary = 0, readOrdinary = 0,
	       readCapture = 0;
	uint64_t sums = 0;
	/* The sides alternate, repeated, so that a noisy machine hurts both alike. */
	for (int round = 0; round < 3; round++) {
		writerOrdinary +=
			timeMs(reps, [&] { daedalus::writePicture(picture, toOrdinary); });
		writerCapture += timeMs(reps, [&] {
			syncErrors += dmabufSync(dmabuf.get(),
						 DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE) < 0;
			daedalus::writePicture(picture, toCapture);
			syncErrors +=
				dmabufSync(dmabuf.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE) < 0;
		});
		copyOrdinary +=
			timeMs(reps, [&] { memcpy(ordinary.data(), source.data(), imageBytes); });
		readOrdinary +=
			timeMs(reps, [&] { sums += readAll({ ordinary.data(), imageBytes }); });
		readCapture += timeMs(reps, [&] {
			syncErrors += dmabufSync(dmabuf.get(),
						 DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) < 0;
			sums += readAll({ client.data().data(), imageBytes });
			syncErrors +=
				dmabufSync(dmabuf.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) < 0;
		});
	}

	/*
	 * What the client sees through its own mapping is what the daemon's wrote
	 * (the lines past the picture's, cleared on both sides first).
	 */
	memset(ordinary.data(), 0, imageBytes);
	daedalus::writePicture(picture, toOrdinary);
	syncErrors += dmabufSync(dmabuf.get(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE) < 0;
	memset(mapped.data().data(), 0, imageBytes);
	daedalus::writePicture(picture, toCapture);
	syncErrors += dmabufSync(dmabuf.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE) < 0;
	const bool same = memcmp(client.data().data(), ordinary.data(), imageBytes) == 0;

	const double mb = imageBytes / 1e6;
	printf("mapping: %ux%u NV12, %.2f MB, medians of %u runs x 3 rounds (sum of reads %llx)\n",
	       pix.width, pix.height, mb, reps, static_cast<unsigned long long>(sums));
	printf("  picture writer into ordinary memory: %.3f ms (%.0f MB/s)\n", writerOrdinary / 3,
	       mb * 3 / writerOrdinary * 1e3);
	printf("  picture writer into the CAPTURE mapping (dma-buf, SYNC brackets): %.3f ms "
	       "(%.0f MB/s)\n",
	       writerCapture / 3, mb * 3 / writerCapture * 1e3);
	printf("  memcpy into ordinary memory: %.3f ms (%.0f MB/s)\n", copyOrdinary / 3,
	       mb * 3 / copyOrdinary * 1e3);
	printf("  client read of ordinary memory: %.3f ms; of its CAPTURE mapping: %.3f ms\n",
	       readOrdinary / 3, readCapture / 3);
	printf("  client's mapping after the daemon's write: %s; DMA_BUF_IOCTL_SYNC errors: %d\n",
	       same ? "identical" : "DIFFERENT", syncErrors);
	printf("@mapping width=%u height=%u writer_ordinary_ms=%.3f writer_capture_ms=%.3f "
	       "memcpy_ms=%.3f writer_vs_memcpy=%.3f capture_vs_ordinary=%.3f "
	       "read_ordinary_ms=%.3f read_capture_ms=%.3f read_ratio=%.3f same=%d\n",
	       pix.width, pix.height, writerOrdinary / 3, writerCapture / 3, copyOrdinary / 3,
	       copyOrdinary / writerCapture, writerOrdinary / writerCapture, readOrdinary / 3,
	       readCapture / 3, readOrdinary / readCapture, same);
	return same && !syncErrors ? 0 : 1;
}

/* ---------------------------------------------------------------------
 * cma
 */

/* Maps every CAPTURE buffer 0..@count-1 once; the number that mapped. */
uint32_t mapCaptureBuffers(Node &node, uint32_t count)
{
	uint32_t mapped = 0;
	for (uint32_t i = 0; i < count; i++) {
		int error;
		MappedMemory buffer = mapCapture(node, i, &error);
		if (!buffer.isValid())
			continue;
		/* The last byte too: the whole buffer is there. */
		static_cast<volatile uint8_t &>(buffer.data().back()) = 1;
		mapped++;
	}
	return mapped;
}

int runCma(const DecoderNode &decoder)
{
	Node node;
	if (node.open(decoder) < 0) {
		printf("  cannot open %s\n", decoder.video.c_str());
		return 1;
	}
	bool ok = true;
	auto check = [&ok](bool good, const std::string &what) {
		printf("  %s: %s\n", good ? "ok" : "WRONG", what.c_str());
		ok = ok && good;
	};
	int ret = node.setOutput(V4L2_PIX_FMT_VP9_FRAME, 3840, 2160, 0);
	v4l2_format cap{};
	cap.type = kCapture;
	if (ret == 0)
		ret = node.ioctl(VIDIOC_G_FMT, &cap);
	if (ret < 0) {
		printf("  4K formats refused: %s\n", errnoName(ret));
		return 1;
	}
	const uint32_t size = cap.fmt.pix_mp.plane_fmt[0].sizeimage;

	uint32_t count = 32;
	ret = node.reqbufs(kCapture, &count);
	if (ret == 0) {
		const uint32_t mapped = mapCaptureBuffers(node, count);
		/*
		 * All 32 may come: dma-direct falls back to the page allocator when CMA
		 * is out, and with 16K pages its blocks reach 32 MiB (a 4K picture's
		 * buffer is 12 MiB). What must hold is that every buffer given is there.
		 */
		check(mapped == count,
		      "REQBUFS CAPTURE 32 x " + std::to_string(size) + " bytes -> " +
			      std::to_string(count) + " buffers, " + std::to_string(mapped) +
			      " mapped" +
			      (count < 32
				       ? " (fewer than asked: the pool is smaller)"
				       : " (all: served beyond the CMA pool by the page allocator)"));
	} else {
		check(ret == -ENOMEM, std::string("REQBUFS CAPTURE 32 x ") + std::to_string(size) +
					      " bytes -> " + errnoName(ret) + " (ENOMEM)");
		count = 0;
	}

	/* One more at a time until the pool is out: the failure is ENOMEM, at once. */
	uint32_t created = 0;
	for (; created < 32; created++) {
		v4l2_create_buffers cb{};
		cb.count = 1;
		cb.memory = V4L2_MEMORY_MMAP;
		cb.format = cap;
		ret = node.ioctl(VIDIOC_CREATE_BUFS, &cb);
		if (ret < 0 || cb.count == 0)
			break;
	}
	/* ENOBUFS: vb2's 32 buffers are all made, memory never ran out. */
	const bool full = count + created >= 32;
	check(ret == (full ? -ENOBUFS : -ENOMEM),
	      "CREATE_BUFS of 1 past the pool -> " + std::string(errnoName(ret)) + " after " +
		      std::to_string(created) + " more (" +
		      (full ? "ENOBUFS: 32 buffers, vb2's most" : "ENOMEM") + ")");
	const uint32_t mapped = mapCaptureBuffers(node, count + created);
	check(mapped == count + created,
	      std::to_string(mapped) + " of the " + std::to_string(count + created) +
		      " buffers made mapped and written to their last byte");

	count = 0;
	ret = node.reqbufs(kCapture, &count);
	check(ret == 0, "REQBUFS CAPTURE 0 -> " + std::string(errnoName(ret)));
	ret = node.setOutput(V4L2_PIX_FMT_VP9_FRAME, 1920, 1080, 0);
	count = 4;
	if (ret == 0)
		ret = node.reqbufs(kCapture, &count);
	check(ret == 0 && count >= 4 && mapCaptureBuffers(node, count) == count,
	      "then 1080p: REQBUFS CAPTURE 4 -> " + std::string(errnoName(ret)) + ", " +
		      std::to_string(count) + " buffers (the pool is back)");
	return ok ? 0 : 1;
}

void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [-d VIDEO] controls\n"
		"       %s [-d VIDEO] limits\n"
		"       %s [-d VIDEO] inflight ACTION VP9FILE WIDTHxHEIGHT [HOLD_MS [TIMEOUT_MS]]\n"
		"       %s [-d VIDEO] mapping [REPS]\n"
		"       %s [-d VIDEO] cma\n"
		"ACTION: streamoff, streamoff-capture, reqbufs0, flush, close, none, hang\n",
		kName, kName, kName, kName, kName);
}

} /* namespace */

int main(int argc, char **argv)
{
	std::string device;
	int arg = 1;
	if (argc > 2 && !strcmp(argv[1], "-d")) {
		device = argv[2];
		arg = 3;
	}
	if (arg >= argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, nullptr, _IOLBF, 0);

	DecoderNode node;
	const std::string error = findNode(device, &node);
	if (!error.empty()) {
		fprintf(stderr, "%s: %s\n", kName, error.c_str());
		return 1;
	}

	const std::string mode = argv[arg];
	if (mode == "controls")
		return runControls(node);
	if (mode == "limits")
		return runLimits(node);
	if (mode == "cma")
		return runCma(node);
	if (mode == "mapping")
		return runMapping(node, argc - arg >= 2 ? std::max(1ul, std::strtoul(argv[arg + 1],
										     nullptr, 10))
							: 10);
	if (mode == "inflight" && argc - arg >= 4) {
		InflightOptions o;
		o.action = argv[arg + 1];
		o.input = argv[arg + 2];
		if (sscanf(argv[arg + 3], "%ux%u", &o.width, &o.height) != 2) {
			usage(stderr);
			return 2;
		}
		if (argc - arg >= 5)
			o.holdMs = std::strtoul(argv[arg + 4], nullptr, 10);
		if (argc - arg >= 6)
			o.timeoutMs = std::strtoul(argv[arg + 5], nullptr, 10);
		return runInflight(node, o);
	}
	usage(stderr);
	return 2;
}
