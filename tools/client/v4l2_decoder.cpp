/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A V4L2 stateless decoder node, driven through the Request API.
 */

#include "v4l2_decoder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <dirent.h>
#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace daedalus::client {

namespace {

int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ::ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

std::string errorText(int ret)
{
	return strerror(-ret);
}

/* What MEDIA_IOC_G_TOPOLOGY reports. */
struct Topology {
	std::vector<media_v2_entity> entities;
	std::vector<media_v2_interface> interfaces;
	std::vector<media_v2_pad> pads;
	std::vector<media_v2_link> links;

	template<typename T> static const T *find(const std::vector<T> &items, uint32_t id)
	{
		for (const T &item : items) {
			if (item.id == id)
				return &item;
		}
		return nullptr;
	}
};

int readTopology(int fd, Topology *t)
{
	/* The topology may change between the two calls: try again then. */
	for (unsigned int attempt = 0; attempt < 5; attempt++) {
		media_v2_topology counts{};
		int ret = xioctl(fd, MEDIA_IOC_G_TOPOLOGY, &counts);
		if (ret < 0)
			return ret;

		t->entities.resize(counts.num_entities);
		t->interfaces.resize(counts.num_interfaces);
		t->pads.resize(counts.num_pads);
		t->links.resize(counts.num_links);

		media_v2_topology topology{};
		topology.num_entities = counts.num_entities;
		topology.ptr_entities = reinterpret_cast<uintptr_t>(t->entities.data());
		topology.num_interfaces = counts.num_interfaces;
		topology.ptr_interfaces = reinterpret_cast<uintptr_t>(t->interfaces.data());
		topology.num_pads = counts.num_pads;
		topology.ptr_pads = reinterpret_cast<uintptr_t>(t->pads.data());
		topology.num_links = counts.num_links;
		topology.ptr_links = reinterpret_cast<uintptr_t>(t->links.data());
		ret = xioctl(fd, MEDIA_IOC_G_TOPOLOGY, &topology);
		if (ret == -ENOSPC)
			continue;
		if (ret < 0)
			return ret;
		if (topology.topology_version != counts.topology_version)
			continue;

		t->entities.resize(topology.num_entities);
		t->interfaces.resize(topology.num_interfaces);
		t->pads.resize(topology.num_pads);
		t->links.resize(topology.num_links);
		return 0;
	}
	return -EAGAIN;
}

/*
 * The device number of the video node of a stateless decoder in @t: an
 * entity of function PROC_VIDEO_DECODER, data links from and to I/O entities
 * of the V4L subsystem, and the V4L video interface linked to those.
 */
bool decoderDevnode(const Topology &t, dev_t *devnode)
{
	for (const media_v2_entity &decoder : t.entities) {
		if (decoder.function != MEDIA_ENT_F_PROC_VIDEO_DECODER)
			continue;

		for (const media_v2_link &link : t.links) {
			if ((link.flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK)
				continue;
			const media_v2_pad *source = Topology::find(t.pads, link.source_id);
			const media_v2_pad *sink = Topology::find(t.pads, link.sink_id);
			if (!source || !sink)
				continue;

			uint32_t other;
			if (sink->entity_id == decoder.id)
				other = source->entity_id;
			else if (source->entity_id == decoder.id)
				other = sink->entity_id;
			else
				continue;
			const media_v2_entity *io = Topology::find(t.entities, other);
			if (!io || io->function != MEDIA_ENT_F_IO_V4L)
				continue;

			for (const media_v2_link &ilink : t.links) {
				if ((ilink.flags & MEDIA_LNK_FL_LINK_TYPE) !=
					    MEDIA_LNK_FL_INTERFACE_LINK ||
				    ilink.sink_id != io->id)
					continue;
				const media_v2_interface *intf =
					Topology::find(t.interfaces, ilink.source_id);
				if (intf && intf->intf_type == MEDIA_INTF_T_V4L_VIDEO) {
					*devnode =
						makedev(intf->devnode.major, intf->devnode.minor);
					return true;
				}
			}
		}
	}
	return false;
}

/* /dev/<name> of a character device, from sysfs (as udev names it). */
std::string devnodePath(dev_t devnode)
{
	std::ifstream uevent("/sys/dev/char/" + std::to_string(major(devnode)) + ":" +
			     std::to_string(minor(devnode)) + "/uevent");
	std::string line;
	while (std::getline(uevent, line)) {
		if (line.rfind("DEVNAME=", 0) == 0)
			return "/dev/" + line.substr(8);
	}
	return {};
}

/* /dev/media0, /dev/media1, ... in numeric order. */
std::vector<std::string> mediaDevices()
{
	std::vector<std::pair<unsigned long, std::string>> found;
	DIR *dir = opendir("/dev");
	if (!dir)
		return {};
	while (const dirent *entry = readdir(dir)) {
		const std::string name = entry->d_name;
		if (name.rfind("media", 0) != 0 || name.size() == 5 ||
		    name.find_first_not_of("0123456789", 5) != std::string::npos)
			continue;
		found.emplace_back(std::stoul(name.substr(5)), "/dev/" + name);
	}
	closedir(dir);
	std::sort(found.begin(), found.end());

	std::vector<std::string> paths;
	for (auto &[number, path] : found)
		paths.push_back(std::move(path));
	return paths;
}

/* The decoder of media device @path, if it has one. */
bool probeMedia(const std::string &path, DecoderNode *node, dev_t *devnode)
{
	UniqueFD fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd.isValid())
		return false;

	Topology topology;
	if (readTopology(fd.get(), &topology) < 0 || !decoderDevnode(topology, devnode))
		return false;

	media_device_info info{};
	if (xioctl(fd.get(), MEDIA_IOC_DEVICE_INFO, &info) == 0) {
		node->driver = std::string(info.driver, strnlen(info.driver, sizeof(info.driver)));
		node->model = std::string(info.model, strnlen(info.model, sizeof(info.model)));
	}
	node->media = path;
	node->video = devnodePath(*devnode);
	return true;
}

} /* namespace */

std::vector<DecoderNode> findDecoders()
{
	std::vector<DecoderNode> decoders;
	for (const std::string &path : mediaDevices()) {
		DecoderNode node;
		dev_t devnode;
		if (probeMedia(path, &node, &devnode) && !node.video.empty())
			decoders.push_back(node);
	}
	return decoders;
}

int findDecoder(const std::string &video, DecoderNode *node, std::string *error)
{
	struct stat st;
	if (stat(video.c_str(), &st) < 0) {
		const int ret = -errno;
		*error = "cannot stat " + video + ": " + errorText(ret);
		return ret;
	}
	if (!S_ISCHR(st.st_mode)) {
		*error = video + " is not a character device";
		return -ENODEV;
	}

	for (const std::string &path : mediaDevices()) {
		DecoderNode candidate;
		dev_t devnode;
		if (probeMedia(path, &candidate, &devnode) && devnode == st.st_rdev) {
			*node = candidate;
			node->video = video;
			return 0;
		}
	}
	*error = "no media device has a stateless decoder whose video node is " + video +
		 " (requests need one)";
	return -ENODEV;
}

V4l2Decoder::V4l2Decoder(const DecoderNode &node) : node_(node)
{
}

V4l2Decoder::~V4l2Decoder()
{
	stopStreaming();
	freeBuffers();
}

int V4l2Decoder::fail(int ret, const std::string &what)
{
	if (failure_.empty())
		failure_ = what + (ret < 0 ? ": " + errorText(ret) : "");
	return ret < 0 ? ret : -EIO;
}

int V4l2Decoder::ioctl(unsigned long request, void *arg, int fd)
{
	return xioctl(fd < 0 ? video_.get() : fd, request, arg);
}

int V4l2Decoder::open()
{
	video_.reset(::open(node_.video.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
	if (!video_.isValid())
		return fail(-errno, "cannot open " + node_.video);
	media_.reset(::open(node_.media.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
	if (!media_.isValid())
		return fail(-errno, "cannot open " + node_.media);

	v4l2_capability cap{};
	int ret = ioctl(VIDIOC_QUERYCAP, &cap);
	if (ret < 0)
		return fail(ret, node_.video + ": VIDIOC_QUERYCAP");
	card_ = std::string(reinterpret_cast<const char *>(cap.card),
			    strnlen(reinterpret_cast<const char *>(cap.card), sizeof(cap.card)));

	const uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps
								      : cap.capabilities;
	if (!(caps & V4L2_CAP_STREAMING))
		return fail(-ENODEV, node_.video + " does not stream");
	if (caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
		multiplanar_ = true;
		outputType_ = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		captureType_ = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	} else if (caps & V4L2_CAP_VIDEO_M2M) {
		multiplanar_ = false;
		outputType_ = V4L2_BUF_TYPE_VIDEO_OUTPUT;
		captureType_ = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	} else {
		return fail(-ENODEV, node_.video + " is not a memory-to-memory device");
	}
	return 0;
}

bool V4l2Decoder::offersCodec(uint32_t fourcc)
{
	for (uint32_t index = 0;; index++) {
		v4l2_fmtdesc desc{};
		desc.index = index;
		desc.type = outputType_;
		if (ioctl(VIDIOC_ENUM_FMT, &desc) < 0)
			return false;
		if (desc.pixelformat == fourcc)
			return true;
	}
}

int V4l2Decoder::stopStreaming()
{
	if (!streaming_)
		return 0;
	streaming_ = false;
	for (Buffer &buffer : capture_)
		buffer.queued = false;

	uint32_t type = outputType_;
	int ret = ioctl(VIDIOC_STREAMOFF, &type);
	type = captureType_;
	const int ret2 = ioctl(VIDIOC_STREAMOFF, &type);
	return ret < 0 ? ret : ret2;
}

int V4l2Decoder::startStreaming()
{
	uint32_t type = outputType_;
	int ret = ioctl(VIDIOC_STREAMON, &type);
	if (ret < 0)
		return fail(ret, "VIDIOC_STREAMON (OUTPUT)");
	type = captureType_;
	ret = ioctl(VIDIOC_STREAMON, &type);
	if (ret < 0)
		return fail(ret, "VIDIOC_STREAMON (CAPTURE)");
	streaming_ = true;
	return 0;
}

int V4l2Decoder::freeBuffers()
{
	if (!video_.isValid())
		return 0;

	/* Unmapped first: a mapped buffer is in use. */
	output_.clear();
	capture_.clear();
	nextOutput_ = 0;

	int ret = 0;
	for (uint32_t type : { outputType_, captureType_ }) {
		v4l2_requestbuffers reqbufs{};
		reqbufs.count = 0;
		reqbufs.type = type;
		reqbufs.memory = V4L2_MEMORY_MMAP;
		const int r = ioctl(VIDIOC_REQBUFS, &reqbufs);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

int V4l2Decoder::allocate(uint32_t type, unsigned int count, std::vector<Buffer> *buffers)
{
	const bool output = type == outputType_;
	const char *name = output ? "OUTPUT" : "CAPTURE";

	v4l2_requestbuffers reqbufs{};
	reqbufs.count = count;
	reqbufs.type = type;
	reqbufs.memory = V4L2_MEMORY_MMAP;
	int ret = ioctl(VIDIOC_REQBUFS, &reqbufs);
	if (ret < 0)
		return fail(ret, std::string("VIDIOC_REQBUFS (") + name + ", " +
					 std::to_string(count) + " buffers)");
	if (!reqbufs.count)
		return fail(-ENOMEM, std::string("no ") + name + " buffers");
	if (output && !(reqbufs.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS))
		return fail(-ENOTSUP, "the OUTPUT queue does not support requests");

	for (unsigned int i = 0; i < reqbufs.count; i++) {
		v4l2_plane plane{};
		v4l2_buffer buf{};
		buf.index = i;
		buf.type = type;
		buf.memory = V4L2_MEMORY_MMAP;
		if (multiplanar_) {
			buf.m.planes = &plane;
			buf.length = 1;
		}
		ret = ioctl(VIDIOC_QUERYBUF, &buf);
		if (ret < 0)
			return fail(ret, std::string("VIDIOC_QUERYBUF (") + name + ")");

		const size_t length = multiplanar_ ? plane.length : buf.length;
		const off_t offset = multiplanar_ ? plane.m.mem_offset : buf.m.offset;
		void *address = mmap(nullptr, length, PROT_READ | (output ? PROT_WRITE : 0),
				     MAP_SHARED, video_.get(), offset);
		if (address == MAP_FAILED)
			return fail(-errno, std::string("cannot map a ") + name + " buffer");

		Buffer buffer;
		buffer.memory = MappedMemory(address, length);
		buffers->push_back(std::move(buffer));
	}
	return 0;
}

int V4l2Decoder::setFormats(const StreamFormat &format)
{
	v4l2_format out{};
	out.type = outputType_;
	if (multiplanar_) {
		v4l2_pix_format_mplane &pix = out.fmt.pix_mp;
		pix.pixelformat = format.codec;
		pix.width = format.width;
		pix.height = format.height;
		pix.num_planes = 1;
		pix.plane_fmt[0].sizeimage = format.outputSize;
	} else {
		v4l2_pix_format &pix = out.fmt.pix;
		pix.pixelformat = format.codec;
		pix.width = format.width;
		pix.height = format.height;
		pix.sizeimage = format.outputSize;
	}
	int ret = ioctl(VIDIOC_S_FMT, &out);
	if (ret < 0)
		return fail(ret, "VIDIOC_S_FMT (OUTPUT)");
	const uint32_t codec = multiplanar_ ? out.fmt.pix_mp.pixelformat : out.fmt.pix.pixelformat;
	if (codec != format.codec)
		return fail(-EINVAL, "the decoder does not take the stream's OUTPUT format");

	/* The CAPTURE format follows; clients want single-plane NV12. */
	v4l2_format cap{};
	cap.type = captureType_;
	ret = ioctl(VIDIOC_G_FMT, &cap);
	if (ret < 0)
		return fail(ret, "VIDIOC_G_FMT (CAPTURE)");
	auto isNv12 = [this](const v4l2_format &f) {
		return multiplanar_ ? f.fmt.pix_mp.pixelformat == V4L2_PIX_FMT_NV12 &&
					      f.fmt.pix_mp.num_planes == 1
				    : f.fmt.pix.pixelformat == V4L2_PIX_FMT_NV12;
	};
	if (!isNv12(cap)) {
		if (multiplanar_) {
			cap.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_NV12;
			cap.fmt.pix_mp.num_planes = 1;
		} else {
			cap.fmt.pix.pixelformat = V4L2_PIX_FMT_NV12;
		}
		ret = ioctl(VIDIOC_S_FMT, &cap);
		if (ret < 0 || !isNv12(cap))
			return fail(ret < 0 ? ret : -EINVAL,
				    "the decoder offers no single-plane NV12 CAPTURE format");
	}

	if (multiplanar_) {
		captureFormat_.width = cap.fmt.pix_mp.width;
		captureFormat_.height = cap.fmt.pix_mp.height;
		captureFormat_.stride = cap.fmt.pix_mp.plane_fmt[0].bytesperline;
	} else {
		captureFormat_.width = cap.fmt.pix.width;
		captureFormat_.height = cap.fmt.pix.height;
		captureFormat_.stride = cap.fmt.pix.bytesperline;
	}
	if (captureFormat_.stride < captureFormat_.width)
		return fail(-EINVAL, "the CAPTURE stride is smaller than its width");
	return 0;
}

int V4l2Decoder::configure(const StreamFormat &format)
{
	if (!video_.isValid())
		return fail(-EBADF, "the decoder is not open");

	stopStreaming();
	int ret = freeBuffers();
	if (ret < 0)
		return fail(ret, "cannot free the buffers of the previous stream");

	ret = setFormats(format);
	if (ret < 0)
		return ret;
	ret = allocate(outputType_, std::max(format.outputCount, 1u), &output_);
	if (ret < 0)
		return ret;
	ret = allocate(captureType_, format.captureCount, &capture_);
	if (ret < 0)
		return ret;
	const size_t nv12 = size_t{ captureFormat_.stride } * captureFormat_.height * 3 / 2;
	for (const Buffer &buffer : capture_) {
		if (buffer.memory.data().size() < nv12)
			return fail(-EINVAL, "CAPTURE buffers smaller than their NV12 format");
	}

	/* One request per OUTPUT buffer, re-initialised for reuse. */
	while (requests_.size() < output_.size()) {
		int fd = -1;
		ret = ioctl(MEDIA_IOC_REQUEST_ALLOC, &fd, media_.get());
		if (ret < 0)
			return fail(ret, node_.media + ": MEDIA_IOC_REQUEST_ALLOC");
		requests_.emplace_back(fd);
	}

	return startStreaming();
}

int V4l2Decoder::reset()
{
	if (!streaming_)
		return 0;
	stopStreaming();
	return startStreaming();
}

std::span<const uint8_t> V4l2Decoder::capture(unsigned int index) const
{
	if (index >= capture_.size())
		return {};
	return capture_[index].memory.data();
}

int V4l2Decoder::queue(uint32_t type, unsigned int index, const DecodeRequest *request,
		       int requestFd)
{
	const bool output = type == outputType_;
	Buffer &buffer = output ? output_[index] : capture_[index];

	v4l2_plane plane{};
	v4l2_buffer buf{};
	buf.index = index;
	buf.type = type;
	buf.memory = V4L2_MEMORY_MMAP;
	buf.field = V4L2_FIELD_NONE;
	if (output) {
		buf.flags = V4L2_BUF_FLAG_REQUEST_FD |
			    (request->holdCapture ? V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF : 0);
		buf.request_fd = requestFd;
		buf.timestamp.tv_sec = request->timestamp / 1000000000;
		buf.timestamp.tv_usec = request->timestamp % 1000000000 / 1000;
	}
	const uint32_t bytesused = output ? request->data.size() : 0;
	if (multiplanar_) {
		plane.bytesused = bytesused;
		plane.length = buffer.memory.data().size();
		buf.m.planes = &plane;
		buf.length = 1;
	} else {
		buf.bytesused = bytesused;
		buf.length = buffer.memory.data().size();
	}
	return ioctl(VIDIOC_QBUF, &buf);
}

int V4l2Decoder::dequeue(uint32_t type, unsigned int expected, bool *error)
{
	const bool output = type == outputType_;
	const char *name = output ? "OUTPUT" : "CAPTURE";

	for (;;) {
		v4l2_plane plane{};
		v4l2_buffer buf{};
		buf.type = type;
		buf.memory = V4L2_MEMORY_MMAP;
		if (multiplanar_) {
			buf.m.planes = &plane;
			buf.length = 1;
		}

		/* The request has completed, so has the buffer; allow a moment all the same. */
		int ret;
		for (unsigned int attempt = 0;; attempt++) {
			ret = ioctl(VIDIOC_DQBUF, &buf);
			if (ret != -EAGAIN || attempt == 20)
				break;
			pollfd pfd = { video_.get(), static_cast<short>(POLLIN | POLLOUT), 0 };
			poll(&pfd, 1, 10);
		}
		if (ret < 0)
			return fail(ret, std::string("VIDIOC_DQBUF (") + name + ")");
		if (buf.index == expected) {
			*error |= (buf.flags & V4L2_BUF_FLAG_ERROR) != 0;
			return 0;
		}

		/*
		 * A CAPTURE buffer held for a second field that never came: the
		 * driver returns it when a picture of another timestamp starts.
		 */
		if (output || buf.index >= capture_.size() || !capture_[buf.index].queued)
			return fail(-EIO, std::string("dequeued ") + name + " buffer " +
						  std::to_string(buf.index) + ", expected " +
						  std::to_string(expected));
		capture_[buf.index].queued = false;
	}
}

int V4l2Decoder::decode(const DecodeRequest &request)
{
	lastRequestError_.clear();
	if (!failure_.empty())
		return -EIO;
	if (!streaming_)
		return fail(-EINVAL, "decode before configure");
	if (request.capture >= capture_.size())
		return fail(-EINVAL, "no CAPTURE buffer " + std::to_string(request.capture));
	if (request.timestamp % 1000)
		return fail(-EINVAL, "a timestamp that is no whole number of microseconds");

	const unsigned int out = nextOutput_;
	nextOutput_ = (nextOutput_ + 1) % output_.size();
	std::span<uint8_t> memory = output_[out].memory.data();
	if (request.data.empty()) {
		lastRequestError_ = "no data for the OUTPUT buffer";
		return -EINVAL;
	}
	if (request.data.size() > memory.size()) {
		lastRequestError_ = std::to_string(request.data.size()) +
				    " bytes of data for OUTPUT buffers of " +
				    std::to_string(memory.size());
		return -E2BIG;
	}
	memcpy(memory.data(), request.data.data(), request.data.size());

	const int requestFd = requests_[out].get();
	auto reinit = [&]() { return ioctl(MEDIA_REQUEST_IOC_REINIT, nullptr, requestFd); };

	/* The controls of this request. */
	std::vector<v4l2_ext_control> controls(request.controls.size());
	for (size_t i = 0; i < request.controls.size(); i++) {
		const Control &control = request.controls[i];
		controls[i].id = control.id;
		if (control.payload.empty()) {
			controls[i].value = control.value;
		} else {
			controls[i].size = control.payload.size();
			controls[i].ptr = const_cast<uint8_t *>(control.payload.data());
		}
	}
	if (!controls.empty()) {
		v4l2_ext_controls ext{};
		ext.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		ext.count = controls.size();
		ext.request_fd = requestFd;
		ext.controls = controls.data();
		const int ret = ioctl(VIDIOC_S_EXT_CTRLS, &ext);
		if (ret < 0) {
			char id[16];
			snprintf(id, sizeof(id), "0x%08x",
				 ext.error_idx < controls.size() ? controls[ext.error_idx].id : 0);
			lastRequestError_ = std::string("VIDIOC_S_EXT_CTRLS refused control ") +
					    id + ": " + errorText(ret);
			reinit();
			return ret;
		}
	}

	int ret = queue(outputType_, out, &request, requestFd);
	if (ret < 0) {
		reinit();
		return fail(ret, "VIDIOC_QBUF (OUTPUT)");
	}
	Buffer &capture = capture_[request.capture];
	if (!capture.queued) {
		ret = queue(captureType_, request.capture, nullptr, -1);
		if (ret < 0)
			return fail(ret, "VIDIOC_QBUF (CAPTURE)");
		capture.queued = true;
	}

	ret = ioctl(MEDIA_REQUEST_IOC_QUEUE, nullptr, requestFd);
	if (ret < 0) {
		fail(ret, "MEDIA_REQUEST_IOC_QUEUE");
		if (ret == -ENODEV)
			failure_ += " (daedalus-v4l2 refuses requests while no daemon is attached)";
		return ret;
	}

	/* The request fd signals POLLPRI when the request has completed. */
	pollfd pfd = { requestFd, POLLPRI, 0 };
	do {
		ret = poll(&pfd, 1, timeout_.count());
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return fail(-errno, "poll of the request");
	if (ret == 0)
		return fail(-ETIMEDOUT,
			    "no answer within " + std::to_string(timeout_.count()) + " ms");

	bool error = false;
	ret = dequeue(outputType_, out, &error);
	if (ret < 0)
		return ret;
	if (!request.holdCapture) {
		ret = dequeue(captureType_, request.capture, &error);
		if (ret < 0)
			return ret;
		capture.queued = false;
	}

	ret = reinit();
	if (ret < 0)
		return fail(ret, "MEDIA_REQUEST_IOC_REINIT");

	if (error) {
		lastRequestError_ = "the decoder flagged the buffers with V4L2_BUF_FLAG_ERROR";
		return -EIO;
	}
	return 0;
}

} /* namespace daedalus::client */
