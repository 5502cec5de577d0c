/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pictures as players and fluster see them: NV12 CAPTURE pictures turned into
 * the yuv420p (I420) frames fluster hashes, and md5 sums as fluster computes
 * them.
 */

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct AVMD5;

namespace daedalus::client {

bool readFile(const std::string &path, std::vector<uint8_t> *data);

/*
 * The frames of an IVF file (AV1 temporal units, VP9 frames or superframes)
 * and, if @fourcc is given, the codec's fourcc ("AV01", "VP90") as the file
 * header has it; false if it is not an IVF file.
 */
bool readIvf(const std::vector<uint8_t> &file, std::vector<std::vector<uint8_t>> *units,
	     uint32_t *fourcc = nullptr);

class Md5
{
public:
	Md5();
	~Md5();
	Md5(const Md5 &) = delete;
	Md5 &operator=(const Md5 &) = delete;

	void update(std::span<const uint8_t> data);
	/* The sum of everything so far, as 32 hex digits; ends the sum. */
	std::string hex();

	static std::string of(std::span<const uint8_t> data);

private:
	AVMD5 *md5_;
};

/*
 * The @width x @height picture at (@x, @y) of the 8-bit NV12 image @nv12
 * (@stride bytes per line, @height lines of luma) as yuv420p bytes, chroma
 * rounded up as fluster's yuv420p output has it. @x and @y are even. Empty
 * when the picture does not lie inside the image.
 */
std::vector<uint8_t> nv12ToI420(std::span<const uint8_t> nv12, uint32_t stride,
				uint32_t imageHeight, uint32_t x, uint32_t y, uint32_t width,
				uint32_t height);

/* @value rounded up to a multiple of @align (a power of two). */
constexpr uint32_t alignUp(uint32_t value, uint32_t align)
{
	return (value + align - 1) & ~(align - 1);
}

} /* namespace daedalus::client */
