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
#include <span>
#include <string>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <vector>

#include "daedalus_device.h"
#include "job_processor.h"
#include "job_scheduler.h"
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
	/* -1: one per online CPU. */
	int workers = -1;
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
		"                      decodes on its worker's thread)\n"
		"  -w, --workers N     contexts decoded at once (default: one per online\n"
		"                      CPU; 0: every job on the thread that fetches it)\n"
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

/* @arg as a count from 0 to @max into @value; says what is wrong about @what otherwise. */
bool parseCount(const char *arg, unsigned long max, const char *what, unsigned long *value)
{
	char *end;
	errno = 0;
	*value = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || *value > max) {
		fprintf(stderr, "invalid %s '%s' (0 to %lu)\n", what, arg, max);
		return false;
	}
	return true;
}

/* Returns 0, 1 to exit with success (help), or -1 on bad options. */
int parseOptions(int argc, char **argv, Options *options)
{
	static const struct option longOptions[] = {
		{ "device", required_argument, nullptr, 'd' },
		{ "threads", required_argument, nullptr, 't' },
		{ "max-threads", required_argument, nullptr, 'M' },
		{ "workers", required_argument, nullptr, 'w' },
		{ "dump-controls", required_argument, nullptr, 'D' },
		{ "user", required_argument, nullptr, 'u' },
		{ "group", required_argument, nullptr, 'g' },
		{ "verbose", no_argument, nullptr, 'v' },
		{ "quiet", no_argument, nullptr, 'q' },
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};

	int opt;
	while ((opt = getopt_long(argc, argv, "d:t:w:u:g:vqh", longOptions, nullptr)) != -1) {
		switch (opt) {
		case 'd':
			options->device = optarg;
			break;
		case 't': {
			unsigned long threads;
			if (!parseCount(optarg, 64, "thread count", &threads))
				return -1;
			options->decoder.threads = threads;
			break;
		}
		case 'M': {
			unsigned long threads;
			if (!parseCount(optarg, 4096, "thread budget", &threads))
				return -1;
			options->decoder.maxThreads = static_cast<int>(threads);
			break;
		}
		case 'w': {
			unsigned long workers;
			if (!parseCount(optarg, 256, "worker count", &workers))
				return -1;
			options->workers = static_cast<int>(workers);
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

/*
 * When the job that this thread runs started, and whether its BEGIN_WRITE
 * said it had ended: per worker thread, one job at a time each.
 */
thread_local std::chrono::steady_clock::time_point jobStarted;
thread_local bool jobEnded;

/*
 * The device loop: one attached device, one job path, one signalfd. The
 * main thread polls and fetches; the workers (JobScheduler) run each
 * context's messages in their order and answer the jobs themselves.
 */
class Daemon
{
public:
	explicit Daemon(const Options &options)
		: options_(options), processor_(options.decoder),
		  scheduler_(options.workers < 0 ? onlineCpus()
						 : static_cast<unsigned int>(options.workers))
	{
		processor_.setWriteGateOpener([this](uint64_t seqno) { return beginWrite(seqno); });
		stop_ = UniqueFD(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	}

	~Daemon()
	{
		/* A worker waiting for work in the device comes back. */
		stop();
	}

	/* Returns the process exit status. */
	int run(const sigset_t &signals);

private:
	int attach();
	int openDumpDir();
	int beginWrite(uint64_t seqno);
	int serviceDevice();
	void waitForWork();
	void stop();
	void runMessage(const daedalus_msg &msg, std::span<const uint8_t> ctrlArea);

	const Options &options_;
	DaedalusDevice device_;
	JobProcessor processor_;
	/* FETCH failures in a row; each fails one job in the module. */
	unsigned int failedFetches_ = 0;
	/* Readable once the daemon must stop (a worker found the device gone, or exit). */
	UniqueFD stop_;
	/* Last: its workers stop before what they use goes. */
	JobScheduler scheduler_;
};

/*
 * The job's WriteGate: the CAPTURE buffer is ours only once the module says
 * so (-ENOENT: the job has ended, the buffer is the client's again). A
 * successful BEGIN_WRITE gives the daemon the whole job timeout again to
 * write the picture and answer, which takes milliseconds; the module kills
 * a daemon that overruns it, as it would reset hung hardware. The decode
 * before it may have taken any part of the job's own time: the module, not
 * the daemon (whose idea of the timeout is the one it attached with), says
 * whether that time is up.
 */
int Daemon::beginWrite(uint64_t seqno)
{
	int ret = device_.beginWrite(seqno);
	jobEnded = ret == -ENOENT;
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
	LOG(Daemon, Info) << "attached to " << path << " (protocol " << DAEDALUS_PROTOCOL_VERSION
			  << ", control area " << device_.controlArea().size()
			  << " bytes, job timeout " << info.job_timeout_ms << " ms, up to "
			  << info.max_contexts << " contexts; " << budget.total()
			  << " decoder threads in all, " << scheduler_.workers() << " workers)";
	if (info.max_contexts > budget.total())
		LOG(Daemon, Debug) << "with more than " << budget.total()
				   << " busy contexts, some decode on their worker's thread";

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

	/*
	 * The control area is the next FETCH's: the job takes a copy of its
	 * records (8-byte aligned, as the records are).
	 */
	std::vector<uint64_t> ctrls;
	if (msg.type == DAEDALUS_MSG_JOB) {
		size_t bytes = std::min<size_t>(msg.job.ctrl_bytes, device_.controlArea().size());
		ctrls.resize((bytes + 7) / 8);
		std::memcpy(ctrls.data(), device_.controlArea().data(), bytes);
	}
	scheduler_.submit(msg.ctx_id, [this, msg, ctrls = std::move(ctrls)] {
		runMessage(msg, { reinterpret_cast<const uint8_t *>(ctrls.data()),
				  ctrls.size() * sizeof(uint64_t) });
	});
	return 0;
}

/* On the context's worker: one message, and a job's answer. */
void Daemon::runMessage(const daedalus_msg &msg, std::span<const uint8_t> ctrlArea)
{
	auto start = std::chrono::steady_clock::now();
	jobStarted = start;
	jobEnded = false;

	daedalus_result result;
	if (!processor_.handleMessage(msg, ctrlArea, &result))
		return;

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
	int ret = device_.complete(result);
	if (ret == -ENOENT && jobEnded)
		LOG_CTX(Daemon, Debug, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " ended before its answer";
	else if (ret == -ENOENT)
		LOG_CTX(Daemon, Warn, msg.job.ctx_id)
			<< "job " << msg.job.seqno << " is gone (timed out or cancelled)";
	else if (ret < 0)
		LOG_CTX(Daemon, Error, msg.job.ctx_id)
			<< "COMPLETE of job " << msg.job.seqno << " failed: " << errorString(ret);
}

void Daemon::stop()
{
	uint64_t one = 1;
	[[maybe_unused]] ssize_t n = write(stop_.get(), &one, sizeof(one));
}

/*
 * An idle worker's wait for work (one at a time, JobScheduler): poll the
 * device, FETCH one message and submit it; the worker then runs it itself
 * when its context is not running elsewhere, without a hand-over. Only an
 * idle worker fetches: the module counts a job's time from its FETCH (or
 * from the answer to its context's job before it), so jobs that would only
 * wait here for a worker wait in the module, which keeps them while the
 * daemon goes on fetching.
 */
void Daemon::waitForWork()
{
	struct pollfd fds[2] = {
		{ device_.fd(), POLLIN, 0 },
		{ stop_.get(), POLLIN, 0 },
	};
	if (poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN))
		return;

	if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
		LOG(Daemon, Error) << device_.path() << " hung up (revents 0x" << std::hex
				   << fds[0].revents << ")";
		stop();
		return;
	}
	if ((fds[0].revents & POLLIN) && serviceDevice() < 0)
		stop();
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

	/* The workers wait for work in the device; without workers, this thread does. */
	const bool workers = scheduler_.workers() > 0;
	if (workers)
		scheduler_.setIdleHook([this] { waitForWork(); });

	for (;;) {
		struct pollfd fds[2] = {
			{ workers ? stop_.get() : device_.fd(), POLLIN, 0 },
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

		/* A worker found the device gone (it said why). */
		if (workers && (fds[0].revents & POLLIN))
			return EXIT_FAILURE;

		if (!workers && (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			LOG(Daemon, Error) << device_.path() << " hung up (revents 0x" << std::hex
					   << fds[0].revents << ")";
			return EXIT_FAILURE;
		}

		if (!workers && (fds[0].revents & POLLIN) && serviceDevice() < 0)
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
