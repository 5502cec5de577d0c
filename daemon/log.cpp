/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging to stderr.
 */

#include "log.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <time.h>
#include <unistd.h>

namespace daedalus {

namespace {

std::atomic<int> currentLevel{ static_cast<int>(LogLevel::Info) };

const char *levelName(LogLevel level)
{
	switch (level) {
	case LogLevel::Error:
		return "ERROR";
	case LogLevel::Warn:
		return "WARN ";
	case LogLevel::Info:
		return "INFO ";
	case LogLevel::Debug:
		return "DEBUG";
	}
	return "?????";
}

} /* namespace */

void setLogLevel(LogLevel level)
{
	currentLevel.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel logLevel()
{
	return static_cast<LogLevel>(currentLevel.load(std::memory_order_relaxed));
}

LogMessage::LogMessage(const LogCategory &category, LogLevel level, int64_t ctxId)
	: category_(category), level_(level), ctxId_(ctxId)
{
}

LogMessage::~LogMessage()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);

	char prefix[96];
	int len;
	if (ctxId_ == kNoContext)
		len = snprintf(prefix, sizeof(prefix),
			       "[%5lld.%06ld] %s %s: ", static_cast<long long>(ts.tv_sec),
			       ts.tv_nsec / 1000, levelName(level_), category_.name());
	else
		len = snprintf(prefix, sizeof(prefix),
			       "[%5lld.%06ld] %s %s ctx %lld: ", static_cast<long long>(ts.tv_sec),
			       ts.tv_nsec / 1000, levelName(level_), category_.name(),
			       static_cast<long long>(ctxId_));

	std::string line(prefix, len > 0 ? std::min<size_t>(len, sizeof(prefix) - 1) : 0);
	line += stream_.str();
	line += '\n';

	/* One write per line so that lines of concurrent writers do not mix. */
	const char *p = line.data();
	size_t left = line.size();
	while (left) {
		ssize_t n = ::write(STDERR_FILENO, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= n;
	}
}

const char *errorString(int err)
{
	return strerror(err < 0 ? -err : err);
}

} /* namespace daedalus */
