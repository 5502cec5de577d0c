/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dropping root: supplementary groups, gid, uid, no new privileges, checked.
 */

#include "privileges.h"

#include <cerrno>
#include <cstdlib>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(Privileges)

namespace {

/* A decimal id with nothing else; false for anything else. */
bool parseId(const std::string &text, unsigned long *id)
{
	if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
		return false;
	errno = 0;
	char *end;
	*id = strtoul(text.c_str(), &end, 10);
	return !errno && !*end && *id < static_cast<unsigned long>(static_cast<uid_t>(-1));
}

/* Fills @uid, @gid (primary group) and @name of @user. Returns 0 or -errno. */
int lookUpUser(const std::string &user, uid_t *uid, gid_t *gid, std::string *name)
{
	std::vector<char> buffer(16384);
	struct passwd pwd, *found = nullptr;
	int ret = getpwnam_r(user.c_str(), &pwd, buffer.data(), buffer.size(), &found);
	unsigned long id;
	if (!found && parseId(user, &id))
		ret = getpwuid_r(id, &pwd, buffer.data(), buffer.size(), &found);
	if (ret) {
		LOG(Privileges, Error)
			<< "cannot look up user '" << user << "': " << errorString(-ret);
		return -ret;
	}
	if (!found) {
		LOG(Privileges, Error) << "no user '" << user << "'";
		return -ENOENT;
	}
	*uid = pwd.pw_uid;
	*gid = pwd.pw_gid;
	*name = pwd.pw_name;
	return 0;
}

int lookUpGroup(const std::string &group, gid_t *gid)
{
	std::vector<char> buffer(16384);
	struct group grp, *found = nullptr;
	int ret = getgrnam_r(group.c_str(), &grp, buffer.data(), buffer.size(), &found);
	unsigned long id;
	if (!found && parseId(group, &id)) {
		*gid = id;
		return 0;
	}
	if (ret) {
		LOG(Privileges, Error)
			<< "cannot look up group '" << group << "': " << errorString(-ret);
		return -ret;
	}
	if (!found) {
		LOG(Privileges, Error) << "no group '" << group << "'";
		return -ENOENT;
	}
	*gid = grp.gr_gid;
	return 0;
}

/* True when the process has no capability in its permitted or effective set. */
bool noCapabilities()
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	if (syscall(SYS_capget, &header, data) < 0)
		return false;
	for (const auto &d : data) {
		if (d.permitted || d.effective)
			return false;
	}
	return true;
}

} /* namespace */

int dropPrivileges(const std::string &user, const std::string &group)
{
	uid_t uid = 0;
	gid_t gid = 0;
	std::string name;
	int ret = lookUpUser(user, &uid, &gid, &name);
	if (ret < 0)
		return ret;
	if (!group.empty()) {
		ret = lookUpGroup(group, &gid);
		if (ret < 0)
			return ret;
	}
	if (uid == 0) {
		LOG(Privileges, Error) << "--user " << user << " is root: nothing to drop to";
		return -EINVAL;
	}

	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	bool already = ruid == uid && euid == uid && suid == uid && rgid == gid && egid == gid &&
		       sgid == gid;

	if (!already) {
		/* The user's supplementary groups; none when it has no entry for them. */
		if (initgroups(name.c_str(), gid) < 0 && setgroups(0, nullptr) < 0) {
			ret = -errno;
			LOG(Privileges, Error) << "cannot set the supplementary groups of " << name
					       << ": " << errorString(ret);
			return ret;
		}
		/* The group first: without root, the gid can no longer be changed. */
		if (setresgid(gid, gid, gid) < 0) {
			ret = -errno;
			LOG(Privileges, Error) << "setresgid(" << gid << "): " << errorString(ret);
			return ret;
		}
		if (setresuid(uid, uid, uid) < 0) {
			ret = -errno;
			LOG(Privileges, Error) << "setresuid(" << uid << "): " << errorString(ret);
			return ret;
		}
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		LOG(Privileges, Error) << "PR_SET_NO_NEW_PRIVS: " << errorString(ret);
		return ret;
	}

	/* Check, rather than trust, that the way back is closed. */
	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid) {
		LOG(Privileges, Error)
			<< "still uids " << ruid << "/" << euid << "/" << suid << ", gids " << rgid
			<< "/" << egid << "/" << sgid << " after the switch";
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		LOG(Privileges, Error) << "root can be regained after the switch to uid " << uid;
		return -EPERM;
	}
	if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		LOG(Privileges, Error) << "gid 0 can be regained after the switch to gid " << gid;
		return -EPERM;
	}
	if (!noCapabilities()) {
		LOG(Privileges, Error) << "capabilities left after the switch to uid " << uid;
		return -EPERM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		LOG(Privileges, Error) << "PR_SET_NO_NEW_PRIVS did not hold";
		return -EPERM;
	}

	int groups = getgroups(0, nullptr);
	LOG(Privileges, Info)
		<< (already ? "already running as " : "running as ") << name << " (uid " << uid
		<< ", gid " << gid << ", " << (groups < 0 ? 0 : groups)
		<< " supplementary groups), no new privileges";
	return 0;
}

} /* namespace daedalus */
