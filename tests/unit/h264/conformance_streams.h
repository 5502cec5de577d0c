/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 conformance streams the tests run on: the JVT-AVC_V1 and
 * JVT-FR-EXT suites under the vectors tree (vectorsDir(), the conformance
 * tests' own: $DAEDALUS_VECTORS, else the build's), in resources/<suite>/ or
 * <suite>/.
 */

#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "conformance_support.h"

namespace daedalus::h264::test {

using ::daedalus::test::readFile;
using ::daedalus::test::vectorsDir;

/* The H.264 streams of both suites under @root, sorted; empty if none. */
std::vector<std::filesystem::path> conformanceStreams(const std::filesystem::path &root);

} /* namespace daedalus::h264::test */
