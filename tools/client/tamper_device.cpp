/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile client in front of a decoder.
 */

#include "tamper_device.h"

#include <algorithm>
#include <cstring>

#include <linux/v4l2-controls.h>

namespace daedalus::client {

namespace {

/* A timestamp no client of this stream uses: about 11.5 days in. */
constexpr uint64_t kNoSuchTimestamp = 999'999'000'000'000ull;

template<typename T> T *payloadAs(Control *control)
{
	if (control->payload.size() < sizeof(T))
		return nullptr;
	return reinterpret_cast<T *>(control->payload.data());
}

} /* namespace */

bool parseDataTamper(const std::string &name, DataTamper *tamper)
{
	if (name == "truncate")
		*tamper = DataTamper::Truncate;
	else if (name == "random")
		*tamper = DataTamper::Random;
	else if (name == "bitflip")
		*tamper = DataTamper::Bitflip;
	else
		return false;
	return true;
}

bool parseControlTamper(const std::string &name, ControlTamper *tamper)
{
	if (name == "refs")
		*tamper = ControlTamper::Refs;
	else if (name == "contradict")
		*tamper = ControlTamper::Contradict;
	else if (name == "tiles")
		*tamper = ControlTamper::Tiles;
	else if (name == "random")
		*tamper = ControlTamper::Random;
	else
		return false;
	return true;
}

TamperDevice::TamperDevice(DecodeDevice &device, const TamperOptions &options)
	: device_(device), options_(options), random_(options.seed)
{
	options_.every = std::max(options_.every, 1u);
}

const CaptureFormat &TamperDevice::captureFormat() const
{
	if (!options_.smallFormat)
		return device_.captureFormat();
	claimed_ = device_.captureFormat();
	claimed_.width = std::max(claimed_.width, asked_.width);
	claimed_.height = std::max(claimed_.height, asked_.height);
	return claimed_;
}

int TamperDevice::configure(const StreamFormat &format)
{
	asked_ = format;
	if (!options_.smallFormat)
		return device_.configure(format);

	StreamFormat small = format;
	small.width = std::max(format.width / 2, 16u);
	small.height = std::max(format.height / 2, 16u);
	return device_.configure(small);
}

void TamperDevice::spoilData(std::vector<uint8_t> *data)
{
	if (data->empty())
		return;

	switch (options_.data) {
	case DataTamper::None:
		break;
	case DataTamper::Truncate: {
		/* Somewhere in the first half: headers survive now and then. */
		std::uniform_int_distribution<size_t> keep(1,
							   std::max<size_t>(data->size() / 2, 1));
		data->resize(keep(random_));
		break;
	}
	case DataTamper::Random:
		for (uint8_t &byte : *data)
			byte = static_cast<uint8_t>(random_());
		break;
	case DataTamper::Bitflip: {
		/* About one bit in 2000, at least one. */
		const size_t flips = 1 + data->size() / 256;
		std::uniform_int_distribution<size_t> where(0, data->size() * 8 - 1);
		for (size_t i = 0; i < flips; i++) {
			const size_t bit = where(random_);
			(*data)[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
		}
		break;
	}
	}
}

void TamperDevice::spoilControl(Control *control, size_t dataSize)
{
	if (options_.controls == ControlTamper::Random) {
		for (uint8_t &byte : control->payload)
			byte = static_cast<uint8_t>(random_());
		return;
	}

	switch (control->id) {
	case V4L2_CID_STATELESS_H264_DECODE_PARAMS:
		if (auto *p = payloadAs<v4l2_ctrl_h264_decode_params>(control);
		    p && options_.controls == ControlTamper::Refs) {
			for (v4l2_h264_dpb_entry &entry : p->dpb)
				entry.reference_ts += kNoSuchTimestamp;
		}
		break;
	case V4L2_CID_STATELESS_H264_PPS:
		if (auto *p = payloadAs<v4l2_ctrl_h264_pps>(control);
		    p && options_.controls == ControlTamper::Contradict)
			p->seq_parameter_set_id = (p->seq_parameter_set_id + 1) % 32;
		break;
	case V4L2_CID_STATELESS_VP9_FRAME:
		if (auto *p = payloadAs<v4l2_ctrl_vp9_frame>(control)) {
			if (options_.controls == ControlTamper::Refs) {
				p->last_frame_ts += kNoSuchTimestamp;
				p->golden_frame_ts += kNoSuchTimestamp;
				p->alt_frame_ts += kNoSuchTimestamp;
			} else if (options_.controls == ControlTamper::Contradict) {
				p->frame_width_minus_1 = static_cast<uint16_t>(
					std::min(p->frame_width_minus_1 * 2u + 1, 4095u));
				p->frame_height_minus_1 = static_cast<uint16_t>(
					std::min(p->frame_height_minus_1 * 2u + 1, 2303u));
			}
		}
		break;
	case V4L2_CID_STATELESS_AV1_FRAME:
		if (auto *p = payloadAs<v4l2_ctrl_av1_frame>(control)) {
			if (options_.controls == ControlTamper::Refs) {
				for (auto &ts : p->reference_frame_ts)
					ts += kNoSuchTimestamp;
			} else if (options_.controls == ControlTamper::Contradict) {
				p->frame_width_minus_1 = static_cast<uint16_t>(
					std::min(p->frame_width_minus_1 * 2u + 1, 4095u));
				p->frame_height_minus_1 = static_cast<uint16_t>(
					std::min(p->frame_height_minus_1 * 2u + 1, 2303u));
				p->upscaled_width = p->frame_width_minus_1 + 1;
			}
		}
		break;
	case V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY:
		if (options_.controls == ControlTamper::Tiles) {
			auto *tiles = reinterpret_cast<v4l2_ctrl_av1_tile_group_entry *>(
				control->payload.data());
			const size_t count =
				control->payload.size() / sizeof(v4l2_ctrl_av1_tile_group_entry);
			/* Alternately past the end, overlapping the end, and wrapping around. */
			for (size_t i = 0; i < count; i++) {
				v4l2_ctrl_av1_tile_group_entry &t = tiles[i];
				switch ((spoiled_ + i) % 3) {
				case 0:
					t.tile_offset = static_cast<uint32_t>(dataSize + 4096);
					break;
				case 1:
					t.tile_size = static_cast<uint32_t>(dataSize + 1);
					break;
				case 2:
					t.tile_offset = 0xfffff000u;
					t.tile_size = 0x2000u;
					break;
				}
			}
		}
		break;
	case V4L2_CID_STATELESS_VP8_FRAME:
		if (auto *p = payloadAs<v4l2_ctrl_vp8_frame>(control)) {
			if (options_.controls == ControlTamper::Refs) {
				p->last_frame_ts += kNoSuchTimestamp;
				p->golden_frame_ts += kNoSuchTimestamp;
				p->alt_frame_ts += kNoSuchTimestamp;
			} else if (options_.controls == ControlTamper::Contradict) {
				p->width = std::min(p->width * 2u, 4096u);
				p->height = std::min(p->height * 2u, 2304u);
			}
		}
		break;
	default:
		break;
	}
}

int TamperDevice::decode(const DecodeRequest &request)
{
	const unsigned int number = requests_++;
	if (number < options_.skipRequests) {
		skipped_++;
		return 0;
	}

	const bool spoil = (sent_++ % options_.every) == 0 &&
			   (options_.data != DataTamper::None ||
			    options_.controls != ControlTamper::None || options_.smallFormat);
	if (!spoil)
		return device_.decode(request);

	std::vector<uint8_t> data(request.data.begin(), request.data.end());
	spoilData(&data);
	std::vector<Control> controls(request.controls.begin(), request.controls.end());
	if (options_.controls != ControlTamper::None) {
		for (Control &control : controls) {
			if (!control.payload.empty())
				spoilControl(&control, data.size());
		}
	}

	DecodeRequest spoiled = request;
	spoiled.data = data;
	spoiled.controls = controls;
	spoiled_++;
	const int ret = device_.decode(spoiled);
	if (ret < 0)
		spoiledFailed_++;
	return ret;
}

} /* namespace daedalus::client */
