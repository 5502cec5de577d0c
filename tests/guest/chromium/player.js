// SPDX-License-Identifier: BSD-2-Clause
//
// The page of tests/guest/80-chromium.sh. For every clip of config.js (window.CLIPS):
//  1. a <video> element plays the clip's container file to its end (the browser's own
//     pipeline: demuxer, the platform's video decoder, the compositor), and every presented
//     frame is counted (requestVideoFrameCallback);
//  2. WebCodecs decodes the clip's elementary stream twice, with hardwareAcceleration
//     "prefer-hardware" (the platform's decoder: the node) and "prefer-software" (Chromium's
//     FFmpeg or libvpx), and every frame's bytes (VideoFrame.copyTo, the visible rectangle,
//     tightly packed) are hashed with SHA-256, to be compared with the guest's FFmpeg.
// The result goes to window.daedalusResult, which tests/guest/chromium_cdp.py reads.
'use strict';

function log(msg) {
	console.log('player: ' + msg);
}

// Annex B access units, split at access unit delimiters (the clips are made with them).
function h264AccessUnits(data) {
	const starts = [];
	for (let i = 0; i + 3 < data.length; i++) {
		if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
			starts.push(i + 3);
			i += 2;
		}
	}
	const units = [];
	let begin = -1;
	let key = false;
	for (const s of starts) {
		const type = data[s] & 0x1f;
		// The unit starts at its start code (three or four bytes before the NAL header).
		const codeAt = s >= 4 && data[s - 4] === 0 ? s - 4 : s - 3;
		if (type === 9) {
			if (begin >= 0)
				units.push({ bytes: data.subarray(begin, codeAt), key: key });
			begin = codeAt;
			key = false;
		} else if (type === 5) {
			key = true;
		}
	}
	if (begin >= 0)
		units.push({ bytes: data.subarray(begin), key: key });
	return units;
}

// IVF: a 32-byte file header, then frames of a 12-byte header (size, timestamp) each.
function ivfFrames(data) {
	const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
	const units = [];
	let at = view.getUint16(6, true);
	while (at + 12 <= data.length) {
		const size = view.getUint32(at, true);
		const bytes = data.subarray(at + 12, at + 12 + size);
		// VP9's uncompressed header, profile 0: frame_marker (2 bits), profile (2),
		// show_existing_frame (1), frame_type (1, 0 = key frame).
		const key = (bytes[0] & 0x08) === 0 && (bytes[0] & 0x04) === 0;
		units.push({ bytes: bytes, key: key });
		at += 12 + size;
	}
	return units;
}

function hex(buffer) {
	return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

// The page is a file:// one (the guest has no network): fetch() does not read files,
// XMLHttpRequest does (with --allow-file-access-from-files).
function readFile(url) {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('GET', url);
		xhr.responseType = 'arraybuffer';
		xhr.onload = () => resolve(new Uint8Array(xhr.response));
		xhr.onerror = () => reject(new Error('cannot read ' + url));
		xhr.send();
	});
}

async function decodeWebCodecs(clip, acceleration) {
	const data = await readFile(clip.stream);
	const units = clip.codec === 'vp9' ? ivfFrames(data) : h264AccessUnits(data);
	const config = {
		codec: clip.codecString,
		codedWidth: clip.width,
		codedHeight: clip.height,
		hardwareAcceleration: acceleration,
	};
	const support = await VideoDecoder.isConfigSupported(config);
	const result = { acceleration: acceleration, supported: support.supported, units: units.length,
		frames: [], formats: [], error: null };
	if (!support.supported)
		return result;
	const pending = [];
	const decoder = new VideoDecoder({
		output: (frame) => {
			const format = frame.format;
			const rect = frame.visibleRect;
			const size = frame.allocationSize();
			const buffer = new Uint8Array(size);
			pending.push(frame.copyTo(buffer).then(() => {
				frame.close();
				return crypto.subtle.digest('SHA-256', buffer);
			}).then((digest) => ({ format: format, width: rect.width, height: rect.height,
				digest: hex(digest) })));
		},
		error: (e) => {
			result.error = String(e);
		},
	});
	const t0 = performance.now();
	decoder.configure(config);
	let ts = 0;
	for (const unit of units) {
		decoder.decode(new EncodedVideoChunk({ type: unit.key ? 'key' : 'delta', timestamp: ts,
			data: unit.bytes }));
		ts += 33333;
		// Keep the queue short: the node has a bounded number of buffers.
		while (decoder.decodeQueueSize > 4 && !result.error)
			await new Promise((r) => setTimeout(r, 5));
		if (result.error)
			break;
	}
	if (!result.error) {
		try {
			await decoder.flush();
		} catch (e) {
			result.error = result.error || String(e);
		}
	}
	const frames = await Promise.all(pending);
	result.seconds = (performance.now() - t0) / 1000;
	if (decoder.state !== 'closed')
		decoder.close();
	result.frames = frames.map((f) => f.digest);
	result.formats = [...new Set(frames.map((f) => f.format + ' ' + f.width + 'x' + f.height))];
	return result;
}

function playVideo(clip) {
	return new Promise((resolve) => {
		const video = document.createElement('video');
		video.muted = true;
		document.body.appendChild(video);
		const result = { presented: 0, ended: false, error: null };
		const t0 = performance.now();
		const onFrame = (now, metadata) => {
			result.presented = metadata.presentedFrames;
			video.requestVideoFrameCallback(onFrame);
		};
		video.requestVideoFrameCallback(onFrame);
		const finish = () => {
			const quality = video.getVideoPlaybackQuality();
			result.total = quality.totalVideoFrames;
			result.dropped = quality.droppedVideoFrames;
			result.seconds = (performance.now() - t0) / 1000;
			result.width = video.videoWidth;
			result.height = video.videoHeight;
			video.remove();
			resolve(result);
		};
		video.addEventListener('ended', () => {
			result.ended = true;
			finish();
		});
		video.addEventListener('error', () => {
			result.error = video.error ? video.error.code + ' ' + video.error.message : 'error';
			finish();
		});
		video.src = clip.container;
		video.play().catch((e) => {
			result.error = String(e);
			finish();
		});
	});
}

async function main() {
	const results = [];
	for (const clip of window.CLIPS) {
		log(clip.name + ': <video>');
		const video = await playVideo(clip);
		log(clip.name + ': WebCodecs, hardware');
		const hardware = await decodeWebCodecs(clip, 'prefer-hardware');
		log(clip.name + ': WebCodecs, software');
		const software = await decodeWebCodecs(clip, 'prefer-software');
		results.push({ name: clip.name, video: video, hardware: hardware, software: software });
	}
	window.daedalusResult = { clips: results };
	log('done');
}

main().catch((e) => {
	window.daedalusResult = { error: String(e) + '\n' + e.stack };
});
