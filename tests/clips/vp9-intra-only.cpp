/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vp9-intra-only: encodes a VP9 profile 0 stream with intra-only frames (non-key frames with
 * intra_only = 1), which neither vpxenc nor FFmpeg's libvpx-vp9 make, for tests/clips/make.
 *
 *   vp9-intra-only [-i INTERVAL] [-b KBPS] IN.y4m OUT.ivf
 *
 * libvpx encodes an intra-only frame only in its SVC mode (VP9E_SET_SVC), on the base spatial
 * layer, when asked with VP9E_SET_SVC_SPATIAL_LAYER_SYNC (base_layer_intra_only), and only with
 * 2 or 3 spatial layers. So this encodes two spatial layers of the same size (a quality layer
 * over a base layer, no scaling), the first frame a key frame and every INTERVAL-th (default
 * 8) superframe with an intra-only base layer frame: hidden (VP9 signals intra_only only in
 * frames that are not shown), refreshing the base layer's reference slots, and followed in
 * its superframe by a shown base layer frame predicted from it. The upper layer predicts from
 * the base layer and from its own earlier frames, across the intra-only frame.
 *
 * Every frame of a superframe goes to the IVF file as its own packet with its own timestamp
 * (consecutive, in a time base of 1/60 s): a single-layer decoder decodes them in order and
 * shows both layers' shown frames, and no two packets share a timestamp (a V4L2 stateless
 * client names reference frames by timestamp). The bitstream of every frame is the
 * encoder's, unchanged. Prints one line per packet: "PACKET FRAME-IN-SUPERFRAME BYTES
 * [key|hidden]".
 */

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

namespace {

constexpr int kLayers = 2;

[[noreturn]] void die(const char *what, const char *detail = nullptr)
{
	std::fprintf(stderr, "vp9-intra-only: %s%s%s\n", what, detail ? ": " : "",
		     detail ? detail : "");
	std::exit(1);
}

void dieCodec(vpx_codec_ctx_t *codec, const char *what)
{
	const char *detail = vpx_codec_error_detail(codec);
	std::fprintf(stderr, "vp9-intra-only: %s: %s%s%s\n", what, vpx_codec_error(codec),
		     detail ? ": " : "", detail ? detail : "");
	std::exit(1);
}

/* A YUV4MPEG2 reader for 8-bit 4:2:0 input, as FFmpeg writes it. */
class Y4mReader
{
public:
	explicit Y4mReader(FILE *file) : file_(file) {}

	/* Reads the stream header; returns false on anything but 8-bit 4:2:0. */
	bool readHeader()
	{
		std::string line;
		if (!readLine(line) || line.rfind("YUV4MPEG2 ", 0) != 0)
			return false;
		size_t pos = 0;
		while (pos < line.size()) {
			size_t end = line.find(' ', pos);
			if (end == std::string::npos)
				end = line.size();
			std::string token = line.substr(pos, end - pos);
			if (!token.empty() && token[0] == 'W')
				width_ = std::atoi(token.c_str() + 1);
			else if (!token.empty() && token[0] == 'H')
				height_ = std::atoi(token.c_str() + 1);
			else if (!token.empty() && token[0] == 'C' && token.rfind("C420", 0) != 0)
				return false;
			pos = end + 1;
		}
		return width_ > 0 && height_ > 0;
	}

	/* Reads the next frame into img (I420, allocated for the header's size). */
	bool readFrame(vpx_image_t *img)
	{
		std::string line;
		if (!readLine(line))
			return false;
		if (line.rfind("FRAME", 0) != 0)
			die("input: a y4m frame header was expected");
		for (int plane = 0; plane < 3; plane++) {
			int w = plane ? (width_ + 1) / 2 : width_;
			int h = plane ? (height_ + 1) / 2 : height_;
			for (int y = 0; y < h; y++) {
				unsigned char *row = img->planes[plane] + y * img->stride[plane];
				if (std::fread(row, 1, w, file_) != static_cast<size_t>(w))
					die("input: a y4m frame is cut short");
			}
		}
		return true;
	}

	int width() const { return width_; }
	int height() const { return height_; }

private:
	bool readLine(std::string &line)
	{
		line.clear();
		int c;
		while ((c = std::fgetc(file_)) != EOF && c != '\n')
			line.push_back(static_cast<char>(c));
		return c == '\n';
	}

	FILE *file_;
	int width_ = 0;
	int height_ = 0;
};

void putLe16(unsigned char *p, unsigned int v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

void putLe32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

/* An IVF file: 32-byte file header, then a 12-byte header per packet. */
class IvfWriter
{
public:
	IvfWriter(FILE *file, int width, int height, int rate) : file_(file)
	{
		unsigned char header[32] = {};
		std::memcpy(header, "DKIF", 4);
		putLe16(header + 4, 0);
		putLe16(header + 6, 32);
		std::memcpy(header + 8, "VP90", 4);
		putLe16(header + 12, width);
		putLe16(header + 14, height);
		putLe32(header + 16, rate);
		putLe32(header + 20, 1);
		write(header, sizeof(header));
	}

	/* Writes a packet; the frame count in the file header is set by finish(). */
	void writePacket(const unsigned char *data, size_t size, uint64_t pts)
	{
		unsigned char header[12];
		putLe32(header, static_cast<uint32_t>(size));
		putLe32(header + 4, static_cast<uint32_t>(pts));
		putLe32(header + 8, static_cast<uint32_t>(pts >> 32));
		write(header, sizeof(header));
		write(data, size);
		packets_++;
	}

	void finish()
	{
		unsigned char count[4];
		putLe32(count, packets_);
		if (std::fseek(file_, 24, SEEK_SET) != 0)
			die("output", std::strerror(errno));
		write(count, sizeof(count));
	}

private:
	void write(const void *data, size_t size)
	{
		if (std::fwrite(data, 1, size, file_) != size)
			die("output", std::strerror(errno));
	}

	FILE *file_;
	uint32_t packets_ = 0;
};

/*
 * The frames of a VP9 packet: a superframe ends with an index (a marker byte 0b110mmfff,
 * f + 1 frame sizes of m + 1 little-endian bytes each, the marker byte again); anything else
 * is one frame.
 */
std::vector<std::pair<const unsigned char *, size_t>> splitSuperframe(const unsigned char *data,
								      size_t size)
{
	std::vector<std::pair<const unsigned char *, size_t>> frames;
	unsigned char marker = size ? data[size - 1] : 0;
	if ((marker & 0xe0) == 0xc0) {
		size_t count = (marker & 7) + 1;
		size_t bytes = ((marker >> 3) & 3) + 1;
		size_t indexSize = 2 + bytes * count;
		if (size >= indexSize && data[size - indexSize] == marker) {
			const unsigned char *index = data + size - indexSize + 1;
			size_t offset = 0;
			for (size_t i = 0; i < count; i++) {
				size_t frameSize = 0;
				for (size_t b = 0; b < bytes; b++)
					frameSize |= static_cast<size_t>(index[i * bytes + b])
						     << (8 * b);
				if (offset + frameSize > size - indexSize)
					die("the encoder's superframe index overruns the packet");
				frames.emplace_back(data + offset, frameSize);
				offset += frameSize;
			}
			return frames;
		}
	}
	frames.emplace_back(data, size);
	return frames;
}

/* show_frame of a profile 0 uncompressed header (after frame_marker, profile, show_existing). */
bool frameShown(const unsigned char *data)
{
	return data[0] & 0x02;
}

bool frameKey(const unsigned char *data)
{
	return !(data[0] & 0x04);
}

} /* namespace */

int main(int argc, char **argv)
{
	int interval = 8;
	int kbps = 600;
	int opt;
	while ((opt = getopt(argc, argv, "i:b:")) != -1) {
		switch (opt) {
		case 'i':
			interval = std::atoi(optarg);
			break;
		case 'b':
			kbps = std::atoi(optarg);
			break;
		default:
			die("usage: vp9-intra-only [-i INTERVAL] [-b KBPS] IN.y4m OUT.ivf");
		}
	}
	if (argc - optind != 2 || interval < 2 || kbps < 10)
		die("usage: vp9-intra-only [-i INTERVAL] [-b KBPS] IN.y4m OUT.ivf");

	FILE *in = std::fopen(argv[optind], "rb");
	if (!in)
		die(argv[optind], std::strerror(errno));
	Y4mReader reader(in);
	if (!reader.readHeader())
		die(argv[optind], "not an 8-bit 4:2:0 y4m file");
	const int width = reader.width(), height = reader.height();

	vpx_codec_iface_t *iface = vpx_codec_vp9_cx();
	vpx_codec_enc_cfg_t cfg;
	if (vpx_codec_enc_config_default(iface, &cfg, 0))
		die("no default VP9 encoder configuration");
	cfg.g_w = width;
	cfg.g_h = height;
	cfg.g_profile = 0;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 30;
	cfg.g_threads = 1;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = 0;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 52;
	cfg.rc_dropframe_thresh = 0;
	cfg.kf_mode = VPX_KF_DISABLED;
	cfg.ss_number_layers = kLayers;
	cfg.ts_number_layers = 1;
	cfg.temporal_layering_mode = VP9E_TEMPORAL_LAYERING_MODE_NOLAYERING;
	/* A third of the rate to the base layer; a layer's target is the sum up to it. */
	cfg.layer_target_bitrate[0] = kbps / 3;
	cfg.layer_target_bitrate[1] = kbps;
	cfg.ss_target_bitrate[0] = kbps / 3;
	cfg.ss_target_bitrate[1] = kbps;

	vpx_codec_ctx_t codec;
	if (vpx_codec_enc_init(&codec, iface, &cfg, 0))
		dieCodec(&codec, "encoder initialisation");
	vpx_svc_extra_cfg_t svc = {}; /* loopfilter_ctrl 0: filter every frame */
	for (int sl = 0; sl < kLayers; sl++) {
		svc.max_quantizers[sl] = cfg.rc_max_quantizer;
		svc.min_quantizers[sl] = cfg.rc_min_quantizer;
		svc.scaling_factor_num[sl] = 1;
		svc.scaling_factor_den[sl] = 1;
		svc.speed_per_layer[sl] = 7;
	}
	svc.temporal_layering_mode = VP9E_TEMPORAL_LAYERING_MODE_NOLAYERING;
	if (vpx_codec_control(&codec, VP9E_SET_SVC, 1))
		dieCodec(&codec, "VP9E_SET_SVC");
	if (vpx_codec_control(&codec, VP9E_SET_SVC_PARAMETERS, &svc))
		dieCodec(&codec, "VP9E_SET_SVC_PARAMETERS");
	if (vpx_codec_control(&codec, VP8E_SET_CPUUSED, 7))
		dieCodec(&codec, "VP8E_SET_CPUUSED");

	vpx_image_t img;
	if (!vpx_img_alloc(&img, VPX_IMG_FMT_I420, width, height, 1))
		die("no memory for a picture");

	FILE *out = std::fopen(argv[optind + 1], "wb");
	if (!out)
		die(argv[optind + 1], std::strerror(errno));
	IvfWriter writer(out, width, height, 60);

	uint64_t packet = 0;
	int intraOnly = 0;
	auto drain = [&]() {
		vpx_codec_iter_t iter = nullptr;
		const vpx_codec_cx_pkt_t *pkt;
		while ((pkt = vpx_codec_get_cx_data(&codec, &iter))) {
			if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
				continue;
			auto frames = splitSuperframe(
				static_cast<const unsigned char *>(pkt->data.frame.buf),
				pkt->data.frame.sz);
			int index = 0;
			for (auto [data, size] : frames) {
				bool shown = frameShown(data);
				bool key = frameKey(data);
				const char *kind = key ? " key" : (shown ? "" : " hidden");
				std::printf("%llu %d %zu%s\n",
					    static_cast<unsigned long long>(packet), index++, size,
					    kind);
				if (!key && !shown)
					intraOnly++;
				writer.writePacket(data, size, packet++);
			}
		}
	};

	for (int n = 0; reader.readFrame(&img); n++) {
		vpx_svc_spatial_layer_sync_t sync = {};
		if (n > 0 && n % interval == 0) {
			sync.spatial_layer_sync[0] = 1;
			sync.base_layer_intra_only = 1;
		}
		if (vpx_codec_control(&codec, VP9E_SET_SVC_SPATIAL_LAYER_SYNC, &sync))
			dieCodec(&codec, "VP9E_SET_SVC_SPATIAL_LAYER_SYNC");
		if (vpx_codec_encode(&codec, &img, n, 1, 0, VPX_DL_REALTIME))
			dieCodec(&codec, "encoding");
		drain();
	}
	if (vpx_codec_encode(&codec, nullptr, -1, 0, 0, VPX_DL_REALTIME))
		dieCodec(&codec, "flushing");
	drain();
	writer.finish();
	if (std::fclose(out) != 0)
		die(argv[optind + 1], std::strerror(errno));
	std::fclose(in);
	vpx_img_free(&img);
	vpx_codec_destroy(&codec);
	/* Hidden frames that are not key frames: in this stream, only the intra-only ones. */
	std::fprintf(stderr, "vp9-intra-only: %llu packets, %d hidden non-key frames\n",
		     static_cast<unsigned long long>(packet), intraOnly);
	return intraOnly ? 0 : 1;
}
