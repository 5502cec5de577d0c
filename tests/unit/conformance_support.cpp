/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the conformance tests of the job path share.
 */

#include "conformance_support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace daedalus::test {

std::string vectorsDir()
{
	const char *env = getenv("DAEDALUS_VECTORS");
	if (env && *env)
		return env;
	return DAEDALUS_DEFAULT_VECTORS;
}

std::vector<SuiteVector> readSuite(const std::string &codec, const std::string &suite)
{
	std::vector<uint8_t> raw;
	std::vector<SuiteVector> vectors;
	if (!readFile(vectorsDir() + "/test_suites/" + codec + "/" + suite + ".json", &raw))
		return vectors;

	/* The "test_vectors" entries are flat objects of string values. */
	const std::string text(raw.begin(), raw.end());
	size_t pos = text.find("\"test_vectors\"");
	if (pos == std::string::npos)
		return vectors;

	while ((pos = text.find('{', pos)) != std::string::npos) {
		const size_t end = text.find('}', pos);
		if (end == std::string::npos)
			break;
		const std::string object = text.substr(pos, end - pos);
		pos = end + 1;

		auto value = [&object](const char *key) -> std::string {
			const std::string quoted = std::string("\"") + key + "\"";
			size_t k = object.find(quoted);
			if (k == std::string::npos)
				return {};
			k = object.find(':', k + quoted.size());
			if (k == std::string::npos)
				return {};
			const size_t open = object.find('"', k);
			if (open == std::string::npos)
				return {};
			const size_t close = object.find('"', open + 1);
			if (close == std::string::npos)
				return {};
			return object.substr(open + 1, close - open - 1);
		};

		SuiteVector v{ value("name"), value("input_file"), value("output_format"),
			       value("result") };
		if (!v.name.empty())
			vectors.push_back(v);
	}
	return vectors;
}

std::string vectorPath(const std::string &suite, const SuiteVector &vector)
{
	return vectorsDir() + "/resources/" + suite + "/" + vector.name + "/" + vector.inputFile;
}

std::map<std::string, std::string> readManifestColumn(const std::string &column)
{
	std::map<std::string, std::string> values;
	std::ifstream in(vectorsDir() + "/MANIFEST.tsv");
	std::string line;
	if (!std::getline(in, line))
		return values;

	auto split = [](const std::string &s) {
		std::vector<std::string> fields;
		std::stringstream stream(s);
		std::string field;
		while (std::getline(stream, field, '\t'))
			fields.push_back(field);
		return fields;
	};

	const std::vector<std::string> header = split(line);
	size_t suite = header.size(), name = header.size(), wanted = header.size();
	for (size_t i = 0; i < header.size(); i++) {
		if (header[i] == "suite")
			suite = i;
		else if (header[i] == "name")
			name = i;
		else if (header[i] == column)
			wanted = i;
	}
	if (suite == header.size() || name == header.size() || wanted == header.size())
		return values;

	while (std::getline(in, line)) {
		const std::vector<std::string> fields = split(line);
		if (fields.size() < header.size())
			continue;
		values.emplace(fields[suite] + "/" + fields[name], fields[wanted]);
	}
	return values;
}

} /* namespace daedalus::test */
