/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Readiness and status for a service manager, with systemd's notification
 * protocol (sd_notify(3)): one datagram of "KEY=VALUE" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET. Nothing happens when the variable
 * is unset (the daemon was not started by systemd with Type=notify).
 */

#pragma once

#include <string_view>

namespace daedalus {

/*
 * Sends @state (e.g. "READY=1\nSTATUS=attached") to $NOTIFY_SOCKET. Returns 1
 * when sent, 0 when there is no socket to notify, or -errno.
 */
int notifyServiceManager(std::string_view state);

} /* namespace daedalus */
