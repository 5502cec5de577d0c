/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 conformance streams the tests run on.
 */

#include "conformance_streams.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace daedalus::h264::test {

fs::path vectorsRoot()
{
	const char *env = std::getenv("DAEDALUS_VECTORS");
	return env && *env ? fs::path(env) : fs::path(DAEDALUS_DEFAULT_VECTORS);
}

std::vector<fs::path> conformanceStreams(const fs::path &root)
{
	static const std::set<std::string> extensions = {
		".264", ".h264", ".avc", ".jsv", ".26l", ".jvt", ".bit",
	};
	std::vector<fs::path> streams;

	for (const char *suite : { "JVT-AVC_V1", "JVT-FR-EXT" }) {
		for (const fs::path &dir : { root / "resources" / suite, root / suite }) {
			std::error_code ec;
			if (!fs::is_directory(dir, ec))
				continue;
			for (const auto &entry : fs::recursive_directory_iterator(dir, ec)) {
				std::string ext = entry.path().extension().string();
				std::transform(ext.begin(), ext.end(), ext.begin(),
					       [](unsigned char c) { return std::tolower(c); });
				if (entry.is_regular_file() && extensions.count(ext))
					streams.push_back(entry.path());
			}
			break;
		}
	}

	std::sort(streams.begin(), streams.end());
	return streams;
}

std::vector<uint8_t> readFile(const fs::path &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

} /* namespace daedalus::h264::test */
