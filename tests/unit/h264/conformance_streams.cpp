/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 conformance streams the tests run on.
 */

#include "conformance_streams.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace daedalus::h264::test {

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

} /* namespace daedalus::h264::test */
