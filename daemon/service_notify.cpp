/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Readiness and status for a service manager (see service_notify.h).
 */

#include "service_notify.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

#include <daedalus/unique_fd.h>

namespace daedalus {

int notifyServiceManager(std::string_view state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;

	/* A file system path, or an abstract socket written with a leading '@'. */
	struct sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	size_t length = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || length >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, length);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	socklen_t addrLength = offsetof(struct sockaddr_un, sun_path) + length;

	UniqueFD fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd.isValid())
		return -errno;

	ssize_t sent = sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
			      reinterpret_cast<const struct sockaddr *>(&addr), addrLength);
	if (sent < 0)
		return -errno;
	return static_cast<size_t>(sent) == state.size() ? 1 : -EMSGSIZE;
}

} /* namespace daedalus */
