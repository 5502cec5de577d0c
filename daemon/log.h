/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging to stderr: one line per message, prefixed with the level, the
 * category and, where one applies, the context id.
 *
 *   LOG_DEFINE_CATEGORY(Device)
 *   LOG(Device, Error) << "attach failed: " << strerror(-ret);
 *   LOG_CTX(Vp9, Warn, ctxId) << "...";
 */

#pragma once

#include <cstdint>
#include <optional>
#include <sstream>

namespace daedalus {

enum class LogLevel {
	Error = 0,
	Warn = 1,
	Info = 2,
	Debug = 3,
};

class LogCategory
{
public:
	explicit constexpr LogCategory(const char *name) : name_(name) {}
	const char *name() const { return name_; }

private:
	const char *name_;
};

void setLogLevel(LogLevel level);
LogLevel logLevel();

inline bool logEnabled(LogLevel level)
{
	return static_cast<int>(level) <= static_cast<int>(logLevel());
}

/* Collects one message and writes it, as a single line, when destroyed. */
class LogMessage
{
public:
	/* Context ids are the module's 64-bit ids (above 2^32 too). */
	static constexpr std::nullopt_t kNoContext = std::nullopt;

	LogMessage(const LogCategory &category, LogLevel level,
		   std::optional<uint64_t> ctxId = kNoContext);
	~LogMessage();

	LogMessage(const LogMessage &) = delete;
	LogMessage &operator=(const LogMessage &) = delete;

	std::ostream &stream() { return stream_; }

private:
	const LogCategory &category_;
	LogLevel level_;
	std::optional<uint64_t> ctxId_;
	std::ostringstream stream_;
};

/* Turns a stream expression into void, for LOG(). */
struct LogVoidify {
	void operator&(std::ostream &) {}
};

/* An error code (negative errno) as text. */
const char *errorString(int err);

} /* namespace daedalus */

#define LOG_DEFINE_CATEGORY(name) static const ::daedalus::LogCategory _logCategory##name(#name);

/*
 * The message is only built when its level is enabled. The "? :" (instead of
 * an if) keeps LOG() usable as the body of an unbraced if/else.
 */
#define LOG(category, level) LOG_CTX(category, level, ::daedalus::LogMessage::kNoContext)

#define LOG_CTX(category, level, ctxId)                                                            \
	!::daedalus::logEnabled(::daedalus::LogLevel::level)                                       \
		? (void)0                                                                          \
		: ::daedalus::LogVoidify() & ::daedalus::LogMessage(_logCategory##category,        \
								    ::daedalus::LogLevel::level,   \
								    (ctxId))                       \
						     .stream()
