/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the conformance tests of the job path share: the fluster suites and
 * the manifest of the vectors tree; md5 sums as fluster computes them and
 * NV12 CAPTURE pictures turned back into the I420 frames fluster hashes come
 * from the client library (tools/client/frame_utils.h).
 *
 * The vectors tree is found through $DAEDALUS_VECTORS (CTest sets it to the
 * path given at configure time); the tests skip, saying so, without it.
 */

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "frame_utils.h"

namespace daedalus::test {

using client::alignUp;
using client::Md5;
using client::nv12ToI420;
using client::readFile;
using client::readIvf;

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

} /* namespace daedalus::test */
