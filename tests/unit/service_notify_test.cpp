/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's readiness notification, received as systemd would.
 */

#include <cerrno>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "service_notify.h"
#include <daedalus/unique_fd.h>

using namespace daedalus;

namespace {

class NotifySocket
{
public:
	/* Binds to @name: a path, or with a leading '@' an abstract address. */
	explicit NotifySocket(const std::string &name) : name_(name)
	{
		fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
		struct sockaddr_un addr = {};
		addr.sun_family = AF_UNIX;
		name.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
		if (name[0] == '@')
			addr.sun_path[0] = '\0';
		if (name[0] == '/')
			unlink(name.c_str());
		bound_ = bind(fd_.get(), reinterpret_cast<struct sockaddr *>(&addr),
			      offsetof(struct sockaddr_un, sun_path) + name.size()) == 0;
		setenv("NOTIFY_SOCKET", name.c_str(), 1);
	}
	~NotifySocket()
	{
		unsetenv("NOTIFY_SOCKET");
		if (name_[0] == '/')
			unlink(name_.c_str());
	}

	bool bound() const { return bound_; }

	std::string receive()
	{
		char buf[256];
		ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
		return n < 0 ? std::string() : std::string(buf, n);
	}

private:
	std::string name_;
	UniqueFD fd_;
	bool bound_ = false;
};

TEST(ServiceNotify, NothingWithoutSocket)
{
	unsetenv("NOTIFY_SOCKET");
	EXPECT_EQ(notifyServiceManager("READY=1"), 0);
}

TEST(ServiceNotify, PathSocket)
{
	NotifySocket sock("/tmp/daedalus-notify-test-" + std::to_string(getpid()));
	ASSERT_TRUE(sock.bound());
	EXPECT_EQ(notifyServiceManager("READY=1\nSTATUS=attached"), 1);
	EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=attached");
}

TEST(ServiceNotify, AbstractSocket)
{
	NotifySocket sock("@daedalus-notify-test-" + std::to_string(getpid()));
	ASSERT_TRUE(sock.bound());
	EXPECT_EQ(notifyServiceManager("STOPPING=1"), 1);
	EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST(ServiceNotify, BadAddress)
{
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	EXPECT_EQ(notifyServiceManager("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

} /* namespace */
