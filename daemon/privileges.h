/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dropping root for a daemon started by hand (the packaged service starts it
 * as its own user already): once the module's device is open and attached,
 * nothing the daemon does needs root.
 */

#pragma once

#include <string>

namespace daedalus {

/*
 * Switches the process to @user (a name or a numeric uid) and @group (a name
 * or a numeric gid; empty: the user's primary group): the user's
 * supplementary groups, then real, effective and saved gid and uid, then
 * PR_SET_NO_NEW_PRIVS. Checks that root cannot be regained (setuid(0) and
 * setgid(0) fail, no capability is left). Refuses uid 0. A process that
 * already runs as exactly that user and group only gets PR_SET_NO_NEW_PRIVS.
 * Logs what failed; returns 0 or -errno.
 */
int dropPrivileges(const std::string &user, const std::string &group);

} /* namespace daedalus */
