/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-v4l2ctl: the state of the daedalus-v4l2 decoder in one look.
 *
 * Reads the module's status file (<debugfs>/daedalus-v4l2/status, root only)
 * and sysfs: whether the module is loaded, its nodes, whether a daemon is
 * attached, the jobs done, failed and timed out with their latency, per
 * device and per open context.
 */

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <getopt.h>
#include <grp.h>
#include <iostream>
#include <map>
#include <pwd.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr const char *kName = "daedalus-v4l2";
constexpr const char *kDefaultStatus = "/sys/kernel/debug/daedalus-v4l2/status";
constexpr const char *kSymlinkDir = "/dev/v4l/by-decoder";

/* One line of the status file: a word, then key=value fields. */
struct Record {
	std::string type;
	std::map<std::string, std::string> fields;

	std::string get(const std::string &key, const std::string &fallback = "-") const
	{
		auto it = fields.find(key);
		return it == fields.end() ? fallback : it->second;
	}
	unsigned long long num(const std::string &key) const
	{
		return strtoull(get(key, "0").c_str(), nullptr, 10);
	}
};

std::vector<Record> parseStatus(std::istream &in)
{
	std::vector<Record> records;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream words(line);
		Record record;
		if (!(words >> record.type))
			continue;
		std::string word;
		while (words >> word) {
			size_t eq = word.find('=');
			if (eq == std::string::npos)
				record.fields[word] = "";
			else
				record.fields[word.substr(0, eq)] = word.substr(eq + 1);
		}
		if (record.type == "version" && record.fields.size() == 1)
			record.fields["value"] = record.fields.begin()->first;
		records.push_back(std::move(record));
	}
	return records;
}

std::string readLine(const fs::path &path)
{
	std::ifstream in(path);
	std::string line;
	std::getline(in, line);
	return line;
}

/* The device node of a sysfs class device ("video0" -> /dev/video0). */
std::string devNode(const fs::path &sysDir)
{
	std::string uevent;
	std::ifstream in(sysDir / "uevent");
	for (std::string line; std::getline(in, line);)
		if (line.rfind("DEVNAME=", 0) == 0)
			return "/dev/" + line.substr(8);
	return "/dev/" + sysDir.filename().string();
}

/* "owner:group mode" of a node, or why not. */
std::string nodeAccess(const std::string &node)
{
	struct stat st;
	if (stat(node.c_str(), &st) < 0)
		return std::string("missing: ") + strerror(errno);
	const struct passwd *pw = getpwuid(st.st_uid);
	const struct group *gr = getgrgid(st.st_gid);
	char buf[128];
	snprintf(buf, sizeof(buf), "%s:%s %04o",
		 pw ? pw->pw_name : std::to_string(st.st_uid).c_str(),
		 gr ? gr->gr_name : std::to_string(st.st_gid).c_str(), st.st_mode & 07777);
	return buf;
}

/* Symlinks in /dev/v4l/by-decoder that point at @node. */
std::string symlinksTo(const std::string &node)
{
	std::string links;
	std::error_code ec;
	for (const auto &entry : fs::directory_iterator(kSymlinkDir, ec)) {
		std::error_code ec2;
		if (fs::equivalent(entry.path(), node, ec2))
			links += (links.empty() ? "" : ", ") + entry.path().string();
	}
	return links;
}

std::string ms(unsigned long long us)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%.1f", us / 1000.0);
	return buf;
}

std::string latencyLine(const Record &r)
{
	if (!r.num("lat_n"))
		return "no decoded job yet";
	return "p50 " + ms(r.num("lat_p50_us")) + " ms, p90 " + ms(r.num("lat_p90_us")) +
	       " ms, p99 " + ms(r.num("lat_p99_us")) + " ms, max " + ms(r.num("lat_max_us")) +
	       " ms (last " + r.get("lat_n") + " decoded jobs)";
}

std::string codecName(const std::string &fourcc)
{
	static const std::map<std::string, std::string> names = {
		{ "S264", "H.264" }, { "VP9F", "VP9" },	 { "AV1F", "AV1" },
		{ "VP8F", "VP8" },   { "S265", "HEVC" },
	};
	auto it = names.find(fourcc);
	return it == names.end() ? fourcc : it->second;
}

void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [options] [status|raw]\n"
		"Show the state of the daedalus-v4l2 decoder: module, nodes, daemon, jobs.\n\n"
		"  status             (default) a summary, with one line per open context\n"
		"  raw                the module's status file as it is\n"
		"  -s, --status-file PATH\n"
		"                     the module's status file (default %s;\n"
		"                     debugfs, readable by root only)\n"
		"  -h, --help         this help\n\n"
		"Exit status: 0 when the module is loaded and a daemon is attached, 1 when\n"
		"not (or the status is unreadable), 2 on bad usage.\n",
		argv0, kDefaultStatus);
}

} /* namespace */

int main(int argc, char **argv)
{
	static const struct option longOptions[] = {
		{ "status-file", required_argument, nullptr, 's' },
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};
	std::string statusPath = kDefaultStatus;
	bool customStatus = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "s:h", longOptions, nullptr)) != -1) {
		switch (opt) {
		case 's':
			statusPath = optarg;
			customStatus = true;
			break;
		case 'h':
			usage(argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	std::string command = optind < argc ? argv[optind++] : "status";
	if (optind < argc || (command != "status" && command != "raw")) {
		usage(argv[0]);
		return 2;
	}

	std::ifstream statusFile(statusPath);
	if (command == "raw") {
		if (!statusFile) {
			fprintf(stderr, "cannot read %s: %s\n", statusPath.c_str(),
				strerror(errno));
			return EXIT_FAILURE;
		}
		std::cout << statusFile.rdbuf();
		return EXIT_SUCCESS;
	}

	bool loaded = fs::exists("/sys/module/daedalus_v4l2");
	int status = EXIT_SUCCESS;
	if (!customStatus) {
		if (!loaded) {
			printf("module:   daedalus_v4l2 is not loaded (modprobe daedalus_v4l2; "
			       "with DKMS: dkms status %s)\n",
			       kName);
			return EXIT_FAILURE;
		}
		std::string timeout =
			readLine("/sys/module/daedalus_v4l2/parameters/job_timeout_ms");
		printf("module:   daedalus_v4l2 loaded, job_timeout_ms=%s\n", timeout.c_str());

		std::error_code ec;
		for (const auto &entry : fs::directory_iterator("/sys/class/video4linux", ec)) {
			if (readLine(entry.path() / "name") != kName)
				continue;
			std::string node = devNode(entry.path());
			std::string links = symlinksTo(node);
			printf("decoder:  %s (%s)%s%s\n", node.c_str(), nodeAccess(node).c_str(),
			       links.empty() ? "" : ", ", links.c_str());
		}
		for (const auto &entry : fs::directory_iterator("/sys/bus/media/devices", ec)) {
			if (readLine(entry.path() / "model") != kName)
				continue;
			std::string node = devNode(entry.path());
			printf("media:    %s (%s)\n", node.c_str(), nodeAccess(node).c_str());
		}
		std::string daemonNode = std::string("/dev/") + kName;
		printf("bridge:   %s (%s)\n", daemonNode.c_str(), nodeAccess(daemonNode).c_str());
	}

	if (!statusFile) {
		int err = errno;
		printf("status:   cannot read %s: %s%s\n", statusPath.c_str(), strerror(err),
		       err == EACCES || err == EPERM ? " (run as root)"
		       : err == ENOENT		     ? " (is debugfs mounted?)"
						     : "");
		return EXIT_FAILURE;
	}

	std::vector<Record> records = parseStatus(statusFile);
	std::vector<const Record *> contexts;
	for (const Record &r : records) {
		if (r.type == "daemon") {
			if (r.num("attached")) {
				printf("daemon:   attached, pid %s (%s); %s attach(es) since the "
				       "module loaded\n",
				       r.get("pid").c_str(), r.get("comm").c_str(),
				       r.get("attaches").c_str());
			} else {
				printf("daemon:   NOT attached: requests fail with ENODEV "
				       "(systemctl status daedalus-v4l2d)\n");
				status = EXIT_FAILURE;
			}
		} else if (r.type == "device") {
			printf("jobs:     %s: %s done, %s failed, %s timed out, %s without "
			       "daemon\n",
			       r.get("jobs").c_str(), r.get("done").c_str(),
			       r.get("failed").c_str(), r.get("timed_out").c_str(),
			       r.get("no_daemon").c_str());
			printf("latency:  %s\n", latencyLine(r).c_str());
		} else if (r.type == "context") {
			contexts.push_back(&r);
		}
	}

	/*
	 * Context ids are 64-bit and never reused while the module is loaded:
	 * they exceed 32 bits on a long-running system. In id order, the column
	 * as wide as the longest.
	 */
	std::stable_sort(contexts.begin(), contexts.end(), [](const Record *a, const Record *b) {
		return a->num("id") < b->num("id");
	});
	int idWidth = 5;
	for (const Record *r : contexts)
		idWidth = std::max(idWidth, static_cast<int>(std::to_string(r->num("id")).size()));

	printf("contexts: %zu open\n", contexts.size());
	if (!contexts.empty()) {
		printf("  %*s %-6s %-10s %7s %7s %7s %7s %8s %8s %8s\n", idWidth, "ID", "CODEC",
		       "SIZE", "JOBS", "DONE", "FAILED", "TIMEOUT", "P50(ms)", "P90(ms)",
		       "P99(ms)");
		for (const Record *r : contexts) {
			std::string size = r->get("width") + "x" + r->get("height");
			bool lat = r->num("lat_n") > 0;
			printf("  %*llu %-6s %-10s %7s %7s %7s %7s %8s %8s %8s\n", idWidth,
			       r->num("id"), codecName(r->get("codec")).c_str(), size.c_str(),
			       r->get("jobs").c_str(), r->get("done").c_str(),
			       r->get("failed").c_str(), r->get("timed_out").c_str(),
			       lat ? ms(r->num("lat_p50_us")).c_str() : "-",
			       lat ? ms(r->num("lat_p90_us")).c_str() : "-",
			       lat ? ms(r->num("lat_p99_us")).c_str() : "-");
		}
	}
	return status;
}
