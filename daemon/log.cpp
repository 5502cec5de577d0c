/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging to stderr.
 */

#include "log.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
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

/* syslog priorities, as sd-daemon(3) prefixes read by the journal. */
int syslogPriority(LogLevel level)
{
	switch (level) {
	case LogLevel::Error:
		return 3;
	case LogLevel::Warn:
		return 4;
	case LogLevel::Info:
		return 6;
	case LogLevel::Debug:
		return 7;
	}
	return 6;
}

/*
 * Whether stderr is the journal's stream (systemd sets $JOURNAL_STREAM to its
 * "device:inode"): lines then carry a priority prefix and no time stamp.
 */
bool stderrIsJournal()
{
	static const bool journal = [] {
		const char *stream = getenv("JOURNAL_STREAM");
		struct stat st;
		unsigned long long dev, ino;
		if (!stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2 ||
		    fstat(STDERR_FILENO, &st) < 0)
			return false;
		return st.st_dev == dev && st.st_ino == ino;
	}();
	return journal;
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

LogMessage::LogMessage(const LogCategory &category, LogLevel level, std::optional<uint64_t> ctxId)
	: category_(category), level_(level), ctxId_(ctxId)
{
}

LogMessage::~LogMessage()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);

	char prefix[96];
	int len;
	if (stderrIsJournal() && !ctxId_)
		len = snprintf(prefix, sizeof(prefix), "<%d>%s: ", syslogPriority(level_),
			       category_.name());
	else if (stderrIsJournal())
		len = snprintf(prefix, sizeof(prefix), "<%d>%s ctx %llu: ", syslogPriority(level_),
			       category_.name(), static_cast<unsigned long long>(*ctxId_));
	else if (!ctxId_)
		len = snprintf(prefix, sizeof(prefix),
			       "[%5lld.%06ld] %s %s: ", static_cast<long long>(ts.tv_sec),
			       ts.tv_nsec / 1000, levelName(level_), category_.name());
	else
		len = snprintf(prefix, sizeof(prefix),
			       "[%5lld.%06ld] %s %s ctx %llu: ", static_cast<long long>(ts.tv_sec),
			       ts.tv_nsec / 1000, levelName(level_), category_.name(),
			       static_cast<unsigned long long>(*ctxId_));

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
