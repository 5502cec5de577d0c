/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 backend.
 */

#include "av1_decoder.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include <dav1d/dav1d.h>
#include <linux/v4l2-controls.h>

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(AV1)
LOG_DEFINE_CATEGORY(dav1d)

namespace {

void dav1dLogCallback(void *cookie, const char *format, va_list args)
{
	if (!logEnabled(LogLevel::Warn))
		return;

	char line[1024];
	vsnprintf(line, sizeof(line), format, args);
	std::string text(line);
	while (!text.empty() && text.back() == '\n')
		text.pop_back();

	const auto *decoder = static_cast<const uint64_t *>(cookie);
	LogMessage(_logCategorydav1d, LogLevel::Warn, *decoder).stream() << text;
}

/* A libdav1d error as a negative errno. */
int dav1dErrno(int err)
{
	return err < 0 && err > -4096 ? err : -EIO;
}

struct PictureRef {
	Dav1dPicture picture{};
	~PictureRef() { dav1d_picture_unref(&picture); }
};

} /* namespace */

int Av1Decoder::create(uint64_t ctxId, const DecoderConfig &config,
		       std::unique_ptr<Decoder> *decoder)
{
	std::unique_ptr<Av1Decoder> av1(new Av1Decoder(ctxId));
	int ret = av1->init(config);
	if (ret < 0)
		return ret;

	*decoder = std::move(av1);
	return 0;
}

Av1Decoder::~Av1Decoder()
{
	if (dav1d_)
		dav1d_close(&dav1d_);
}

int Av1Decoder::init(const DecoderConfig &config)
{
	Dav1dSettings settings;
	dav1d_default_settings(&settings);
	/* 1: no worker thread, libdav1d decodes on the caller's thread. */
	settings.n_threads = std::max(1u, config.threads);
	/* One frame in flight: each temporal unit is decoded when sent. */
	settings.max_frame_delay = 1;
	/* Every frame is a request's picture, shown or not. */
	settings.output_invisible_frames = 1;
	settings.all_layers = 1;
	/* The expected output of the conformance streams includes film grain. */
	settings.apply_grain = 1;
	settings.logger.cookie = &ctxId_;
	settings.logger.callback = dav1dLogCallback;

	int ret = dav1d_open(&dav1d_, &settings);
	if (ret < 0) {
		LOG_CTX(AV1, Error, ctxId_) << "cannot open libdav1d " << dav1d_version() << ": "
					    << errorString(dav1dErrno(ret));
		dav1d_ = nullptr;
		return dav1dErrno(ret);
	}

	LOG_CTX(AV1, Debug, ctxId_)
		<< "libdav1d " << dav1d_version() << " with " << settings.n_threads << " thread(s)";
	return 0;
}

int Av1Decoder::decode(const DecodeJob &job)
{
	const auto *sequence =
		job.controls.get<v4l2_ctrl_av1_sequence>(V4L2_CID_STATELESS_AV1_SEQUENCE);
	const auto *frame = job.controls.get<v4l2_ctrl_av1_frame>(V4L2_CID_STATELESS_AV1_FRAME);
	const auto tiles = job.controls.getArray<v4l2_ctrl_av1_tile_group_entry>(
		V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY);
	/* Optional: without it, no film grain. */
	const auto *filmGrain =
		job.controls.get<v4l2_ctrl_av1_film_grain>(V4L2_CID_STATELESS_AV1_FILM_GRAIN);

	if (!sequence || !frame || tiles.empty()) {
		LOG_CTX(AV1, Error, ctxId_) << "job " << job.params.seqno << ": no "
					    << (!sequence ? "AV1_SEQUENCE"
						: !frame  ? "AV1_FRAME"
							  : "AV1_TILE_GROUP_ENTRY")
					    << " control (or one of the wrong size)";
		return -EINVAL;
	}

	int ret = rebuilder_.rebuild(*sequence, *frame, tiles, filmGrain, job.bitstream,
				     job.params.timestamp, &temporalUnit_);
	if (ret < 0) {
		/* The rebuilder's slots are unchanged and libdav1d saw nothing. */
		LOG_CTX(AV1, Error, ctxId_)
			<< "job " << job.params.seqno << " (" << job.bitstream.size() << " bytes, "
			<< tiles.size()
			<< " tiles): cannot rebuild the frame: " << rebuilder_.error();
		return -EINVAL;
	}

	PictureRef last;
	unsigned int pictures = 0;
	ret = decodeTemporalUnit(job, &last.picture, &pictures);
	if (ret < 0) {
		LOG_CTX(AV1, Error, ctxId_)
			<< "job " << job.params.seqno << " (" << job.bitstream.size()
			<< " bytes, order_hint " << unsigned{ frame->order_hint }
			<< "): libdav1d failed to decode the frame: " << errorString(ret);
		restart();
		return ret;
	}

	/* The frame's picture comes last whatever came before it. */
	const unsigned int expected = 1 + rebuilder_.precedingPictures();
	if (pictures != expected)
		LOG_CTX(AV1, Warn, ctxId_)
			<< "job " << job.params.seqno << " (order_hint "
			<< unsigned{ frame->order_hint } << "): libdav1d returned " << pictures
			<< " pictures, not " << expected << "; writing the last";

	return writePicture(job, last.picture);
}

int Av1Decoder::decodeTemporalUnit(const DecodeJob &job, Dav1dPicture *picture,
				   unsigned int *pictures)
{
	Dav1dData data{};
	uint8_t *buffer = dav1d_data_create(&data, temporalUnit_.size());
	if (!buffer)
		return -ENOMEM;
	memcpy(buffer, temporalUnit_.data(), temporalUnit_.size());

	/* Keep the last picture, count them all. */
	auto drain = [&]() {
		for (;;) {
			Dav1dPicture next{};
			int ret = dav1d_get_picture(dav1d_, &next);
			if (ret == DAV1D_ERR(EAGAIN))
				return 0;
			if (ret < 0)
				return dav1dErrno(ret);
			dav1d_picture_unref(picture);
			*picture = next;
			(*pictures)++;
		}
	};

	int ret = 0;
	while (data.sz > 0) {
		const size_t left = data.sz;
		const unsigned int before = *pictures;
		ret = dav1d_send_data(dav1d_, &data);
		if (ret < 0 && ret != DAV1D_ERR(EAGAIN)) {
			ret = dav1dErrno(ret);
			break;
		}
		ret = drain();
		if (ret < 0)
			break;
		/* libdav1d neither took data nor gave a picture: it never will. */
		if (data.sz == left && *pictures == before) {
			ret = -EIO;
			break;
		}
	}
	if (data.sz > 0)
		dav1d_data_unref(&data);
	if (ret < 0)
		return ret;

	ret = drain();
	if (ret < 0)
		return ret;

	if (!*pictures) {
		LOG_CTX(AV1, Error, ctxId_)
			<< "job " << job.params.seqno << ": libdav1d returned no picture";
		return -EINVAL;
	}
	return 0;
}

int Av1Decoder::writePicture(const DecodeJob &job, const Dav1dPicture &picture)
{
	const Dav1dPictureParameters &p = picture.p;
	if ((p.bpc != 8 && p.bpc != 10) ||
	    (p.layout != DAV1D_PIXEL_LAYOUT_I420 && p.layout != DAV1D_PIXEL_LAYOUT_I400)) {
		static const char *const layouts[] = { "4:0:0", "4:2:0", "4:2:2", "4:4:4" };
		LOG_CTX(AV1, Error, ctxId_)
			<< "job " << job.params.seqno << ": " << p.bpc << "-bit "
			<< (p.layout >= 0 && p.layout < 4 ? layouts[p.layout] : "unknown")
			<< " pictures are not supported (only 8-bit and 10-bit 4:2:0)";
		return -EOPNOTSUPP;
	}

	Picture420 out;
	out.width = p.w;
	out.height = p.h;
	out.bitDepth = p.bpc;
	out.planes[0] = static_cast<const uint8_t *>(picture.data[0]);
	out.strides[0] = picture.stride[0];
	if (p.layout == DAV1D_PIXEL_LAYOUT_I420) {
		for (unsigned int i = 1; i < 3; i++) {
			out.planes[i] = static_cast<const uint8_t *>(picture.data[i]);
			out.strides[i] = picture.stride[1];
		}
	} else {
		/* Monochrome: one line of mid-grey chroma, repeated. */
		const size_t chromaWidth = (out.width + 1) / 2;
		if (p.bpc == 8) {
			grey_.assign(chromaWidth, 128);
		} else {
			const uint16_t mid = 1u << (p.bpc - 1);
			grey_.resize(chromaWidth * sizeof(uint16_t));
			for (size_t i = 0; i < chromaWidth; i++)
				memcpy(grey_.data() + i * sizeof(mid), &mid, sizeof(mid));
		}
		for (unsigned int i = 1; i < 3; i++) {
			out.planes[i] = grey_.data();
			out.strides[i] = 0;
		}
	}

	/* The job may have ended meanwhile: then the buffer is not ours any more. */
	int ret = job.writeGate.open();
	if (ret < 0)
		return ret;

	ret = daedalus::writePicture(out, job.capture);
	if (ret < 0)
		LOG_CTX(AV1, Error, ctxId_) << "job " << job.params.seqno << ": "
					    << writeErrorText(ret, out, job.capture).text;
	return ret;
}

void Av1Decoder::restart()
{
	/*
	 * After a failed decode, libdav1d and the rebuilder may disagree
	 * about the reference slots: both start again (from the next key
	 * frame).
	 */
	rebuilder_.reset();
	dav1d_flush(dav1d_);
}

void Av1Decoder::reset()
{
	restart();
}

} /* namespace daedalus */
