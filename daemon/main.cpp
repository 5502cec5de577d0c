/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-v4l2d: decodes the jobs of the daedalus-v4l2 kernel module.
 */

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daedalus_device.h"
#include "job_processor.h"
#include "log.h"
#include "privileges.h"
#include "service_notify.h"
#include <daedalus/unique_fd.h>

using namespace daedalus;

LOG_DEFINE_CATEGORY(Daemon)

namespace {

struct Options {
	std::string device = DaedalusDevice::kDefaultPath;
	DecoderConfig decoder;
	std::string dumpDir;
	std::string user;
	std::string group;
	int verbosity = 0;
};

void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [options]\n"
		"Decode the jobs of the daedalus-v4l2 kernel module.\n\n"
		"  -d, --device PATH   the module's device (default %s)\n"
		"  -t, --threads N     decoder threads per context at most (default 0: one\n"
		"                      per online CPU)\n"
		"      --max-threads N decoder threads of all contexts together at most\n"
		"                      (default: twice the online CPUs; 0: every context\n"
		"                      decodes on the daemon's thread)\n"
		"      --dump-controls DIR\n"
		"                      debugging: write every job's controls and OUTPUT\n"
		"                      bytes to new files in DIR (owned by the daemon's\n"
		"                      user, not writable by group or others)\n"
		"  -u, --user USER     once attached, drop root: run as USER (name or uid)\n"
		"  -g, --group GROUP   with --user: as GROUP (default: USER's primary group)\n"
		"  -v, --verbose       log more (once: debug)\n"
		"  -q, --quiet         log errors and warnings only\n"
		"  -h, --help          this help\n",
		argv0, DaedalusDevice::kDefaultPath);
}

/* Returns 0, 1 to exit with success (help), or -1 on bad options. */
int parseOptions(int argc, char **argv, Options *options)
{
	static const struct option longOptions[] = {
		{ "device", required_argument, nullptr, 'd' },
		{ "threads", required_argument, nullptr, 't' },
		{ "max-threads", required_argument, nullptr, 'M' },
		{ "dump-controls", required_argument, nullptr, 'D' },
		{ "user", required_argument, nullptr, 'u' },
		{ "group", required_argument, nullptr, 'g' },
		{ "verbose", no_argument, nullptr, 'v' },
		{ "quiet", no_argument, nullptr, 'q' },
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};

	int opt;
	while ((opt = getopt_long(argc, argv, "d:t:u:g:vqh", longOptions, nullptr)) != -1) {
		switch (opt) {
		case 'd':
			options->device = optarg;
			break;
		case 't': {
			char *end;
			errno = 0;
			unsigned long threads = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || threads > 64) {
				fprintf(stderr, "invalid thread count '%s' (0 to 64)\n", optarg);
				return -1;
			}
			options->decoder.threads = threads;
			break;
		}
		case 'M': {
			char *end;
			errno = 0;
			unsigned long threads = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || threads > 4096) {
				fprintf(stderr, "invalid thread budget '%s' (0 to 4096)\n", optarg);
				return -1;
			}
			options->decoder.maxThreads = static_cast<int>(threads);
			break;
		}
		case 'D':
			if (!*optarg) {
				fprintf(stderr, "--dump-controls needs a directory\n");
				return -1;
			}
			options->dumpDir = optarg;
			break;
		case 'u':
			options->user = optarg;
			break;
		case 'g':
			options->group = optarg;
			break;
		case 'v':
			options->verbosity++;
			break;
		case 'q':
			options->verbosity = -1;
			break;
		case 'h':
			usage(argv[0]);
			return 1;
		default:
			usage(argv[0]);
			return -1;
		}
	}

	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		usage(argv[0]);
		return -1;
	}
	if (!options->group.empty() && options->user.empty()) {
		fprintf(stderr, "--group needs --user\n");
		return -1;
	}
	return 0;
}

/* The device loop: one attached device, one job path, one signalfd. */
class Daemon
{
public:
	explicit Daemon(const Options &options) : options_(options), processor_(options.decoder)
	{
		processor_.setWriteGateOpener([this](uint64_t seqno) { return beginWrite(seqno); });
	}

	/* Returns the process exit status. */
	int run(const sigset_t &signals);

private:
	int attach();
	int openDumpDir();
	int beginWrite(uint64_t seqno);
	int serviceDevice();

	const Options &options_;
	DaedalusDevice device_;
	JobProcessor processor_;
	/* FETCH failures in a row; each fails one job in the module. */
	unsigned int failedFetches_ = 0;
	/* BEGIN_WRITE of the current job said it has ended already. */
	bool jobEnded_ = false;
	/* When the current message was fetched: the module's job timeout runs from there. */
	std::chrono::steady_clock::time_point fetched_;
};

/*
 * The job's WriteGate: the CAPTURE buffer is ours only once the module says
 * so. The module kills a daemon that has begun writing and does not answer
 * within the job timeout (counted from FETCH), as it would reset hung
 * hardware: a decode that used up nearly all of it fails the job rather
 * than begin a write that may not end in time.
 */
int Daemon::beginWrite(uint64_t seqno)
{
	const uint32_t timeout = device_.attachInfo().job_timeout_ms;
	if (timeout) {
		const auto used = std::chrono::duration_cast<std::chrono::milliseconds>(
			std::chrono::steady_clock::now() - fetched_);
		/* Writing a 4K picture takes a few ms: keep a tenth, at least 10 ms. */
		const int64_t margin = std::max<int64_t>(timeout / 10, 10);
		if (used.count() + margin >= timeout) {
			LOG(Daemon, Warn)
				<< "job " << seqno << ": decoding took " << used.count()
				<< " ms of the " << timeout
				<< " ms job timeout; failing it instead of writing (the "
				<< "module kills a daemon that overruns after BEGIN_WRITE)";
			return -ETIMEDOUT;
		}
	}

	int ret = device_.beginWrite(seqno);
	jobEnded_ = ret == -ENOENT;
	return ret;
}

/*
 * --dump-controls: the directory is opened once, as the user the daemon runs
 * as, and refused unless only that user can write it.
 */
int Daemon::openDumpDir()
{
	UniqueFD dir;
	std::string why;
	int ret = openDumpDirectory(options_.dumpDir, &dir, &why);
	if (ret < 0) {
		LOG(Daemon, Error)
			<< "refusing --dump-controls " << options_.dumpDir << ": " << why;
		return ret;
	}
	processor_.setDumpDir(std::move(dir));
	LOG(Daemon, Info)
		<< "dumping every job's controls and OUTPUT bytes to " << options_.dumpDir;
	return 0;
}

int Daemon::attach()
{
	const std::string &path = options_.device;
	int ret = device_.open(path);
	if (ret < 0) {
		LOG(Daemon, Error)
			<< "cannot open " << path << ": " << errorString(ret)
			<< (ret == -ENOENT ? " (is the daedalus-v4l2 module loaded?)" : "");
		return ret;
	}

	ret = device_.attach();
	const daedalus_attach &info = device_.attachInfo();
	switch (ret) {
	case 0:
		break;
	case -EPROTO:
		LOG(Daemon, Error)
			<< "protocol mismatch with the module: this daemon speaks version "
			<< DAEDALUS_PROTOCOL_VERSION << " (message " << sizeof(daedalus_msg)
			<< " bytes, result " << sizeof(daedalus_result)
			<< " bytes), the module answered version " << info.version
			<< "; build the daemon and the module from the same tree";
		return ret;
	case -EBUSY:
		LOG(Daemon, Error) << "another daemon is already attached to " << path;
		return ret;
	case -E2BIG:
		LOG(Daemon, Error)
			<< "the module asks for a control area of " << info.max_ctrl_bytes
			<< " bytes, more than this daemon accepts";
		return ret;
	default:
		LOG(Daemon, Error) << "cannot attach to " << path << ": " << errorString(ret);
		return ret;
	}

	const ThreadBudget &budget = processor_.threadBudget();
	LOG(Daemon, Info)
		<< "attached to " << path << " (protocol " << DAEDALUS_PROTOCOL_VERSION
		<< ", control area " << device_.controlArea().size() << " bytes, job timeout "
		<< info.job_timeout_ms << " ms, up to " << info.max_contexts << " contexts; "
		<< budget.total() << " decoder threads in all)";
	if (info.max_contexts > budget.total())
		LOG(Daemon, Debug) << "with more than " << budget.total()
				   << " busy contexts, some decode on the daemon's thread";

	/*
	 * Nothing from here on needs root: the device is open and attached, the
	 * buffers arrive as file descriptors. With --user, never go on as root.
	 */
	if (!options_.user.empty()) {
		ret = dropPrivileges(options_.user, options_.group);
		if (ret < 0) {
			LOG(Daemon, Error) << "cannot drop privileges to " << options_.user << ": "
					   << errorString(ret) << "; exiting";
			return ret;
		}
	}

	/* As the user that writes the files. */
	if (!options_.dumpDir.empty()) {
		ret = openDumpDir();
		if (ret < 0)
			return ret;
	}

	/* Started by systemd (Type=notify): ready once attached. */
	ret = notifyServiceManager("READY=1\nSTATUS=attached to " + path);
	if (ret < 0)
		LOG(Daemon, Warn) << "cannot notify the service manager ($NOTIFY_SOCKET): "
				  << errorString(ret);
	return 0;
}

/* One message from the device. Returns 0, or -errno when the daemon must stop. */
int Daemon::serviceDevice()
{
	constexpr unsigned int kMaxFailedFetches = 100;

	daedalus_msg msg;
	int ret = device_.fetch(&msg);
	if (ret == -EAGAIN || ret == -EINTR)
		return 0;
	if (ret == -ENOTCONN || ret == -ENODEV) {
		LOG(Daemon, Error)
			<< "detached from " << device_.path() << ": " << errorString(ret);
		return ret;
	}
	if (ret < 0) {
		LOG(Daemon, Error) << "FETCH failed: " << errorString(ret)
				   << (ret == -EMFILE ? " (out of file descriptors)" : "");
		if (++failedFetches_ >= kMaxFailedFetches) {
			LOG(Daemon, Error)
				<< failedFetches_ << " FETCH failures in a row, giving up";
			return ret;
		}
		return 0;
	}
	failedFetches_ = 0;

	auto start = std::chrono::steady_clock::now();
	fetched_ = start;

	daedalus_result result;
	jobEnded_ = false;
	if (!processor_.handleMessage(msg, device_.controlArea(), &result))
		return 0;

	auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
		std::chrono::steady_clock::now() - start);
	uint32_t timeout = device_.attachInfo().job_timeout_ms;
	if (timeout && elapsed.count() >= timeout * 1000LL)
		LOG_CTX(Daemon, Warn, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " took " << elapsed.count() / 1000
			<< " ms, the module gives up after " << timeout << " ms";
	else
		LOG_CTX(Daemon, Debug, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " done in " << elapsed.count()
			<< " us: " << (result.status ? errorString(result.status) : "ok");

	/*
	 * After a refused BEGIN_WRITE the answer is not needed (the job has
	 * ended); it is sent anyway, the module then says -ENOENT.
	 */
	ret = device_.complete(result);
	if (ret == -ENOENT && jobEnded_)
		LOG_CTX(Daemon, Debug, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " ended before its answer";
	else if (ret == -ENOENT)
		LOG_CTX(Daemon, Warn, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " is gone (timed out or cancelled)";
	else if (ret < 0)
		LOG_CTX(Daemon, Error, msg.job.ctx_id)
			<< "COMPLETE of job " << msg.job.seqno << " failed: " << errorString(ret);
	return 0;
}

int Daemon::run(const sigset_t &signals)
{
	UniqueFD signalFd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
	if (!signalFd.isValid()) {
		LOG(Daemon, Error) << "signalfd: " << errorString(-errno);
		return EXIT_FAILURE;
	}

	if (attach() < 0)
		return EXIT_FAILURE;

	for (;;) {
		struct pollfd fds[2] = {
			{ device_.fd(), POLLIN, 0 },
			{ signalFd.get(), POLLIN, 0 },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			LOG(Daemon, Error) << "poll: " << errorString(-errno);
			return EXIT_FAILURE;
		}

		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo info;
			if (read(signalFd.get(), &info, sizeof(info)) == sizeof(info)) {
				LOG(Daemon, Info) << "exiting on " << strsignal(info.ssi_signo);
				notifyServiceManager("STOPPING=1");
				return EXIT_SUCCESS;
			}
		}

		if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			LOG(Daemon, Error) << device_.path() << " hung up (revents 0x" << std::hex
					   << fds[0].revents << ")";
			return EXIT_FAILURE;
		}

		if ((fds[0].revents & POLLIN) && serviceDevice() < 0)
			return EXIT_FAILURE;
	}
}

} /* namespace */

int main(int argc, char **argv)
{
	Options options;
	int ret = parseOptions(argc, argv, &options);
	if (ret)
		return ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;

	if (options.verbosity < 0)
		setLogLevel(LogLevel::Warn);
	else if (options.verbosity > 0)
		setLogLevel(LogLevel::Debug);

	/* Termination arrives through the signalfd, handled in the main loop. */
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0) {
		perror("sigprocmask");
		return EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The daemon keeps one fd per mapped plane (for DMA_BUF_IOCTL_SYNC):
	 * allow as many as the hard limit permits.
	 */
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}

	/* Everything (contexts, mappings, fds) is released when the daemon goes. */
	Daemon daemon(options);
	return daemon.run(signals);
}
