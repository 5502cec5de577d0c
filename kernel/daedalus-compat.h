/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: everything that differs between the kernels the module
 * builds against (6.6 to 6.12 and later), in one place. Kbuild probes the
 * kernel's headers and defines the DAEDALUS_HAVE_* switches.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */
#ifndef _DAEDALUS_COMPAT_H_
#define _DAEDALUS_COMPAT_H_

/* 6.13 turned the namespace argument into a string literal. */
#ifdef DAEDALUS_HAVE_NS_STRING
#define DAEDALUS_IMPORT_DMA_BUF_NS()	MODULE_IMPORT_NS("DMA_BUF")
#else
#define DAEDALUS_IMPORT_DMA_BUF_NS()	MODULE_IMPORT_NS(DMA_BUF)
#endif

/*
 * Before 6.13 vb2 dropped the queue lock around a blocking DQBUF only when
 * the driver provided wait_prepare/wait_finish; 6.15 removed the hooks.
 */
#ifdef DAEDALUS_HAVE_VB2_WAIT_OPS
#define DAEDALUS_VB2_WAIT_OPS				\
	.wait_prepare = vb2_ops_wait_prepare,		\
	.wait_finish = vb2_ops_wait_finish,
#else
#define DAEDALUS_VB2_WAIT_OPS
#endif

/* 6.11 made platform_driver.remove return void; before, that was remove_new. */
#ifdef DAEDALUS_HAVE_VOID_REMOVE
#define DAEDALUS_PLATFORM_REMOVE(fn)			\
	.remove = (fn),
#else
#define DAEDALUS_PLATFORM_REMOVE(fn)			\
	.remove_new = (fn),
#endif

#endif /* _DAEDALUS_COMPAT_H_ */
