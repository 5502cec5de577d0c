/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 conformance streams the tests run on: the JVT-AVC_V1 and
 * JVT-FR-EXT suites under $DAEDALUS_VECTORS (default: shared/vectors next to
 * the repository), in resources/<suite>/ or <suite>/.
 */

#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace daedalus::h264::test {

std::filesystem::path vectorsRoot();

/* The H.264 streams of both suites under @root, sorted; empty if none. */
std::vector<std::filesystem::path> conformanceStreams(const std::filesystem::path &root);

std::vector<uint8_t> readFile(const std::filesystem::path &path);

} /* namespace daedalus::h264::test */
