/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the conformance tests of the job path share: the fluster suites and
 * the manifest of the vectors tree, md5 sums as fluster computes them, and
 * NV12 CAPTURE pictures turned back into the I420 frames fluster hashes.
 *
 * The vectors tree is found through $DAEDALUS_VECTORS (CTest sets it to the
 * path given at configure time); the tests skip, saying so, without it.
 */

#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

struct AVMD5;

namespace daedalus::test {

/* The vectors tree: $DAEDALUS_VECTORS, else the build's default. */
std::string vectorsDir();

struct SuiteVector {
	std::string name;
	std::string inputFile;
	std::string outputFormat;
	std::string md5;
};

/*
 * The vectors of test_suites/<codec>/<suite>.json; empty when the file does
 * not exist.
 */
std::vector<SuiteVector> readSuite(const std::string &codec, const std::string &suite);

/* resources/<suite>/<vector>/<input file>. */
std::string vectorPath(const std::string &suite, const SuiteVector &vector);

/*
 * Column @column of MANIFEST.tsv, by "<suite>/<name>" (the manifest has one
 * row per file; the first row of a vector wins). Empty without a manifest.
 */
std::map<std::string, std::string> readManifestColumn(const std::string &column);

bool readFile(const std::string &path, std::vector<uint8_t> *data);

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
 * rounded up as fluster's yuv420p output has it. @x and @y are even.
 */
std::vector<uint8_t> nv12ToI420(std::span<const uint8_t> nv12, uint32_t stride,
				uint32_t imageHeight, uint32_t x, uint32_t y, uint32_t width,
				uint32_t height);

/* @value rounded up to a multiple of @align (a power of two). */
constexpr uint32_t alignUp(uint32_t value, uint32_t align)
{
	return (value + align - 1) & ~(align - 1);
}

} /* namespace daedalus::test */
