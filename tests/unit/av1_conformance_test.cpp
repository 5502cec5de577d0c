/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AV1 through the daemon's job path, from the AV1 conformance vectors, the
 * way real clients send them (see av1_client.h): GStreamer's OUTPUT buffer
 * layout, and Chromium's (the whole temporal unit in each OUTPUT buffer).
 * The md5 of all pictures shown must be the fluster suite's.
 *
 * The daemon writes 8-bit 4:2:0 into NV12 and 10-bit into P010; the client
 * library here takes NV12 always, so 10-bit vectors must fail with EPROTO
 * (the CAPTURE format is not the one the sequence calls for), cleanly.
 *
 * The Av1Jobs tests: a reset, and a broken request failing its job only.
 *
 * $DAEDALUS_AV1_VECTOR=<substring> runs only the matching vectors.
 */

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "av1_client.h"
#include "conformance_support.h"
#include "job_runner.h"

using namespace daedalus;
using namespace daedalus::client;
using namespace daedalus::test;

namespace {

const char *layoutName(ClientStyle layout)
{
	return layout == ClientStyle::GStreamer ? "GStreamer" : "Chromium";
}

void runSuite(const char *suite, ClientStyle layout)
{
	const std::vector<SuiteVector> vectors = readSuite("av1", suite);
	if (vectors.empty())
		GTEST_SKIP() << "no " << suite << " suite under " << vectorsDir()
			     << " (set DAEDALUS_VECTORS to the conformance vectors)";

	const char *filter = getenv("DAEDALUS_AV1_VECTOR");
	const DecoderConfig config{ 2 };

	unsigned int tried = 0, matched = 0, missing = 0, requests = 0;
	std::vector<std::string> failures;
	const auto start = std::chrono::steady_clock::now();

	for (const SuiteVector &v : vectors) {
		if (v.outputFormat != "yuv420p")
			continue;
		if (filter && *filter && v.name.find(filter) == std::string::npos)
			continue;

		std::vector<uint8_t> file;
		if (!readFile(vectorPath(suite, v), &file)) {
			missing++;
			continue;
		}
		tried++;

		std::vector<std::vector<uint8_t>> units;
		Av1RunResult r;
		if (!readIvf(file, &units))
			r.error = "not an IVF file";
		else
			r = runAv1Client(units, layout, config);
		requests += r.requests;

		const bool ok = r.error.empty() && r.md5 == v.md5 && !r.failedJobs;
		std::string why = r.error;
		if (r.error.empty() && r.md5 != v.md5)
			why = "md5 " + r.md5 + ", expected " + v.md5;
		if (r.failedJobs)
			why += (why.empty() ? "" : "; ") + std::to_string(r.failedJobs) +
			       " failed jobs, the first (request " +
			       std::to_string(r.firstFailedRequest) + ") with status " +
			       std::to_string(r.firstFailure);

		printf("[ %-8s ] %s: %u requests, %u shown, %u show-existing%s%s\n",
		       ok ? "MATCH" : "MISMATCH", v.name.c_str(), r.requests, r.shown,
		       r.showExisting, why.empty() ? "" : " -- ", why.c_str());
		fflush(stdout);

		if (ok)
			matched++;
		else
			failures.push_back(v.name + ": " + why);
	}

	const double seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	printf("%s (%s layout): %u of %u 8-bit vectors match the expected md5, %u files "
	       "missing; %u requests in %.1f s\n",
	       suite, layoutName(layout), matched, tried, missing, requests, seconds);

	if (tried == 0)
		GTEST_SKIP() << "no " << suite << " vector to run"
			     << (filter && *filter ? " matching DAEDALUS_AV1_VECTOR" : "");
	for (const std::string &failure : failures)
		ADD_FAILURE() << failure;
}

TEST(Av1Conformance, Aom8bit)
{
	runSuite("AV1-TEST-VECTORS", ClientStyle::GStreamer);
}

TEST(Av1Conformance, Chromium8bit)
{
	runSuite("CHROMIUM-8bit-AV1-TEST-VECTORS", ClientStyle::GStreamer);
}

TEST(Av1Conformance, Aom8bitChromiumLayout)
{
	runSuite("AV1-TEST-VECTORS", ClientStyle::Chromium);
}

TEST(Av1Conformance, Chromium8bitChromiumLayout)
{
	runSuite("CHROMIUM-8bit-AV1-TEST-VECTORS", ClientStyle::Chromium);
}

TEST(Av1Conformance, TenBitFailsCleanly)
{
	const char *suite = "AV1-TEST-VECTORS";
	const std::vector<SuiteVector> vectors = readSuite("av1", suite);
	std::vector<std::vector<uint8_t>> units;
	for (const SuiteVector &v : vectors) {
		std::vector<uint8_t> file;
		if (v.outputFormat == "yuv420p10le" && readFile(vectorPath(suite, v), &file) &&
		    readIvf(file, &units))
			break;
		units.clear();
	}
	if (units.empty())
		GTEST_SKIP() << "no 10-bit AV1 vector under " << vectorsDir();

	/* The first request fails, says why, and the decoder stays usable. */
	testing::internal::CaptureStderr();
	Av1ClientOptions options;
	options.maxRequests = 2;
	const Av1RunResult r =
		runAv1Client(units, ClientStyle::GStreamer, DecoderConfig{ 1 }, options);
	const std::string log = testing::internal::GetCapturedStderr();
	EXPECT_TRUE(r.error.empty()) << r.error;
	EXPECT_EQ(r.requests, 2u);
	EXPECT_EQ(r.failedJobs, 2u);
	EXPECT_EQ(r.firstFailure, -EPROTO);
	EXPECT_NE(log.find("a 10-bit picture cannot go into the NV12 CAPTURE buffer"),
		  std::string::npos)
		<< log;
}

} /* namespace */

namespace {

/* The units of the first vector of @suite whose name contains @name. */
bool loadVector(const char *suite, const std::string &name, SuiteVector *vector,
		std::vector<std::vector<uint8_t>> *units)
{
	for (const SuiteVector &v : readSuite("av1", suite)) {
		std::vector<uint8_t> file;
		if (v.name.find(name) != std::string::npos &&
		    readFile(vectorPath(suite, v), &file) && readIvf(file, units)) {
			*vector = v;
			return true;
		}
	}
	return false;
}

TEST(Av1Jobs, ResetRestartsTheStream)
{
	SuiteVector v;
	std::vector<std::vector<uint8_t>> units;
	if (!loadVector("CHROMIUM-8bit-AV1-TEST-VECTORS", "av1-1-b8-03-sizeup", &v, &units))
		GTEST_SKIP() << "no av1-1-b8-03-sizeup vector under " << vectorsDir();

	Av1ClientOptions options;
	options.passes = 2;
	const Av1RunResult r =
		runAv1Client(units, ClientStyle::Chromium, DecoderConfig{ 2 }, options);
	ASSERT_TRUE(r.error.empty()) << r.error;
	ASSERT_EQ(r.passMd5s.size(), 2u);
	EXPECT_EQ(r.passMd5s[0], v.md5);
	EXPECT_EQ(r.passMd5s[1], v.md5);
	EXPECT_EQ(r.failedJobs, 0u);
}

TEST(Av1Jobs, TruncatedBufferFailsItsJobOnly)
{
	SuiteVector v;
	std::vector<std::vector<uint8_t>> units;
	if (!loadVector("CHROMIUM-8bit-AV1-TEST-VECTORS", "av1-1-b8-03-sizeup", &v, &units))
		GTEST_SKIP() << "no av1-1-b8-03-sizeup vector under " << vectorsDir();

	/* Request 4's tiles reach beyond its OUTPUT data. */
	Av1ClientOptions options;
	options.passes = 2;
	options.tamper = [](unsigned int request, std::vector<uint8_t> *data) {
		if (request == 4)
			data->resize(data->size() / 2);
	};
	testing::internal::CaptureStderr();
	const Av1RunResult r =
		runAv1Client(units, ClientStyle::GStreamer, DecoderConfig{ 2 }, options);
	const std::string log = testing::internal::GetCapturedStderr();

	ASSERT_TRUE(r.error.empty()) << r.error;
	ASSERT_GT(r.statuses.size(), 5u);
	EXPECT_EQ(r.statuses[4], -EINVAL);
	EXPECT_NE(log.find("cannot rebuild the frame"), std::string::npos) << log;
	EXPECT_EQ(r.failedJobs, 1u);
	/* The stream decodes again after a reset. */
	ASSERT_EQ(r.passMd5s.size(), 2u);
	EXPECT_NE(r.passMd5s[0], v.md5);
	EXPECT_EQ(r.passMd5s[1], v.md5);
}

} /* namespace */
