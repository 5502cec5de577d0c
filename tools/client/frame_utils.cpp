/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pictures as players and fluster see them.
 */

#include "frame_utils.h"

#include <cstring>
#include <fstream>
#include <iterator>

extern "C" {
#include <libavutil/md5.h>
#include <libavutil/mem.h>
}

namespace daedalus::client {

bool readFile(const std::string &path, std::vector<uint8_t> *data)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return false;
	data->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	return true;
}

bool readIvf(const std::vector<uint8_t> &file, std::vector<std::vector<uint8_t>> *units,
	     uint32_t *fourcc)
{
	if (file.size() < 32 || memcmp(file.data(), "DKIF", 4) != 0)
		return false;
	if (fourcc)
		*fourcc = file[8] | (file[9] << 8) | (file[10] << 16) |
			  (uint32_t{ file[11] } << 24);

	const size_t headerSize = file[6] | (file[7] << 8);
	size_t pos = headerSize;
	while (pos + 12 <= file.size()) {
		const size_t size = file[pos] | (file[pos + 1] << 8) | (file[pos + 2] << 16) |
				    (size_t(file[pos + 3]) << 24);
		pos += 12;
		if (size > file.size() - pos)
			return false;
		units->emplace_back(file.begin() + pos, file.begin() + pos + size);
		pos += size;
	}
	return true;
}

Md5::Md5() : md5_(av_md5_alloc())
{
	av_md5_init(md5_);
}

Md5::~Md5()
{
	av_free(md5_);
}

void Md5::update(std::span<const uint8_t> data)
{
	av_md5_update(md5_, data.data(), data.size());
}

std::string Md5::hex()
{
	uint8_t sum[16];
	av_md5_final(md5_, sum);

	static const char digits[] = "0123456789abcdef";
	std::string text;
	for (uint8_t byte : sum) {
		text += digits[byte >> 4];
		text += digits[byte & 15];
	}
	return text;
}

std::string Md5::of(std::span<const uint8_t> data)
{
	Md5 md5;
	md5.update(data);
	return md5.hex();
}

std::vector<uint8_t> nv12ToI420(std::span<const uint8_t> nv12, uint32_t stride,
				uint32_t imageHeight, uint32_t x, uint32_t y, uint32_t width,
				uint32_t height)
{
	const uint32_t chromaWidth = (width + 1) / 2;
	const uint32_t chromaHeight = (height + 1) / 2;
	std::vector<uint8_t> out;
	/* The picture, chroma rounded up, must lie inside the image. */
	if (size_t{ x } + 2 * chromaWidth > stride ||
	    size_t{ y } + 2 * chromaHeight > imageHeight ||
	    nv12.size() < size_t{ stride } * imageHeight * 3 / 2)
		return out;
	out.reserve(size_t{ width } * height + 2 * size_t{ chromaWidth } * chromaHeight);

	for (uint32_t row = 0; row < height; row++) {
		const uint8_t *line = nv12.data() + size_t{ y + row } * stride + x;
		out.insert(out.end(), line, line + width);
	}

	const uint8_t *chroma = nv12.data() + size_t{ stride } * imageHeight;
	for (unsigned int plane = 0; plane < 2; plane++) {
		for (uint32_t row = 0; row < chromaHeight; row++) {
			const uint8_t *line = chroma + size_t{ y / 2 + row } * stride + x;
			for (uint32_t col = 0; col < chromaWidth; col++)
				out.push_back(line[2 * col + plane]);
		}
	}
	return out;
}

} /* namespace daedalus::client */
